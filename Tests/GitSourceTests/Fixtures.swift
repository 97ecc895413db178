import Foundation
import Manifest
import TestSupport

@testable import GitSource

/// A scratch folder with a repository, its cache root and an app root.
final class Fixture: @unchecked Sendable {
    let dir: TempDir
    let repos: String
    let repo: GitRepo
    let git: GitSource

    init(
        files: [String: String] = [
            "README.md": "hello\n", "app/zerverless.yaml": "x: 1\n", "app/static/index.html": "<h1>hi</h1>\n",
        ]
    ) throws {
        dir = try TempDir("zg-git")
        repos = dir.file("repos")
        try FileManager.default.createDirectory(atPath: repos, withIntermediateDirectories: true)
        repo = try GitRepo(root: repos, name: "repo", files: files)
        git = GitSource(cacheRoot: dir.file("state/cache"))
    }

    func remote(
        _ url: String, auth: Registration.Auth? = nil, timeout: Duration = .seconds(20), allowLocal: Bool = false
    ) throws(GitError) -> Remote {
        guard case .success(let parsed) = RepositoryURL.parse(url) else {
            fatalError("test URL does not parse: \(url)")
        }
        // The test reads the files itself (the daemon reads them through the secrets folder).
        func text(_ file: String?) -> String? { file.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } }
        let credentials = try Credentials.make(
            url: parsed, username: auth?.username, token: text(auth?.tokenFile),
            sshKey: auth?.sshKeyFile.map { ($0, text($0) ?? "") },
            knownHosts: auth?.knownHostsFile.map { ($0, text($0) ?? "") })
        return Remote(url: parsed, credentials: credentials, timeout: timeout, allowLocal: allowLocal)
    }

    func write(_ name: String, _ text: String) throws -> String { try dir.write(name, text) }
}

/// Runs a throwing GitSource call and returns its error (or nil).
func gitError<T>(_ body: () throws -> T) -> GitError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error as? GitError
    }
}
