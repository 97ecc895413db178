import Foundation
import GitSource
import Manifest
import State
import Synchronization
import TestSupport
import Testing
import Toolkit

@testable import Sync

private let lua = """
        - path: /api/hello
          runtime: lua
          code: |
            function handle(req)
              return {status=200, body="hi"}
            end

    """

private let site: [String: String] = [
    "zerverless.yaml": manifest(functions: lua + "    - {path: /api/py, runtime: python, codeFile: handlers/api.py}\n"),
    "handlers/api.py": "def handle(req):\n    return {'status': 200}\n",
    "static/index.html": "<h1>hi</h1>\n",
    "static/css/style.css": "body{}\n",
]

@Test func createThenUnchangedThenOneChange() async throws {
    let h = try SyncHarness(files: site)
    let first = try await h.sync()
    #expect(first.errors.isEmpty, "\(first.errors)")
    #expect(first.report?.deployed == ["/api/hello", "/api/py"])
    #expect(first.report?.uploaded == 2)
    #expect(h.counting.counts == CountingTarget.Counts(deploy: 2, upload: 2))
    let doc = try #require(try h.functionDoc("/api/hello"))
    #expect(doc["runtime"] as? String == "lua")
    #expect((doc["code"] as? String)?.contains("function handle(req)") == true)
    #expect(doc["app"] as? String == "site")
    #expect(doc["commit"] as? String == (try h.repo.head()))
    #expect(h.published("static/web/css/style.css") == "body{}\n")

    // The same commit again: zero target calls.
    let again = try await h.sync()
    #expect(again.plan?.isEmpty == true)
    #expect(h.counting.counts.total == 0)
    #expect(again.plan?.unchangedFunctions == 2 && again.plan?.unchangedFiles == 2)

    // A new commit that changes one static file: exactly one call.
    try h.repo.commit(["static/index.html": "<h1>hello</h1>\n", "NOTES.md": "unrelated\n"], message: "one file")
    let one = try await h.sync()
    #expect(h.counting.counts == CountingTarget.Counts(upload: 1))
    #expect(one.plan?.files.map(\.reason) == ["content changed"])
    #expect(h.published("static/web/index.html") == "<h1>hello</h1>\n")

    // Code change of a codeFile: one deploy, reason given.
    try h.repo.commit(["handlers/api.py": "def handle(req):\n    return {'status': 201}\n"], message: "py")
    let code = try await h.sync()
    #expect(h.counting.counts == CountingTarget.Counts(deploy: 1))
    #expect(code.plan?.functions.map(\.reason) == ["code changed"])
}

@Test func removedFunctionAndFileArePruned() async throws {
    let h = try SyncHarness(files: site)
    try await h.sync()
    try h.repo.commit(["zerverless.yaml": manifest(functions: lua), "static/css/style.css": nil], message: "remove")
    let out = try await h.sync()
    #expect(out.report?.undeployed == ["/api/py"])
    #expect(out.report?.deletedFiles == 1)
    #expect(try h.functionDoc("/api/py") == nil)
    #expect(h.published("static/web/css/style.css") == nil)
    #expect(!FileManager.default.fileExists(atPath: h.dir.file("published/static/web/css")))  // empty folder removed
    #expect(try h.inventory()?.functions.keys.sorted() == ["/api/hello"])
    #expect(h.counting.counts == CountingTarget.Counts(undeploy: 1, deleteFile: 1))
}

@Test func pruneOffDeletesNothing() async throws {
    let h = try SyncHarness(files: site)
    try await h.sync()
    h.policy.prune = false
    try h.repo.commit(["zerverless.yaml": manifest(functions: lua), "static/css/style.css": nil], message: "remove")
    let out = try await h.sync()
    #expect(out.plan?.keptByPrunePolicy == 2)
    #expect(h.counting.counts.total == 0)
    #expect(try h.functionDoc("/api/py") != nil)
    #expect(h.published("static/web/css/style.css") == "body{}\n")
    // Still owned: turning prune back on deletes them.
    h.policy.prune = true
    let later = try await h.sync()
    #expect(later.report?.undeployed == ["/api/py"])
}

@Test func allowEmptyGuardsAgainstDeletingEverything() async throws {
    let h = try SyncHarness(files: site)
    try await h.sync()
    try h.repo.commit(["zerverless.yaml": manifest(functions: "", staticDir: nil)], message: "empty")
    let refused = try await h.sync()
    #expect(refused.errors.map(\.stage) == [.prune])
    #expect(
        refused.errors.first?.message.hasPrefix(
            "this sync would delete everything the application has (2 functions, 2 files)") == true)
    #expect(h.counting.counts.total == 0)
    h.policy.allowEmpty = true
    let allowed = try await h.sync()
    #expect(allowed.report?.undeployed.count == 2)
    #expect(try h.inventory()?.isEmpty == true)
}

@Test func twoApplicationsInOneNamespaceConflict() async throws {
    let first = try SyncHarness(app: "first", files: site)
    try await first.sync()
    let firstInventory = try #require(try first.inventory())
    // The second app publishes into the same target folder, same namespace, same paths.
    let second = try SyncHarness(
        app: "second",
        files: [
            "zerverless.yaml": manifest(functions: lua + "    - {path: /other, runtime: lua, code: \"return 1\"}\n"),
            "static/index.html": "<h1>second</h1>\n", "static/own.txt": "mine\n",
        ], target: first.local)
    let others = Ownership(inventories: ["first": firstInventory], namespace: "web", excluding: "second")
    let out = try await second.sync(others: others)
    #expect(
        out.plan?.conflicts.map { "\($0.kind) \($0.path) owned by \($0.owner)" } == [
            "function /api/hello owned by first", "file index.html owned by first",
        ])
    #expect(out.report?.deployed == ["/other"])
    #expect(out.report?.uploaded == 1)
    // Nothing of the first application was touched.
    #expect(first.published("static/web/index.html") == "<h1>hi</h1>\n")
    #expect(try first.functionDoc("/api/hello")?["app"] as? String == "first")
    #expect(try second.inventory()?.files.keys.sorted() == ["own.txt"])
}

/// A target that dies after `limit` successful calls, as a crashing process would stop.
final class CrashingTarget: DeployTarget {
    let inner: any DeployTarget
    let remaining: Mutex<Int>
    init(_ inner: any DeployTarget, after limit: Int) {
        self.inner = inner
        remaining = Mutex(limit)
    }
    func take() throws(TargetError) {
        let ok = remaining.withLock { n -> Bool in
            n -= 1
            return n >= 0
        }
        if !ok { throw TargetError("connection reset (simulated crash)", retryable: true) }
    }
    func deploy(_ r: DeployRequest) async throws(TargetError) {
        try take()
        try await inner.deploy(r)
    }
    func undeploy(namespace: String, path: String) async throws(TargetError) {
        try take()
        try await inner.undeploy(namespace: namespace, path: path)
    }
    func upload(namespace: String, path: String, bytes: [UInt8]) async throws(TargetError) {
        try take()
        try await inner.upload(namespace: namespace, path: path, bytes: bytes)
    }
    func deleteFile(namespace: String, path: String) async throws(TargetError) {
        try take()
        try await inner.deleteFile(namespace: namespace, path: path)
    }
}

@Test func anInterruptedSyncIsFinishedByTheNext() async throws {
    var files = site
    for i in 0..<40 { files["static/f\(i).txt"] = "file \(i)\n" }
    let h = try SyncHarness(files: files)
    h.engine.target = CountingTarget(CrashingTarget(h.local, after: 10))
    let broken = try await h.sync()
    #expect(broken.report?.failed == true && broken.report?.retryable == true)
    let mid = try #require(try h.inventory())
    // Everything attempted is known to the inventory; unconfirmed ones have no id yet.
    let published = try FileManager.default.subpathsOfDirectory(atPath: h.dir.file("published/static/web")).filter {
        !$0.hasSuffix("/") && $0.contains(".")
    }
    for path in published { #expect(mid.files[path] != nil, "\(path) published but unknown to the inventory") }
    #expect(mid.files.values.contains { $0.id == nil })

    h.engine.target = h.counting
    let finished = try await h.sync()
    #expect(finished.report?.failed == false)
    let confirmedBefore =
        mid.files.values.filter { $0.id != nil }.count + mid.functions.values.filter { $0.fingerprint != nil }.count
    #expect(h.counting.counts.total == 44 - confirmedBefore)  // only what was not confirmed
    #expect(try h.inventory()?.files.values.allSatisfy { $0.id != nil } == true)
    let after = try await h.sync()
    #expect(after.plan?.isEmpty == true && h.counting.counts.total == 0)
}

@Test func pathsOutsideTheApplicationAreRefused() async throws {
    let h = try SyncHarness(files: [
        "zerverless.yaml": manifest(functions: "    - {path: /x, runtime: python, codeFile: lib/secret.py}\n"),
        "static/ok.txt": "ok\n", "top.txt": "t",
    ])
    try FileManager.default.createDirectory(atPath: h.repo.work + "/lib", withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(
        atPath: h.repo.work + "/lib/secret.py", withDestinationPath: "../../../etc/passwd")
    try FileManager.default.createSymbolicLink(atPath: h.repo.work + "/static/etc", withDestinationPath: "/etc")
    try FileManager.default.createSymbolicLink(
        atPath: h.repo.work + "/static/top.txt", withDestinationPath: "../top.txt")
    try h.repo.commit([:], message: "links")
    let out = try await h.sync()
    #expect(
        out.errors.map(\.description).sorted() == [
            "static/etc: static: static/etc is a symlink to \"/etc\", an absolute path outside the application's folder",
            "zerverless.yaml:6:7: manifest: function /x: codeFile lib/secret.py is a symlink to \"../../../etc/passwd\", which leaves the application's folder",
        ])
    #expect(h.counting.counts.total == 0)  // nothing applied
}

@Test func aSymlinkInsideTheFolderIsPublishedAsItsTarget() async throws {
    let h = try SyncHarness(files: [
        "zerverless.yaml": manifest(), "static/a.txt": "a\n", "shared/logo.svg": "<svg/>\n",
    ])
    try FileManager.default.createSymbolicLink(
        atPath: h.repo.work + "/static/logo.svg", withDestinationPath: "../shared/logo.svg")
    try h.repo.commit([:], message: "link")
    let out = try await h.sync()
    #expect(out.errors.isEmpty, "\(out.errors)")
    #expect(h.published("static/web/logo.svg") == "<svg/>\n")
}

@Test func overTheLimitIsAnErrorBeforeAnyChange() async throws {
    let h = try SyncHarness(files: [
        "zerverless.yaml": manifest(), "static/big.bin": String(repeating: "x", count: 3000), "static/a.txt": "a",
    ])
    h.engine.limits.staticFileBytes = 2000
    let out = try await h.sync()
    #expect(
        out.errors.map(\.description) == [
            "static/big.bin: static: big.bin is 3000 bytes, over the limit of 2000 for one static file"
        ])
    #expect(h.counting.counts.total == 0)
    h.engine.limits = SyncLimits()
    h.engine.limits.staticFiles = 1
    #expect(try await h.sync().errors.map(\.message) == ["static.dir has 2 files, over the limit of 1"])
}

@Test(.enabled(if: CodeChecker.detect().lua != nil)) func luaSyntaxErrorKeepsThePreviousVersion() async throws {
    let h = try SyncHarness(files: site)
    try await h.sync()
    let broken = lua.replacingOccurrences(of: "    end\n", with: "\n")
    try h.repo.commit(
        [
            "zerverless.yaml": manifest(
                functions: broken + "    - {path: /api/py, runtime: python, codeFile: handlers/api.py}\n"),
            "static/index.html": "<h1>v2</h1>\n",
        ], message: "broken lua")
    let out = try await h.sync()
    let message = try #require(out.report?.functionErrors["/api/hello"])
    // The code's line 3 is a line of zerverless.yaml: the third of the `code: |` block.
    let text = manifest(functions: broken + "    - {path: /api/py, runtime: python, codeFile: handlers/api.py}\n")
    let first = try #require(
        text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex {
            $0.contains("function handle(req)")
        })
    let line = first + 1 + 2
    #expect(message.hasPrefix("syntax error at zerverless.yaml:\(line): "), "\(message)")
    // ... and the status's error names it: file and line, for the page and `status`.
    let failure = try #require(StatusDocument.failure(of: out)?.failure)
    #expect(failure.file == "zerverless.yaml" && failure.line == line, "\(failure)")
    #expect(
        message.contains(
            ": 'end' expected (to close 'function' at line 1) near <eof>; the previous version stays deployed"))
    // The old code is still deployed, the rest of the sync went through.
    #expect((try h.functionDoc("/api/hello")?["code"] as? String)?.contains("end") == true)
    #expect(h.published("static/web/index.html") == "<h1>v2</h1>\n")
}

@Test func pythonSyntaxErrorNamesTheFileAndLine() async throws {
    let h = try SyncHarness(files: site)
    try h.repo.commit(["handlers/api.py": "def handle(req):\n    return {\n"], message: "broken py")
    let out = try await h.sync()
    let message = try #require(out.report?.functionErrors["/api/py"])
    #expect(message.hasPrefix("syntax error at handlers/api.py:2: "), "\(message)")
    let failure = try #require(StatusDocument.failure(of: out)?.failure)
    #expect(failure.file == "handlers/api.py" && failure.line == 2, "\(failure)")
    #expect(message.hasSuffix("; it is not deployed"), "\(message)")  // there was no previous version
    #expect(try h.functionDoc("/api/py") == nil)
    #expect(try h.functionDoc("/api/hello") != nil)
}

@Test func namespaceMustMatchTheRegistration() async throws {
    let h = try SyncHarness(files: ["zerverless.yaml": manifest(namespace: "other"), "static/a.txt": "a"])
    let out = try await h.sync()
    #expect(
        out.errors.map(\.message) == [
            "metadata.namespace is \"other\" but the application is registered in namespace \"web\"; nothing is deployed. Use the registration's namespace"
        ])
    #expect(h.counting.counts.total == 0)
}

@Test func invalidManifestGivesDiagnosticsWithMarks() async throws {
    let h = try SyncHarness(files: [
        "zerverless.yaml": manifest(functions: "    - {path: /x, runtime: node9, code: y}\n")
    ])
    let out = try await h.sync()
    #expect(
        out.errors.map(\.description) == [
            "zerverless.yaml:6:27: manifest: spec.functions[0].runtime: unknown runtime \"node9\"; expected one of lua, python, js, docker"
        ])
}

@Test func dockerWithoutABuilderErrorsThatFunctionOnly() async throws {
    let h = try SyncHarness(files: [
        "zerverless.yaml": manifest(functions: lua + "    - {path: /d, runtime: docker, dockerfile: svc/Dockerfile}\n"),
        "svc/Dockerfile": "FROM scratch\n", "static/a.txt": "a",
    ])
    let out = try await h.sync()
    #expect(
        out.report?.functionErrors["/d"]
            == "no Docker builder on this host (docker, podman or buildah); the function is not deployed")
    #expect(out.report?.deployed == ["/api/hello"])
    let spec = try #require(out.desired?.functions.first { $0.path == "/d" })
    #expect(spec.image?.hasPrefix("zerverless/web/d:") == true)
    #expect(spec.port == 80)
}

@Test func aCodeFileClimbingOutIsRefusedBeforeAnything() async throws {
    let h = try SyncHarness(files: [
        "zerverless.yaml": manifest(functions: "    - {path: /x, runtime: python, codeFile: ../../etc/passwd}\n"),
        "static/a.txt": "a",
    ])
    let out = try await h.sync()
    #expect(
        out.errors.map(\.description) == [
            "zerverless.yaml:6:45: manifest: spec.functions[0].codeFile: \"../../etc/passwd\" climbs out of the repository folder with '..'; paths must stay inside it"
        ])
    #expect(h.counting.counts.total == 0)
}

/// The checkers started ahead (a daemon's) give exactly the verdicts of a checker run on
/// its own: same problems, same lines and messages; node's ES modules and top-level
/// `return` as `node --check` judges them; and a second check finds a fresh process.
@Test(.enabled(if: CodeChecker.detect().python != nil && CodeChecker.detect().node != nil))
func checkersStartedAheadJudgeAsTheCheckerAlone() throws {
    let checker = CodeChecker.detect()
    let starters = checker.starters()
    let cases: [(AppManifest.Runtime, String)] = [
        (.python, "def handle(req):\n    return {'status': 200}\n"),
        (.python, "def handle(req):\n    return {\n"),
        (.python, "x = 'é'\nif x:\n  pass\n   bad\n"),
        (.js, "function handle(req) { return {status: 200}; }\n"),
        (.js, "function f() {\n  return 1 +;\n}\n"),
        (.js, "import x from 'y'\nexport default x\n"),
        (.js, "return 5\n"),
        (.js, "let a = 1;\nlet a = 2;\n"),
    ]
    var decidedAhead = 0
    for (runtime, code) in cases {
        let spare = try #require(starters[runtime]?())
        let alone = checker.checkAlone(runtime, code: code)
        if let ahead = checker.check(runtime, code: code, with: spare) {
            decidedAhead += 1
            #expect(ahead == alone, "\(runtime) \(code): \(String(describing: ahead)) vs \(String(describing: alone))")
        } else {
            #expect(
                runtime == .js && alone != nil || code.hasPrefix("import"),
                "node's fast path refused valid CommonJS: \(code)")
        }
    }
    // Python decides all three; node the two that compile as CommonJS.
    #expect(decidedAhead == 5)
    // And through the daemon's path (the shared spares), the same verdicts.
    _ = checker.warmUp()
    for (runtime, code) in cases {
        #expect(checker.check(runtime, code: code) == checker.checkAlone(runtime, code: code))
    }
}

@Suite(.timeLimit(.minutes(1))) struct NamespaceLocksTests {
    /// One body at a time per namespace; a waiter whose task is cancelled leaves without
    /// running its body, and the lock goes on serving the others.
    @Test func aCancelledWaiterLeavesWithoutRunningItsBody() async throws {
        let locks = NamespaceLocks()
        let inside = Signal()
        let release = Signal()
        let holder = Task {
            try await locks.withLock("ns") {
                inside.signal()
                await release.wait()
                return 1
            }
        }
        await inside.wait()
        let ran = Flag()
        let waiter = Task {
            try await locks.withLock("ns") {
                ran.value.withLock { $0 = true }
                return 2
            }
        }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        release.signal()
        #expect(try await holder.value == 1)
        let didRun = ran.value.withLock { $0 }
        #expect(!didRun)
        #expect(try await locks.withLock("ns") { 3 } == 3)
    }
}

private final class Flag: Sendable {
    let value = Mutex(false)
}
