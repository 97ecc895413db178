import Foundation
import MetricsTestKit
import State
import Testing
import Toolkit

@testable import Daemon

/// The scheduler's rules, by moving time: no look runs, no clock is read, nothing sleeps.
@Suite struct SchedulerTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    /// No jitter (random 0.5), retries from 10 s, polls every 60 s, grace 30 s.
    func scheduler(looks: Int = 32, namespaceLooks: Int = 4) -> Scheduler {
        Scheduler(
            configuration: .init(
                looks: looks, namespaceLooks: namespaceLooks, removalGrace: 30,
                policy: SchedulePolicy(retryMin: 10, jitter: 0.1), defaultPollInterval: 300),
            random: { 0.5 })
    }

    let spec = Scheduler.Spec(namespace: "web", pollInterval: 60)

    @Test func aRegistrationIsLookedAtOnceThenPolledAtItsInterval() {
        var s = scheduler()
        s.register("a", spec: spec, trigger: .startup)
        let first = s.next(now: t0)
        #expect(first.map(\.name) == ["a"])
        #expect(first[0].trigger == .startup)
        #expect(first[0].next == .init(poll: at(60), retry: at(10)))
        #expect(s.next(now: t0).isEmpty)  // never twice at once
        s.finished("a", .synced)
        #expect(s.wake(now: at(1)) == at(60))
        #expect(s.next(now: at(59)).isEmpty)
        let poll = s.next(now: at(60))
        #expect(poll.map(\.trigger) == [.poll])
    }

    @Test func pollsDueCloseTogetherRunOnOneWakeup() {
        var s = scheduler()
        s.register("a", spec: spec, trigger: .startup)
        s.register("b", spec: spec, trigger: .startup)
        _ = s.next(now: t0)
        s.finished("a", .unchanged)
        _ = s.next(now: at(0.2))  // nothing due
        // b's look ended 0.2 s later: both polls fall within 2% of 60 s (max 250 ms).
        s.finished("b", .unchanged)
        #expect(s.due("b") == at(60))
        #expect(s.next(now: at(60)).map(\.name).sorted() == ["a", "b"])
    }

    @Test func backoffGrowsFromTheMinimumAndIsCappedAtTheInterval() {
        var s = scheduler()
        s.register("a", spec: spec, trigger: .startup)
        var now = t0
        var delays: [Double] = []
        for _ in 0..<6 {
            let launch = s.next(now: now)
            #expect(launch.count == 1)
            s.finished("a", .retryable)
            let due = s.due("a")!
            delays.append(due.timeIntervalSince(now))
            now = due
        }
        #expect(delays == [10, 20, 40, 60, 60, 60])
        #expect(s.failures("a") == 6)
        #expect(s.next(now: now).first?.trigger == .retry)
        s.finished("a", .synced)
        #expect(s.failures("a") == 0)
    }

    @Test func aBurstOfTriggersDuringALookCoalescesIntoOneMore() {
        var s = scheduler()
        s.register("a", spec: spec, trigger: .startup)
        #expect(s.next(now: t0).count == 1)
        for _ in 0..<5 { #expect(s.request("a") == .queued) }
        s.register("a", spec: spec, trigger: .registration)
        #expect(s.next(now: at(1)).isEmpty)  // still running
        s.finished("a", .synced)
        let again = s.next(now: at(2))
        #expect(again.count == 1)
        #expect(s.next(now: at(2)).isEmpty)
        s.finished("a", .synced)
        #expect(s.next(now: at(3)).isEmpty)
    }

    @Test func aRemovedRegistrationIsUndeployedAfterTheGrace() {
        var s = scheduler()
        s.register("a", spec: spec, trigger: .startup)
        _ = s.next(now: t0)
        s.finished("a", .synced)
        #expect(s.remove("a", now: at(5)) == at(35))
        #expect(s.next(now: at(34)).isEmpty)
        let undeploy = s.next(now: at(35))
        #expect(undeploy.map(\.kind) == [.undeploy])
        #expect(undeploy.first?.trigger == .removal)
        s.undeployFinished("a", done: true, now: at(36))
        #expect(!s.knows("a"))
    }

    @Test func aRegistrationBackWithinTheGraceUndeploysNothing() {
        var s = scheduler()
        s.register("a", spec: spec, trigger: .startup)
        _ = s.next(now: t0)
        s.finished("a", .synced)
        s.remove("a", now: at(5))
        s.register("a", spec: spec, trigger: .registration)
        let back = s.next(now: at(10))
        #expect(back.map(\.kind) == [.look])
        #expect(back.first?.trigger == .registration)
        s.finished("a", .synced)
        #expect(s.next(now: at(40)).isEmpty)  // the grace's end passes without an undeploy
    }

    @Test func aFailedUndeployIsRetriedWithBackoff() {
        var s = scheduler()
        s.register("a", spec: spec, trigger: .startup)
        _ = s.next(now: t0)
        s.finished("a", .synced)
        s.remove("a", now: t0)
        _ = s.next(now: at(30))
        s.undeployFinished("a", done: false, now: at(31))
        #expect(s.due("a") == at(41))
        #expect(s.next(now: at(41)).map(\.kind) == [.undeploy])
    }

    @Test func manualApplicationsSyncOnlyOnRequest() {
        var s = scheduler()
        let manual = Scheduler.Spec(namespace: "web", pollInterval: 60, automated: false)
        s.register("m", spec: manual, trigger: .startup)
        #expect(s.next(now: t0).isEmpty)
        s.register("m", spec: manual, trigger: .registration)
        #expect(s.next(now: at(1)).isEmpty)
        #expect(s.request("m") == .queued)
        let asked = s.next(now: at(2))
        #expect(asked.map(\.trigger) == [.request])
        #expect(asked.first?.force == true)
        #expect(asked.first?.next.poll == nil)  // no polls after it
        s.finished("m", .retryable)
        #expect(s.due("m") != nil)  // its retries do run
        s.finished("m", .synced)
    }

    @Test func requestsForUnknownOrUnusableApplications() {
        var s = scheduler()
        #expect(s.request("ghost") == .keep)
        s.unusable("broken")
        #expect(s.request("broken") == .discard)
        s.register("a", spec: spec, trigger: .startup)
        _ = s.next(now: t0)
        s.finished("a", .synced)
        s.remove("a", now: at(1))
        #expect(s.request("a") == .discard)
    }

    @Test func oneNamespaceHoldsAtMostItsShareOfLooks() {
        var s = scheduler(looks: 8, namespaceLooks: 2)
        for i in 0..<10 { s.register("slow\(i)", spec: .init(namespace: "slow", pollInterval: 60), trigger: .startup) }
        let first = s.next(now: t0)
        #expect(first.count == 2)
        s.register("fast", spec: .init(namespace: "fast", pollInterval: 60), trigger: .registration)
        #expect(s.next(now: at(1)).map(\.name) == ["fast"])
        // One of slow's looks ends: the next parked one of slow goes.
        s.finished(first[0].name, .retryable)
        let next = s.next(now: at(2))
        #expect(next.count == 1)
        #expect(next.first?.name.hasPrefix("slow") == true)
        #expect(next.first?.name != first[0].name)
    }

    @Test func aParkedApplicationThatWentAwayDoesNotStrandTheOthers() {
        var s = scheduler(looks: 8, namespaceLooks: 1)
        for name in ["a", "b", "c"] { s.register(name, spec: spec, trigger: .startup) }
        let first = s.next(now: t0)
        #expect(first.count == 1)
        // A parked one loses its registration while it waits.
        let parkedGone = ["a", "b", "c"].first { $0 != first[0].name }!
        s.unusable(parkedGone)
        s.finished(first[0].name, .synced)
        let next = s.next(now: at(1))
        #expect(next.count == 1)
        #expect(next.first.map { $0.name != parkedGone && $0.name != first[0].name } == true)
    }

    @Test func aSuspendedApplicationIsLookedAtButNotScheduledAgain() {
        var s = scheduler()
        s.register("z", spec: .init(namespace: "web", pollInterval: 60, suspended: true), trigger: .startup)
        #expect(s.next(now: t0).count == 1)
        s.finished("z", .suspended)
        #expect(s.due("z") == nil)
        #expect(s.wake(now: at(1)) == nil)
    }

    /// A spec with a phase polls on its grid (the jittered time is not used).
    @Test func aPhasedSpecPollsOnItsGrid() {
        var s = scheduler()
        var phased = spec
        phased.phase = 0.5
        s.register("a", spec: phased, trigger: .startup)
        let now = Date(timeIntervalSince1970: 1_800_000_010)  // 10 s past a multiple of 60
        let first = s.next(now: now)
        // The grid point nearest to now + 60 is 30 s past a multiple: 1_800_000_090 is 20 s
        // beyond now + 60, so the poll moves as far as the jitter allows (66 s).
        #expect(first.first?.next.poll == now.addingTimeInterval(66))
    }
}

@Suite struct DaemonMetricsTests {
    @Test func looksAreCountedByApplicationNamespaceAndResult() throws {
        let test = TestMetrics()
        let metrics = DaemonMetrics(factory: test)
        metrics.sync(app: "a", namespace: "web", ending: .synced, seconds: 0.25)
        metrics.sync(app: "a", namespace: "web", ending: .unchanged, seconds: nil)
        metrics.sync(app: "a", namespace: "web", ending: .retryable, seconds: 1)
        // The per-application series are kept apart from the registry (AppSeries).
        #expect(metrics.apps.count(app: "a", result: "synced") == 1)
        #expect(metrics.apps.count(app: "a", result: "error") == 1)
        #expect(metrics.apps.count(app: "a", result: "unchanged") == 1)
        #expect(metrics.apps.durations(app: "a").count == 2 && metrics.apps.durations(app: "a").sum == 1.25)
        let text = metrics.apps.text()
        for line in [
            "# TYPE zerverless_gitops_syncs_total counter",
            #"zerverless_gitops_syncs_total{app="a",namespace="web",result="synced"} 1"#,
            #"zerverless_gitops_syncs_total{app="a",namespace="web",result="unchanged"} 1"#,
            "# TYPE zerverless_gitops_sync_duration_seconds histogram",
            #"zerverless_gitops_sync_duration_seconds_bucket{app="a",namespace="web",le="0.1"} 0"#,
            #"zerverless_gitops_sync_duration_seconds_bucket{app="a",namespace="web",le="0.25"} 1"#,
            #"zerverless_gitops_sync_duration_seconds_bucket{app="a",namespace="web",le="1.0"} 2"#,
            #"zerverless_gitops_sync_duration_seconds_bucket{app="a",namespace="web",le="+Inf"} 2"#,
            #"zerverless_gitops_sync_duration_seconds_sum{app="a",namespace="web"} 1.25"#,
            #"zerverless_gitops_sync_duration_seconds_count{app="a",namespace="web"} 2"#,
        ] {
            #expect(text.contains(line + "\n"), "\(line)\n\(text)")
        }
        #expect(!text.contains(#"result="suspended""#))
        // A removed application's series go with it.
        metrics.apps.forget("a")
        #expect(metrics.apps.text() == "" && metrics.apps.applications == 0)
        // An application moved to another namespace starts again there.
        metrics.apps.record(app: "b", namespace: "x", result: "synced", seconds: nil)
        metrics.apps.record(app: "b", namespace: "y", result: "synced", seconds: nil)
        #expect(metrics.apps.count(app: "b", result: "synced") == 1)
        #expect(metrics.apps.text().contains(#"{app="b",namespace="y",result="synced"} 1"#))
        metrics.gitRequest(kind: "head", ok: false, since: .now)
        #expect(
            try test.expectCounter("zerverless_gitops_git_requests_total", [("kind", "head"), ("result", "error")])
                .totalValue == 1)
    }
}

/// Drift passes ask a look that leaves the poll schedule alone and never outranks a real trigger.
@Suite struct DriftSchedulingTests {
    @Test func aDriftCheckKeepsThePollDueAndYieldsToRequests() {
        var s = Scheduler(configuration: .init(), random: { 0.5 })
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        s.register("a", spec: .init(namespace: "ns", pollInterval: 300), trigger: .startup)
        let first = s.next(now: t0)
        #expect(first.map(\.trigger) == [.startup])
        s.finished("a", .synced)
        let due = s.due("a")
        #expect(due != nil)
        // A drift pass: launched at once as a drift check; the poll stays where it was.
        let asked = s.requestDrift("a")
        #expect(asked)
        let drift = s.next(now: t0.addingTimeInterval(10))
        #expect(drift.map(\.kind) == [.drift])
        let again = s.requestDrift("a")
        #expect(!again, "not twice while one runs")
        s.finished("a", .unchanged)
        #expect(s.due("a") == due)
        // A request pending: the drift pass does not replace it.
        let queued = s.request("a")
        #expect(queued == .queued)
        let displaced = s.requestDrift("a")
        #expect(!displaced)
        let afterRequest = s.next(now: t0.addingTimeInterval(20))
        #expect(afterRequest.map(\.trigger) == [.request])
        s.finished("a", .unchanged)
        // A suspended app is not checked.
        s.register("b", spec: .init(namespace: "ns", pollInterval: 300, suspended: true), trigger: .startup)
        let suspended = s.requestDrift("b")
        #expect(!suspended)
        // A manual app is checked (drift is not a sync of a new commit).
        s.register("c", spec: .init(namespace: "other", pollInterval: 300, automated: false), trigger: .startup)
        _ = s.next(now: t0.addingTimeInterval(30))
        let manual = s.requestDrift("c")
        #expect(manual)
        let manualLaunch = s.next(now: t0.addingTimeInterval(31))
        #expect(manualLaunch.contains { $0.name == "c" && $0.kind == .drift })
    }
}
