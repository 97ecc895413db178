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
        switch spec.code {
        case .inline(let text):
            code = text
        case .blob(let path, _):
            do { code = try spec.deployedCode(content) } catch { return .failure(Problem("\(error)")) }
            fileName = RepoPath.display(path)
        case .docker:
            code = spec.image ?? ""
        }
        if spec.runtime != .docker, let checker, let problem = checker.check(spec.runtime, code: code) {
            // Inline code: the line of zerverless.yaml (the code's line inside a `code: |`
            // block); a codeFile: its own line.
            var line = problem.line
            if case .inline = spec.code { line = spec.codePlace?.fileLine(ofCodeLine: problem.line) ?? spec.line }
            let kept = deployed ? "; the previous version stays deployed" : "; it is not deployed"
            return .failure(
                Problem(
                    "syntax error at \(fileName):\(line): \(problem.message)\(kept)", file: fileName, line: line))
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
