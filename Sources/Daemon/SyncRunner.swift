import Foundation
import GitSource
import Logging
import Manifest
import State
import Sync

/// What the daemon's workers share: where the state is, how to reach repositories, where
/// to deploy.
public struct SyncContext: Sendable {
    public var layout: StateLayout
    public var git: GitSource
    public var target: any DeployTarget
    /// Names the target in the sync key: a different target means a full sync.
    public var targetID: String
    public var limits: SyncLimits
    public var checker: CodeChecker?
    public var builder: (any ImageBuilder)?
    public var gitTimeout: Duration
    public var allowLocal: Bool
    /// Where registrations' secret files come from (`--secrets-dir`).
    public var secrets: SecretsDir
    /// `--max-repo-size`: the most one repository's fetches and cache may take.
    public var repositorySizeLimit: Int?
    public var defaultPollInterval: Int
    public var schedule: SchedulePolicy
    public var workers: GitWorkers
    /// Head lookups run here, apart from fetches: a hung server holds a lookup thread, not
    /// a fetch worker nor a sync slot.
    public var lookupWorkers = GitWorkers(limit: 32)
    /// `--concurrency` sync slots (fetch, plan, apply), shared fairly between namespaces.
    public var syncSlots: FairSlots
    public var now: @Sendable () -> Date
    public var random: @Sendable () -> Double
    public var logger: Logger
    /// Heads shared by the applications of one repository and branch for a moment.
    public var heads: HeadCache
    public var metrics: MetricsRegistry
    /// Planning and claiming paths is atomic within a namespace.
    public let namespaceLocks = NamespaceLocks()

    public init(layout: StateLayout, target: any DeployTarget, targetID: String, limits: SyncLimits = SyncLimits(),
                checker: CodeChecker? = nil, builder: (any ImageBuilder)? = nil, gitTimeout: Duration = .seconds(60),
                allowLocal: Bool = false, secrets: SecretsDir = SecretsDir(root: SecretsDir.defaultRoot), defaultPollInterval: Int = 300, schedule: SchedulePolicy = SchedulePolicy(),
                workers: GitWorkers = .shared, now: @escaping @Sendable () -> Date = { Date() },
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }, headMaxAge: Duration = .seconds(2),
                metrics: MetricsRegistry = MetricsRegistry(), logger: Logger) {
        self.heads = HeadCache(maxAge: headMaxAge)
        self.syncSlots = FairSlots(total: 4)
        self.metrics = metrics
        self.layout = layout
        self.git = GitSource(cacheRoot: layout.cacheDir)
        self.target = target
        self.targetID = targetID
        self.limits = limits
        self.checker = checker
        self.builder = builder
        self.gitTimeout = gitTimeout
        self.allowLocal = allowLocal
        self.secrets = secrets
        self.defaultPollInterval = defaultPollInterval
        self.schedule = schedule
        self.workers = workers
        self.now = now
        self.random = random
        self.logger = logger
    }

    /// How registrations reach their repositories (credentials under the secrets rule).
    public var access: SourceAccess {
        SourceAccess(secrets: secrets, timeout: gitTimeout, allowLocal: allowLocal, sizeLimit: repositorySizeLimit)
    }

    public func pollInterval(_ registration: Registration) -> Int {
        registration.pollInterval ?? defaultPollInterval
    }

    /// Digest of everything a deployment depends on besides the commit: the registration
    /// (URL redacted), the limits, the target. Same key and same commit as the last
    /// successful sync: nothing to do.
    public func key(_ registration: Registration) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var text = (try? encoder.encode(registration)).map { String(decoding: $0, as: UTF8.self) } ?? "\(registration)"
        text += "|\(limits.codeFileBytes),\(limits.staticFileBytes),\(limits.staticTotalBytes),\(limits.staticFiles)|\(targetID)"
        return SHA1.hex(Array(text.utf8))
    }
}

/// How a look at an application ended, for the supervisor's scheduling.
public struct SyncResult: Sendable {
    public enum Kind: String, Sendable {
        /// Deployed (or nothing to do).
        case synced
        /// Same commit and registration as the last successful sync: only nextSync moved.
        case unchanged
        /// Failed; retried with backoff.
        case retryable
        /// Failed for a reason only a new commit or file fixes (or a git problem that is
        /// retried at the poll interval).
        case stalled
        /// Suspended: nothing done.
        case suspended
    }

    public var kind: Kind
    public var nextSync: Date?
    public var message: String
    /// The status and history as written: the next look starts from them instead of
    /// reading the files again (the daemon is their only writer).
    public var memo: SyncMemo?
}

/// What the last look wrote for one application.
public struct SyncMemo: Sendable {
    public var status: StatusDocument
    public var history: SyncHistory
}

/// One look at one application: head lookup; if anything changed, fetch, plan, apply,
/// and write the inventory, status and history. Runs off the supervisor (many at once).
public struct SyncRunner: Sendable {
    public let context: SyncContext

    public init(context: SyncContext) {
        self.context = context
    }

    var layout: StateLayout { context.layout }

    /// `peers`: the other applications that may own things in this namespace (their
    /// inventories are read for conflicts); nil: every application of the state dir.
    public func sync(_ registration: Registration, file: String, key given: String? = nil, memo: SyncMemo? = nil,
                     peers: (@Sendable () async -> [String])? = nil, trigger: String, force: Bool, failures: Int) async -> SyncResult {
        let started = ContinuousClock.now
        var result = await look(registration, file: file, key: given ?? context.key(registration), memo: memo, peers: peers,
                                trigger: trigger, force: force, failures: failures)
        let outcome: String
        switch result.kind {
        case .synced: outcome = "synced"
        case .unchanged: outcome = "unchanged"
        case .retryable: outcome = "error"
        case .stalled: outcome = "invalid"
        case .suspended: outcome = "suspended"
        }
        let elapsed = ContinuousClock.now - started
        context.metrics.sync(app: registration.name, result: outcome,
                             seconds: result.kind == .unchanged || result.kind == .suspended ? nil
                                 : Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        if result.memo == nil, let status = try? layout.readStatus(registration.name) {
            result.memo = SyncMemo(status: status, history: layout.readHistory(registration.name))
        }
        return result
    }

    private func look(_ registration: Registration, file: String, key: String, memo: SyncMemo?, peers: (@Sendable () async -> [String])?,
                      trigger: String, force: Bool, failures: Int) async -> SyncResult {
        let name = registration.name
        let started = ContinuousClock.now
        let startedAt = context.now()
        let interval = Double(context.pollInterval(registration))
        var history = memo?.history ?? layout.readHistory(name)
        var previous = memo.map { $0.status } ?? (try? layout.readStatus(name))
        if let before = previous, !before.namespace.isEmpty, before.namespace != registration.namespace {
            // The name was another namespace's application (moved, or reused after a
            // removal): none of its status or history is this one's.
            previous = nil
            history = SyncHistory()
        }
        var status = baseStatus(registration, file: file, previous: previous)
        let logger = context.logger

        if registration.syncPolicy.suspend {
            status.status = .suspended
            status.message = "syncPolicy.suspend is true: no syncs"
            status.error = nil
            status.nextSync = nil
            write(status)
            return SyncResult(kind: .suspended, nextSync: nil, message: status.message!)
        }

        func nextPoll() -> Date? {
            registration.syncPolicy.automated ? startedAt.addingTimeInterval(context.schedule.poll(interval: interval, random: context.random())) : nil
        }

        // 1. Credentials, under the secrets rule: a file outside the namespace's secrets
        // folder is never opened, and the registration is invalid until that changes (it
        // is looked at again each poll: the secret may be uploaded meanwhile).
        let remote: Remote
        do throws(SourceAccess.Failure) {
            remote = try context.access.remote(for: registration)
        } catch {
            switch error {
            case .git(let gitError):
                return gitFailure(gitError, registration: registration, status: status, history: &history, trigger: trigger,
                                  failures: failures, started: started, startedAt: startedAt, interval: interval)
            case .secret(let problem):
                status.status = .invalid
                status.lastAttempt = startedAt
                status.error = .init(stage: "registration", message: "spec.source.\(problem.description)", file: file)
                status.message = "registration: spec.source.\(problem.description)"
                status.nextSync = nextPoll()
                history.record(.init(at: startedAt, trigger: trigger, commit: nil, result: "invalid",
                                     durationMs: milliseconds(ContinuousClock.now - started), targetCalls: 0, message: status.message))
                writeHistory(history, name)
                write(status)
                logger.warning("sync", metadata: ["app": "\(name)", "result": "invalid", "trigger": "\(trigger)", "error": "\(status.message!)"])
                return SyncResult(kind: .stalled, nextSync: status.nextSync, message: status.message ?? "",
                                  memo: SyncMemo(status: status, history: history))
            }
        }

        // 2. Head lookup.
        let head: String
        do {
            let r = remote
            let git = context.git
            let branch = registration.source.branch
            let workers = context.lookupWorkers
            let metrics = context.metrics
            // A request or a changed registration asks the server; polls share a moment's answer.
            let fresh = force || trigger == "registration"
            head = try await context.heads.head(HeadCache.key(registration), fresh: fresh) { () async throws(GitError) -> String in
                do throws(GitError) {
                    let commit = try await workers.run { () throws(GitError) -> String in try git.head(r, branch: branch) }
                    metrics.headLookup(ok: true)
                    return commit
                } catch {
                    metrics.headLookup(ok: false)
                    throw error
                }
            }
        } catch {
            return gitFailure(error, registration: registration, status: status, history: &history, trigger: trigger,
                              failures: failures, started: started, startedAt: startedAt, interval: interval)
        }

        // 3. Unchanged since the last successful sync: only nextSync moves.
        if !force, let success = history.lastSuccess, success.commit == head, success.key == key, previous?.status == .synced {
            status.nextSync = nextPoll()
            write(status, durable: false)
            logger.debug("unchanged", metadata: ["app": "\(name)", "commit": "\(head.prefix(12))"])
            return SyncResult(kind: .unchanged, nextSync: status.nextSync, message: status.message ?? "",
                              memo: SyncMemo(status: status, history: history))
        }
        // The same input that stalled last time stalls again: wait for a change.
        if !force, let stalled = history.stalled, stalled.commit == head, stalled.key == key, previous?.status == .invalid {
            status.nextSync = nextPoll()
            write(status, durable: false)
            return SyncResult(kind: .stalled, nextSync: status.nextSync, message: status.message ?? "",
                              memo: SyncMemo(status: status, history: history))
        }

        // 4. A real sync, in one of the sync slots (fair between namespaces).
        await context.syncSlots.acquire(registration.namespace)
        defer { context.syncSlots.release(registration.namespace) }
        status.status = .syncing
        status.lastAttempt = startedAt
        status.message = "syncing \(head.prefix(12))"
        status.nextSync = nil
        write(status)

        let counting = CountingTarget(context.target)
        var engine = SyncEngine(target: counting, limits: context.limits, checker: context.checker, builder: context.builder)
        engine.parallelism = 8
        engine.locks = context.namespaceLocks
        let outcome: SyncEngine.Outcome
        do throws(GitError) {
            let git = context.git
            let branch = registration.source.branch
            let fetched: GitSource.FetchResult
            do throws(GitError) {
                fetched = try await context.workers.run { () throws(GitError) -> GitSource.FetchResult in
                    try git.fetch(remote, branch: branch, want: head)
                }
                context.metrics.fetch(ok: true, transferred: fetched.transferred)
            } catch {
                context.metrics.fetch(ok: false, transferred: false)
                throw error
            }
            let snapshot = try git.open(path: fetched.cache)
            let peerNames = await peers?()
            let namespace = registration.namespace
            let input = SyncEngine.Input(app: name, namespace: namespace, policy: registration.syncPolicy,
                                         commit: fetched.commit, folder: registration.source.path,
                                         inventoryFile: layout.inventoryFile(name),
                                         ownership: { [self] in ownership(excluding: name, namespace: namespace, among: peerNames) })
            outcome = await engine.sync(input, snapshot: snapshot)
        } catch {
            return gitFailure(error, registration: registration, status: status, history: &history, trigger: trigger,
                              failures: failures, started: started, startedAt: startedAt, interval: interval, commit: head)
        }
        let calls = counting.counts.total
        let elapsed = milliseconds(ContinuousClock.now - started)

        // 5. Outcome -> status.
        var kind: SyncResult.Kind
        var failure: StatusDocument.Failure?
        if let first = outcome.errors.first {
            kind = outcome.errors.contains { $0.retry == .retryable } ? .retryable : .stalled
            let more = outcome.errors.count > 1 ? " (and \(outcome.errors.count - 1) more)" : ""
            failure = StatusDocument.Failure(stage: first.stage.rawValue, message: first.message + more,
                                             file: first.file, line: first.line, column: first.column)
        } else if let report = outcome.report, report.failed {
            kind = report.retryable ? .retryable : .stalled
            failure = reportFailure(report)
        } else {
            kind = .synced
        }
        fillDeployment(&status, outcome: outcome, namespace: registration.namespace)
        status.lastAttempt = startedAt
        switch kind {
        case .synced:
            status.status = .synced
            status.error = nil
            status.source.commit = head
            status.lastSync = startedAt
            status.message = summary(status)
            status.nextSync = nextPoll()
            history.lastSuccess = .init(commit: head, key: key, at: startedAt)
            history.stalled = nil
        case .retryable:
            status.status = .error
            status.error = failure
            status.message = failure.map { "\($0.stage): \($0.message)" }
            status.nextSync = registration.syncPolicy.automated || trigger == "request"
                ? startedAt.addingTimeInterval(context.schedule.backoff(failures: failures + 1, interval: interval, random: context.random()))
                : nil
        default:
            status.status = .invalid
            status.error = failure
            status.message = failure.map { "\($0.stage): \($0.message)" }
            status.nextSync = nextPoll()
            history.stalled = .init(commit: head, key: key, at: startedAt)
        }
        history.record(.init(at: startedAt, trigger: trigger, commit: head, result: status.status.rawValue,
                             durationMs: elapsed, targetCalls: calls, message: status.message))
        writeHistory(history, name)
        write(status)
        var meta: Logger.Metadata = ["app": "\(name)", "commit": "\(head.prefix(12))", "result": "\(status.status.rawValue)",
                                     "duration_ms": "\(elapsed)", "target_calls": "\(calls)", "trigger": "\(trigger)",
                                     "plan": "\(outcome.path.rawValue)"]
        if let failure { meta["error"] = "\(failure.stage): \(failure.message)" }
        if kind == .synced { logger.info("sync", metadata: meta) } else { logger.warning("sync", metadata: meta) }
        return SyncResult(kind: kind, nextSync: status.nextSync, message: status.message ?? "",
                          memo: SyncMemo(status: status, history: history))
    }

    /// Undeploys everything the application's inventory holds, then removes its state.
    public func undeploy(name: String, trigger: String) async -> (done: Bool, message: String) {
        let started = ContinuousClock.now
        let inventory: Inventory
        do {
            inventory = try Inventory.read(layout.inventoryFile(name)) ?? Inventory(namespace: "")
        } catch {
            return (false, "cannot read the inventory: \(error)")
        }
        let counting = CountingTarget(context.target)
        let engine = SyncEngine(target: counting, limits: context.limits)
        let file = layout.inventoryFile(name)
        let report = inventory.isEmpty ? nil
            : await context.namespaceLocks.withLock(inventory.namespace) { await engine.undeployAll(app: name, inventory: inventory, inventoryFile: file) }
        if let report, report.failed {
            let message = reportFailure(report).message
            context.logger.warning("undeploy", metadata: ["app": "\(name)", "result": "error", "error": "\(message)", "target_calls": "\(counting.counts.total)"])
            return (false, message)
        }
        let calls = counting.counts.total
        layout.removeApp(name)
        try? FileManager.default.removeItem(atPath: layout.requestFile(name))
        context.logger.info("undeploy", metadata: ["app": "\(name)", "result": "undeployed", "trigger": "\(trigger)",
                                                   "duration_ms": "\(milliseconds(ContinuousClock.now - started))", "target_calls": "\(calls)"])
        return (true, "undeployed")
    }

    // MARK: Status documents

    /// The status document carried over from the last one, with this registration's source.
    func baseStatus(_ registration: Registration, file: String, previous: StatusDocument?) -> StatusDocument {
        var status = previous ?? StatusDocument(name: registration.name, namespace: registration.namespace,
                                                source: .init(repoURL: "", branch: "", path: ""), status: .pending)
        status.name = registration.name
        status.namespace = registration.namespace
        let commit = status.source.commit
        status.source = .init(repoURL: registration.source.repoURL.redacted, branch: registration.source.branch,
                              path: registration.source.path, commit: commit)
        status.registrationFile = file
        return status
    }

    /// Writes the status document of a registration the daemon cannot sync (invalid,
    /// duplicate, pending, deleting).
    public func writeStatus(name: String, phase: StatusDocument.Phase, registration: Registration?, file: String?,
                            message: String, failure: StatusDocument.Failure?, nextSync: Date?) {
        var status = (try? layout.readStatus(name)) ?? StatusDocument(name: name, namespace: registration?.namespace ?? "",
                                                                    source: .init(repoURL: "", branch: "", path: ""), status: phase)
        if let registration {
            status = baseStatus(registration, file: file ?? "", previous: status)
        }
        status.status = phase
        status.message = message
        status.error = failure
        status.nextSync = nextSync
        if let file { status.registrationFile = file }
        write(status)
    }

    func fillDeployment(_ status: inout StatusDocument, outcome: SyncEngine.Outcome, namespace: String) {
        guard let inventory = outcome.inventory else { return }
        var functions: [StatusDocument.Function] = []
        let errors = outcome.report?.functionErrors ?? [:]
        var seen = Set<String>()
        for (path, record) in inventory.functions.sorted(by: { $0.key < $1.key }) {
            seen.insert(path)
            var state = record.fingerprint == nil ? "pending" : "deployed"
            if errors[path] != nil { state = "error" }
            functions.append(.init(path: path, runtime: record.runtime, url: "/\(namespace)\(path)", state: state, message: errors[path]))
        }
        for spec in outcome.desired?.functions ?? [] where !seen.contains(spec.path) {
            seen.insert(spec.path)
            let conflict = outcome.plan?.conflicts.first { $0.kind == "function" && $0.path == spec.path }
            let message = errors[spec.path] ?? conflict.map { "owned by application \($0.owner); not deployed" }
            functions.append(.init(path: spec.path, runtime: spec.runtime.rawValue, url: "/\(namespace)\(spec.path)",
                                   state: conflict != nil ? "conflict" : (message != nil ? "error" : "pending"), message: message))
        }
        status.functions = functions.sorted { $0.path < $1.path }
        let dir = outcome.manifest?.staticFiles?.dir ?? inventory.synced?.staticDir
        if let dir, !dir.isEmpty || !inventory.files.isEmpty {
            status.static = .init(dir: dir, files: inventory.files.count, bytes: inventory.files.values.reduce(0) { $0 + $1.size })
        } else if !inventory.files.isEmpty {
            status.static = .init(dir: status.static?.dir ?? "", files: inventory.files.count, bytes: inventory.files.values.reduce(0) { $0 + $1.size })
        } else {
            status.static = nil
        }
    }

    func summary(_ status: StatusDocument) -> String {
        let f = status.functions.count
        let s = status.static?.files ?? 0
        return "\(f) function\(f == 1 ? "" : "s"), \(s) static file\(s == 1 ? "" : "s")"
    }

    func reportFailure(_ report: ApplyReport) -> StatusDocument.Failure {
        if let (path, message) = report.functionErrors.sorted(by: { $0.key < $1.key }).first {
            let more = report.functionErrors.count + report.fileErrors.count - 1
            let stage = message.hasPrefix("undeploy") ? "prune" : "deploy"
            return .init(stage: stage, message: "\(path): \(message)" + (more > 0 ? " (and \(more) more)" : ""))
        }
        let (path, message) = report.fileErrors.sorted(by: { $0.key < $1.key }).first!
        let more = report.fileErrors.count - 1
        return .init(stage: "static", message: "\(path): \(message)" + (more > 0 ? " (and \(more) more)" : ""))
    }

    private func gitFailure(_ error: GitError, registration: Registration, status start: StatusDocument, history: inout SyncHistory,
                            trigger: String, failures: Int, started: ContinuousClock.Instant, startedAt: Date, interval: Double,
                            commit: String? = nil) -> SyncResult {
        var status = start
        let retryable = error.retry == .retryable
        status.status = .error
        status.lastAttempt = startedAt
        status.error = .init(stage: "fetch", message: error.description)
        status.message = "fetch: \(error.description)"
        // Retryable: exponential backoff. Otherwise (authentication, missing branch):
        // nothing in the files may have to change (a token rotates, a branch is pushed),
        // so it is looked at again at the poll interval.
        let delay = retryable
            ? context.schedule.backoff(failures: failures + 1, interval: interval, random: context.random())
            : context.schedule.poll(interval: interval, random: context.random())
        status.nextSync = registration.syncPolicy.automated || retryable ? startedAt.addingTimeInterval(delay) : nil
        let elapsed = milliseconds(ContinuousClock.now - started)
        history.record(.init(at: startedAt, trigger: trigger, commit: commit, result: "error", durationMs: elapsed, targetCalls: 0,
                             message: status.message))
        writeHistory(history, registration.name)
        write(status)
        context.logger.warning("sync", metadata: ["app": "\(registration.name)", "result": "error", "duration_ms": "\(elapsed)",
                                                  "target_calls": "0", "trigger": "\(trigger)", "error": "\(error.description)"])
        return SyncResult(kind: .retryable, nextSync: status.nextSync, message: status.message ?? "",
                          memo: SyncMemo(status: status, history: history))
    }

    /// Other applications' inventories of the namespace: what this one must not touch.
    func ownership(excluding name: String, namespace: String, among peers: [String]? = nil) -> Ownership {
        var inventories: [String: Inventory] = [:]
        let candidates = peers ?? (try? FileManager.default.contentsOfDirectory(atPath: layout.appsDir)) ?? []
        for other in candidates where other != name && !other.hasPrefix(".") {
            if let inventory = try? Inventory.read(layout.inventoryFile(other)), inventory.namespace == namespace {
                inventories[other] = inventory
            }
        }
        return Ownership(inventories: inventories, namespace: namespace, excluding: name)
    }

    func write(_ status: StatusDocument, durable: Bool = true) {
        do {
            try layout.writeStatus(status, durable: durable)
        } catch {
            context.logger.error("cannot write the status", metadata: ["app": "\(status.name)", "error": "\(error)"])
        }
    }

    func writeHistory(_ history: SyncHistory, _ name: String) {
        do {
            try layout.writeHistory(history, of: name)
        } catch {
            context.logger.error("cannot write the history", metadata: ["app": "\(name)", "error": "\(error)"])
        }
    }
}

func milliseconds(_ d: Duration) -> Int {
    Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
}
