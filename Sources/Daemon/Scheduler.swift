import Foundation
import State
import Toolkit

/// Every scheduling decision of the daemon, as a value: which application is looked at
/// when, why, and when next. Pure: the time comes with every call and the randomness
/// (jitter) from an injected source, so the tests move time instead of sleeping.
///
/// Rules:
/// - triggers (startup, registration, request, webhook, retry, removal) make an
///   application urgent; polls make it due; an application is never looked at twice at
///   once: a trigger during a look runs it once more afterwards (coalesced);
/// - at most `looks` looks run at once, at most `namespaceLooks` of one namespace (the
///   others of that namespace are parked until one of its looks ends);
/// - polls due close together (within 2% of their interval, at most 250 ms) run on one
///   wakeup;
/// - after a look: a poll at the interval (±jitter) when it synced, was unchanged or is
///   waiting for a change; a retry with backoff (10 s doubling, capped at the interval,
///   ±jitter) when it failed in a way a retry may fix; nothing for a suspended one;
/// - `automated: false`: only requests (and their retries) look at it;
/// - a removed registration is undeployed after the grace unless it comes back; a failed
///   undeploy is retried with backoff.
public struct Scheduler: Sendable {
    public struct Configuration: Sendable {
        public var looks: Int
        public var namespaceLooks: Int
        public var removalGrace: Double
        public var policy: SchedulePolicy
        /// For a removal's retries (the registration, and its interval, are gone).
        public var defaultPollInterval: Double

        public init(
            looks: Int = 32, namespaceLooks: Int = 4, removalGrace: Double = 60,
            policy: SchedulePolicy = SchedulePolicy(),
            defaultPollInterval: Double = 300
        ) {
            self.looks = max(1, looks)
            self.namespaceLooks = max(1, namespaceLooks)
            self.removalGrace = removalGrace
            self.policy = policy
            self.defaultPollInterval = defaultPollInterval
        }
    }

    public typealias Trigger = SyncHistory.Trigger

    struct Record {
        var spec: Spec?
        var removing = false
        var due: Date?
        var urgent: Trigger?
        var running = false
        var failures = 0
        var lookNamespace: String?
        var next = NextTimes()
        var runningKind: Launch.Kind?
        /// The next health round (Scheduler+Health).
        var healthDue: Date?
    }

    public let configuration: Configuration
    private let random: @Sendable () -> Double
    var records: [String: Record] = [:]
    private var dueHeap = DueHeap()
    var healthHeap = DueHeap()
    private var urgentQueue: [String] = []
    private var urgentSet = Set<String>()
    private var parked: [String: [String]] = [:]
    private var looksByNamespace: [String: Int] = [:]
    public private(set) var running = 0

    public init(configuration: Configuration, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.configuration = configuration
        self.random = random
    }

    // MARK: Events

    /// A valid registration appeared or changed (or was read at startup).
    public mutating func register(_ name: String, spec: Spec, trigger: Trigger) {
        var r = records[name] ?? Record()
        r.spec = spec
        r.removing = false
        r.failures = 0
        r.due = nil
        r.urgent = trigger
        if !spec.automated && !spec.suspended && !trigger.isAsked { r.urgent = nil }
        store(name, r)
    }

    /// The registration is there but cannot be synced (invalid, a duplicate name).
    public mutating func unusable(_ name: String) {
        var r = records[name] ?? Record()
        r.spec = nil
        r.removing = false
        r.urgent = nil
        r.healthDue = nil
        r.due = nil
        r.failures = 0
        store(name, r)
    }

    /// The registration went away: undeployed after the grace; returns when.
    @discardableResult
    public mutating func remove(_ name: String, now: Date) -> Date {
        var r = records[name] ?? Record()
        r.removing = true
        r.urgent = nil
        r.healthDue = nil
        r.failures = 0
        r.due = now.addingTimeInterval(configuration.removalGrace)
        store(name, r)
        return r.due!
    }

    /// A request file for `name` (`.request`, `.webhook` when a push wrote it, `.rollback` for a pin).
    public mutating func request(_ name: String, trigger: Trigger = .request) -> RequestAction {
        guard var r = records[name] else { return .keep }
        guard r.spec != nil, !r.removing else { return .discard }
        r.urgent = trigger
        store(name, r)
        return .queued
    }

    /// A drift pass reached the application: it is compared with the target soon (unless
    /// something else is already asked of it); its poll schedule does not move.
    @discardableResult
    public mutating func requestDrift(_ name: String) -> Bool {
        guard var r = records[name], let spec = r.spec, !spec.suspended, !r.removing, !r.running, r.urgent == nil else {
            return false
        }
        r.urgent = .drift
        store(name, r)
        return true
    }

    /// A look ended.
    public mutating func finished(_ name: String, _ ending: Ending) {
        guard var r = records[name], r.running else { return }
        let drift = r.runningKind == .drift || r.runningKind == .health
        endLook(&r)
        if drift {
            // A drift check: the poll (or retry) stays when it was due.
            store(name, r)
            return
        }
        r.failures = ending == .retryable ? r.failures + 1 : 0
        if r.spec == nil {
            r.due = nil
        } else if !r.removing {
            switch ending {
            case .synced, .unchanged, .stalled: r.due = r.next.poll
            case .retryable: r.due = r.next.retry
            case .suspended: r.due = nil
            }
        }
        store(name, r)
    }

    /// An undeploy ended; when it failed, it is retried with backoff.
    public mutating func undeployFinished(_ name: String, done: Bool, now: Date) {
        guard var r = records[name], r.running else { return }
        endLook(&r)
        if !r.removing {
            // Registered again while undeploying: synced back.
            r.urgent = r.urgent ?? .registration
            store(name, r)
        } else if done {
            records[name] = nil
        } else {
            r.failures += 1
            r.due = now.addingTimeInterval(
                configuration.policy.backoff(
                    failures: r.failures, interval: configuration.defaultPollInterval, random: random()))
            store(name, r)
        }
    }

    /// Forgets an application (its state is gone).
    public mutating func forget(_ name: String) { records[name] = nil }

    /// When the loop must look again (nil: only on an event).
    public mutating func wake(now: Date) -> Date? {
        guard running < configuration.looks else { return nil }
        if nextUrgent() != nil { return now }
        return [nextDue()?.due, nextHealth()?.due].compactMap { $0 }.min()
    }

    /// The looks to start now, each marked running.
    public mutating func next(now: Date) -> [Launch] {
        var launches: [Launch] = []
        while running < configuration.looks {
            let name: String
            if let urgent = nextUrgent() {
                urgentQueue.removeFirst()
                urgentSet.remove(urgent)
                name = urgent
            } else if let top = nextDue(), top.due <= now.addingTimeInterval(slack(top.name)) {
                dueHeap.pop()
                name = top.name
            } else if let top = nextHealth(), top.due <= now {
                healthHeap.pop()
                name = top.name
                records[name]?.urgent = .health  // nextHealth takes only apps with nothing urgent
            } else {
                break
            }
            let namespace = namespaceKey(name)
            if looksByNamespace[namespace, default: 0] >= configuration.namespaceLooks {
                parked[namespace, default: []].append(name)
                continue
            }
            if let launch = start(name, namespace: namespace, now: now) { launches.append(launch) }
        }
        return launches
    }

    // MARK: Inside

    private mutating func start(_ name: String, namespace: String, now: Date) -> Launch? {
        guard var r = records[name] else { return nil }
        let trigger = r.urgent ?? (r.removing ? .removal : (r.failures > 0 ? .retry : .poll))
        r.urgent = nil
        if r.removing {
            r.running = true
            r.runningKind = .undeploy
            beginLook(&r, namespace)
            store(name, r)
            return Launch(
                name: name, kind: .undeploy, trigger: trigger, force: false, failures: r.failures, next: NextTimes())
        }
        guard let spec = r.spec else {
            r.due = nil
            r.healthDue = nil
            store(name, r)
            return nil
        }
        if trigger == .drift || trigger == .health {
            let kind: Launch.Kind = trigger == .drift ? .drift : .health
            if kind == .health { r.healthDue = nil }
            r.running = true
            r.runningKind = kind
            beginLook(&r, namespace)
            store(name, r)
            return Launch(name: name, kind: kind, trigger: trigger, force: false, failures: r.failures, next: r.next)
        }
        // syncPolicy.automated false: only a request (and its retries) syncs.
        if !spec.automated && !spec.suspended && !trigger.isAsked && trigger != .retry {
            r.due = nil
            store(name, r)
            return nil
        }
        let asked = trigger.isAsked
        let jittered = configuration.policy.poll(interval: spec.pollInterval, random: random())
        let poll: Date? =
            spec.automated
            ? now.addingTimeInterval(
                spec.phase.map { configuration.policy.poll(interval: spec.pollInterval, phase: $0, now: now) }
                    ?? jittered) : nil
        let retry: Date? =
            spec.automated || asked || trigger == .retry
            ? now.addingTimeInterval(
                configuration.policy.backoff(failures: r.failures + 1, interval: spec.pollInterval, random: random()))
            : nil
        r.next = NextTimes(poll: poll, retry: retry)
        r.running = true
        r.runningKind = .look
        beginLook(&r, namespace)
        store(name, r)
        return Launch(name: name, kind: .look, trigger: trigger, force: asked, failures: r.failures, next: r.next)
    }

    private mutating func beginLook(_ r: inout Record, _ namespace: String) {
        running += 1
        r.lookNamespace = namespace
        looksByNamespace[namespace, default: 0] += 1
    }

    private mutating func endLook(_ r: inout Record) {
        running -= 1
        r.running = false
        r.runningKind = nil
        guard let namespace = r.lookNamespace else { return }
        r.lookNamespace = nil
        let left = looksByNamespace[namespace, default: 1] - 1
        looksByNamespace[namespace] = left > 0 ? left : nil
        // The first parked application of that namespace that still wants a look goes back.
        while var waiting = parked[namespace], !waiting.isEmpty {
            let next = waiting.removeFirst()
            parked[namespace] = waiting.isEmpty ? nil : waiting
            guard let p = records[next], !p.running else { continue }
            if p.urgent != nil {
                if urgentSet.insert(next).inserted { urgentQueue.append(next) }
                return
            } else if let due = p.due {
                dueHeap.push(due, next)
                return
            } else if let due = p.healthDue {
                healthHeap.push(due, next)
                return
            }
        }
    }

    /// Every change of a record goes through here, so the due heap and the urgent queue
    /// know about it (their entries are checked when taken: a superseded one is dropped).
    mutating func store(_ name: String, _ r: Record) {
        records[name] = r
        guard !r.running else { return }
        if r.urgent != nil, urgentSet.insert(name).inserted { urgentQueue.append(name) }
        if let due = r.due { dueHeap.push(due, name) }
        if let due = r.healthDue { healthHeap.push(due, name) }
    }

    private mutating func nextUrgent() -> String? {
        while let name = urgentQueue.first {
            if let r = records[name], r.urgent != nil, !r.running { return name }
            urgentQueue.removeFirst()
            urgentSet.remove(name)
        }
        return nil
    }

    private mutating func nextDue() -> (due: Date, name: String)? {
        while let top = dueHeap.top {
            if let r = records[top.name], !r.running, r.due == top.due { return top }
            dueHeap.pop()
        }
        return nil
    }
}
