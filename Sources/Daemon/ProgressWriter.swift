import Foundation
import State
import Sync
import Synchronization

/// The status's `progress` while an app is `syncing`: the stage and how far it is, written
/// at most four times a second, and only once the sync has run a quarter of a second (a
/// small sync writes nothing more than before). Closed before the look writes its outcome:
/// no progress write can land after it.
final class ProgressWriter: Sendable {
    typealias Stage = StatusDocument.Progress.Stage
    private struct State {
        var open = true
        var last: ContinuousClock.Instant
    }
    private let state: Mutex<State>
    private let base: StatusDocument
    private let write: @Sendable (StatusDocument) -> Void
    private let now: @Sendable () -> Date
    static let interval = Duration.milliseconds(250)

    /// `base`: the `syncing` status just written.
    init(base: StatusDocument, now: @escaping @Sendable () -> Date, write: @escaping @Sendable (StatusDocument) -> Void)
    {
        self.base = base
        self.now = now
        self.write = write
        state = Mutex(State(last: ContinuousClock.now))
    }

    func report(_ stage: Stage, done: Int, total: Int?, unit: StatusDocument.Progress.Unit) {
        state.withLock { s in
            let t = ContinuousClock.now
            guard s.open, t - s.last >= Self.interval else { return }
            s.last = t
            var doc = base
            doc.progress = .init(stage: stage, done: done, total: total, unit: unit, updatedAt: now())
            // Under the lock: progress writes are in order, and none follows `close`.
            write(doc)
        }
    }

    /// What the fetch tells (objects received of the total).
    var fetch: @Sendable (Int, Int) -> Void {
        { [self] received, total in report(.fetch, done: received, total: total > 0 ? total : nil, unit: .objects) }
    }

    /// What the apply tells, by stage.
    var apply: ApplyProgress {
        ApplyProgress { [self] stage, done, total in
            switch stage {
            case .check: report(.check, done: done, total: total, unit: .steps)
            case .build: report(.build, done: done, total: total, unit: .steps)
            case .deploy: report(.deploy, done: done, total: total, unit: .steps)
            case .static: report(.static, done: done, total: total, unit: .files)
            case .prune: report(.prune, done: done, total: total, unit: .files)
            }
        }
    }

    func close() { state.withLock { $0.open = false } }
}
