import Synchronization

/// How far an apply is, for the status while `syncing`: each stage's items done of its
/// total (functions checked, deployed, built; static files uploaded; deletions). Called
/// from the apply's tasks, often: the receiver bounds what it does with it.
public struct ApplyProgress: Sendable {
    public enum Stage: String, Sendable { case check, build, deploy, `static`, prune }
    public let report: @Sendable (Stage, _ done: Int, _ total: Int) -> Void

    public init(_ report: @escaping @Sendable (Stage, Int, Int) -> Void) { self.report = report }
}

/// Items of one stage done so far (shared by the tasks that do them).
final class StageCount: Sendable {
    private let done = Atomic<Int>(0)
    let stage: ApplyProgress.Stage
    let total: Int
    let progress: ApplyProgress?

    init(_ stage: ApplyProgress.Stage, total: Int, _ progress: ApplyProgress?) {
        self.stage = stage
        self.total = total
        self.progress = progress
        if total > 0 { progress?.report(stage, 0, total) }
    }

    func one() {
        guard let progress else { return }
        let n = done.add(1, ordering: .relaxed).newValue
        progress.report(stage, n, total)
    }
}
