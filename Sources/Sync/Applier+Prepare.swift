import Foundation
import Manifest

/// A function's deploy request: its code loaded from the snapshot and checked.
extension Applier {
    /// The request for a function, with its code loaded and checked.
    /// `deployed`: a version of the function is live (the message says it stays).
    func prepare(_ spec: FunctionSpec, namespace: String, commit: String, deployed: Bool) -> Result<
        DeployRequest, Problem
    > {
        var code: String
        var fileName = AppManifest.fileName
        var lineOffset = 0
        switch spec.code {
        case .inline(let text):
            code = text
            lineOffset = spec.line  // the code block starts a little after the entry
        case .blob(let path, _):
            do { code = try spec.deployedCode(content) } catch { return .failure(Problem("\(error)")) }
            fileName = path
        case .docker:
            code = spec.image ?? ""
        }
        if spec.runtime != .docker, let checker, let problem = checker.check(spec.runtime, code: code) {
            let place =
                lineOffset > 0
                ? "\(fileName) (code of the function at line \(lineOffset)), line \(problem.line)"
                : "\(fileName):\(problem.line)"
            let kept = deployed ? "; the previous version stays deployed" : "; it is not deployed"
            return .failure(Problem("syntax error at \(place): \(problem.message)\(kept)"))
        }
        if spec.runtime == .docker { code = spec.image ?? "" }
        return .success(
            DeployRequest(
                namespace: namespace, path: spec.path, runtime: spec.runtime, code: code,
                port: spec.runtime == .docker ? spec.port : nil, app: app, commit: commit))
    }
}

extension Array {
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: Swift.max(1, size)).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
