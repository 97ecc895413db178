import Foundation
import GitSource
import Manifest
import State
import TestSupport
import Toolkit

@testable import Sync

/// A repository, a fetch cache, a local target behind a call counter, and one app's
/// inventory: `sync()` runs the engine the way the daemon will.
final class SyncHarness: @unchecked Sendable {
    let dir: TempDir
    let repo: GitRepo
    let git: GitSource
    let local: LocalTarget
    let counting: CountingTarget
    var engine: SyncEngine
    var policy = Registration.SyncPolicy()
    let app: String
    let namespace: String

    init(app: String = "site", namespace: String = "web", files: [String: String], target: (any DeployTarget)? = nil)
        throws
    {
        dir = try TempDir("zg-sync")
        repo = try GitRepo(root: dir.file("repos"), name: app, files: files)
        git = GitSource(cacheRoot: dir.file("state/cache"))
        local = LocalTarget(root: dir.file("published"))
        counting = CountingTarget(target ?? local)
        engine = SyncEngine(target: counting, checker: CodeChecker.detect())
        self.app = app
        self.namespace = namespace
    }

    var inventoryFile: String { dir.file("state/apps/\(app)/inventory.json") }

    func inventory() throws -> Inventory? { try Inventory.read(inventoryFile) }

    func input(commit: String, others: Ownership = Ownership(), folder: String = ".") -> SyncEngine.Input {
        SyncEngine.Input(
            app: app, namespace: namespace, policy: policy, commit: commit, folder: folder,
            inventoryFile: inventoryFile, others: others)
    }

    func fetch() throws -> (Snapshot, String) {
        guard case .success(let url) = RepositoryURL.parse(repo.bare) else { fatalError() }
        let fetched = try git.fetch(Remote(url: url, allowLocal: true), branch: "main")
        return (try git.open(path: fetched.cache), fetched.commit)
    }

    /// Fetches the branch head and syncs it; counts reset first.
    @discardableResult
    func sync(others: Ownership = Ownership(), folder: String = ".") async throws -> SyncEngine.Outcome {
        let (snapshot, commit) = try fetch()
        counting.reset()
        return await engine.sync(input(commit: commit, others: others, folder: folder), snapshot: snapshot)
    }

    func published(_ path: String) -> String? {
        try? String(contentsOfFile: dir.file("published/\(path)"), encoding: .utf8)
    }

    func functionDoc(_ path: String) throws -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: dir.file("published/functions/\(namespace)\(path).json"))
        else { return nil }
        return try JSONSerialization.jsonObject(with: data) as? [String: Any]
    }
}

func manifest(namespace: String = "web", functions: String = "", staticDir: String? = "static") -> String {
    var text = """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata: {name: site, namespace: \(namespace)}
        spec:

        """
    text += functions.isEmpty ? "  functions: []\n" : "  functions:\n" + functions
    if let staticDir { text += "  static: {dir: \(staticDir)}\n" }
    return text
}
