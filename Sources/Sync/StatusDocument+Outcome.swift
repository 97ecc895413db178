import Manifest
import State
import Toolkit

/// The status document from a sync's outcome: the one place a sync's result becomes
/// functions, static counts and an error.
extension StatusDocument {
    /// The deployment as the inventory and the outcome say: every function the inventory
    /// holds (deployed, or pending when a call was not confirmed, or error), every function
    /// the manifest wants that is not there (conflict, error or pending), the static
    /// files' count and bytes.
    public mutating func record(_ outcome: SyncEngine.Outcome) {
        guard let inventory = outcome.inventory else { return }
        var functions: [Function] = []
        let errors = outcome.report?.functionErrors ?? [:]
        var seen = Set<String>()
        for (path, record) in inventory.functions.sorted(by: { $0.key < $1.key }) {
            seen.insert(path)
            let state: FunctionState = errors[path] != nil ? .error : (record.fingerprint == nil ? .pending : .deployed)
            functions.append(
                .init(
                    path: path, runtime: record.runtime, url: "/\(namespace)\(path)", state: state,
                    message: errors[path]))
        }
        for spec in outcome.desired?.functions ?? [] where !seen.contains(spec.path) {
            seen.insert(spec.path)
            let conflict = outcome.plan?.conflicts.first { $0.kind == "function" && $0.path == spec.path }
            let message = errors[spec.path] ?? conflict.map { "owned by application \($0.owner); not deployed" }
            functions.append(
                .init(
                    path: spec.path, runtime: spec.runtime.rawValue, url: "/\(namespace)\(spec.path)",
                    state: conflict != nil ? .conflict : (message != nil ? .error : .pending), message: message))
        }
        self.functions = functions.sorted { $0.path < $1.path }
        let conflicts = (outcome.plan?.conflicts ?? []).map { c in
            Conflict(
                kind: c.kind == "function" ? .function : .file,
                path: c.kind == "file" ? RepoPath.display(c.path) : c.path, owner: c.owner)
        }
        self.conflicts = conflicts.isEmpty ? nil : conflicts
        let bytes = inventory.files.values.reduce(0) { $0 + $1.size }
        let dir = outcome.manifest?.staticFiles?.dir ?? inventory.synced.map { RepoPath.display($0.staticDir) }
        if let dir, !dir.isEmpty || !inventory.files.isEmpty {
            self.static = .init(dir: dir, files: inventory.files.count, bytes: bytes)
        } else if !inventory.files.isEmpty {
            self.static = .init(dir: self.static?.dir ?? "", files: inventory.files.count, bytes: bytes)
        } else {
            self.static = nil
        }
    }

    /// The failure of an outcome, if any: the errors that stopped it before any change,
    /// else the first failed call (`more` counts the rest). `invalid`: only a change of
    /// input fixes it; otherwise a retry may.
    public static func failure(of outcome: SyncEngine.Outcome) -> (failure: Failure, invalid: Bool)? {
        if let first = outcome.errors.first {
            let more = outcome.errors.count > 1 ? " (and \(outcome.errors.count - 1) more)" : ""
            return (
                Failure(
                    stage: first.stage, message: first.message + more, file: first.file, line: first.line,
                    column: first.column),
                !outcome.errors.contains { $0.retry == .retryable }
            )
        }
        if let report = outcome.report, report.failed { return (failure(of: report), !report.retryable) }
        // Paths another application owns: not synced, retried (with backoff, up to the poll
        // interval) until that application lets go of them.
        if let conflicts = outcome.plan?.conflicts, !conflicts.isEmpty {
            let owners = Set(conflicts.map(\.owner)).sorted()
            let listed =
                conflicts.prefix(5).map {
                    "\($0.kind) \($0.kind == "file" ? RepoPath.display($0.path) : $0.path) (owned by \($0.owner))"
                }
                .joined(separator: ", ") + (conflicts.count > 5 ? " and \(conflicts.count - 5) more" : "")
            return (
                Failure(
                    stage: .deploy,
                    message:
                        "\(conflicts.count) path\(conflicts.count == 1 ? "" : "s") of the manifest belong\(conflicts.count == 1 ? "s" : "") to another application of the namespace: \(listed); they are not deployed. Remove them from this manifest or from \(owners.joined(separator: ", ")), or remove that application; this one is retried and takes them once they are free"
                ),
                false
            )
        }
        return nil
    }

    /// The first failed call of an apply.
    public static func failure(of report: ApplyReport) -> Failure {
        if let (path, failure) = report.functionFailures.sorted(by: { $0.key < $1.key }).first {
            let more = report.functionFailures.count + report.fileFailures.count - 1
            return .init(
                stage: failure.stage,
                message: "\(path): \(failure.message)" + (more > 0 ? " (and \(more) more)" : ""),
                file: failure.file, line: failure.line, column: failure.column)
        }
        let (path, failure) = report.fileFailures.sorted(by: { $0.key < $1.key }).first!
        let more = report.fileFailures.count - 1
        return .init(
            stage: failure.stage,
            message: "\(RepoPath.display(path)): \(failure.message)" + (more > 0 ? " (and \(more) more)" : ""))
    }
}
