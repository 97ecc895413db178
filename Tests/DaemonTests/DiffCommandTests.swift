import Foundation
import TestSupport
import Testing

/// `zerverless-gitops diff`, the built binary against what a real daemon deployed from git
/// daemon: on the local target, and read back from the orchestrator (the contract server).
@Suite(.serialized) struct DiffCommandTests {
    static let manifest = """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata: {name: site, namespace: web}
        spec:
          functions:
            - {path: /hello, runtime: lua, codeFile: fn/hello.lua}
            - {path: /gone, runtime: lua, code: "function handle(req) return {status = 410} end"}
          static: {dir: static}

        """

    static func hello(_ b: Int) -> String {
        "function handle(req)\n  local a = 1\n  local b = \(b)\n  local c = 3\n  return {status = 200, body = \"hello\"}\nend\n"
    }

    static let first: [String: String] = [
        "zerverless.yaml": manifest, "fn/hello.lua": hello(2), "static/index.html": "<h1>hi</h1>\n<p>one</p>\n",
        "static/old.txt": "old\n", "static/logo.png": "PNG\u{0}\u{1}\u{2}",
    ]

    /// A new commit: a function's code and a static file changed, a function and a file
    /// added, a function and a file removed, a binary file changed.
    static let second: [String: String?] = [
        "zerverless.yaml": manifest.replacingOccurrences(
            of: "    - {path: /gone, runtime: lua, code: \"function handle(req) return {status = 410} end\"}",
            with: "    - {path: /added, runtime: python, code: \"print(1)\"}"),
        "fn/hello.lua": hello(5), "static/index.html": "<h1>hi</h1>\n<p>two</p>\n", "static/old.txt": nil,
        "static/new.css": "body {}\n", "static/logo.png": "PNG\u{0}\u{1}\u{3}\u{4}",
    ]

    static func registration(_ url: String) -> String {
        "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: site, namespace: web}\nspec:\n  source:\n    repoURL: \"\(url)\"\n  pollInterval: 1h\n"
    }

    /// The hunks between the first and the second commit, from `side` ("deployed", or the
    /// label of the last synced commit) to the next sync.
    static func hunks(logo: (String, String)) -> String {
        """
        function /added: new (python)
        --- /dev/null
        +++ next/functions/added
        @@ -0,0 +1 @@
        +print(1)
        \\ No newline at end of file
        function /gone: deleted (lua)
        --- deployed/functions/gone
        +++ /dev/null
        @@ -1 +0,0 @@
        -function handle(req) return {status = 410} end
        \\ No newline at end of file
        function /hello: changed (lua)
        --- deployed/functions/hello
        +++ next/functions/hello
        @@ -1,6 +1,6 @@
         function handle(req)
           local a = 1
        -  local b = 2
        +  local b = 5
           local c = 3
           return {status = 200, body = "hello"}
         end
        file index.html: changed (23 -> 23 bytes)
        --- deployed/static/index.html
        +++ next/static/index.html
        @@ -1,2 +1,2 @@
         <h1>hi</h1>
        -<p>one</p>
        +<p>two</p>
        file logo.png: changed (6 -> 7 bytes)
        Binary files deployed/static/logo.png and next/static/logo.png differ (blob \(logo.0.prefix(12)) -> \(logo.1.prefix(12)))
        file new.css: new (8 bytes)
        --- /dev/null
        +++ next/static/new.css
        @@ -0,0 +1 @@
        +body {}
        file old.txt: deleted (4 bytes)
        --- deployed/static/old.txt
        +++ /dev/null
        @@ -1 +0,0 @@
        -old
        3 functions and 4 static files differ (2 new, 2 deleted, 3 changed), +4 -4 lines

        """
    }

    static func blob(_ text: String) throws -> String {
        let out = try run(
            "/usr/bin/git", ["hash-object", "--stdin"], input: Data(text.utf8), environment: gitEnvironment)
        return out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func showsTheHunksOfTheNextSyncOnTheLocalTarget() throws {
        let w = try World("diff")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: Self.first)
        let one = try repo.head()
        try w.write("site.yaml", Self.registration(w.url("site", port: try w.serve())))
        var d = try w.daemon()
        try d.waitFor("site", "synced", commit: one, timeout: .seconds(60))
        let cli = ["--state-dir", w.stateDir, "--apps-dir", w.appsDir, "--allow-file-urls", "--color", "never"]
        func diff(_ extra: [String] = [], name: String = "site") throws -> ProcessOutput {
            try run(Build.binary, ["diff", name] + cli + extra)
        }
        let target = "target local:\(w.stateDir)/published"
        let same = try diff()
        #expect(same.status == 0, "\(same.stderr)")
        #expect(
            same.stdout == """
                --- deployed (\(target); last synced commit \(one.prefix(12)))
                +++ next sync (commit \(one.prefix(12)), branch main)
                no difference: 2 functions and 3 static files are the same

                """)

        // A new commit the daemon has not seen (it polls hourly): exactly its changes.
        let two = try repo.commit(Self.second, message: "two")
        let (png1, png2) = (try Self.blob("PNG\u{0}\u{1}\u{2}"), try Self.blob("PNG\u{0}\u{1}\u{3}\u{4}"))
        let changed = try diff()
        #expect(changed.status == 1, "\(changed.stderr)")
        #expect(
            changed.stdout == """
                --- deployed (\(target); last synced commit \(one.prefix(12)))
                +++ next sync (commit \(two.prefix(12)), branch main)

                """ + Self.hunks(logo: (png1, png2)))
        #expect(changed.stderr.isEmpty, "\(changed.stderr)")
        let stat = try diff(["--stat"])
        #expect(stat.status == 1)
        #expect(stat.stdout.contains("\nfunction /hello: changed (lua), +1 -1\nfile index.html:"), "\(stat.stdout)")
        #expect(!stat.stdout.contains("@@"))
        let colored = try diff(["--color", "always"])
        #expect(colored.stdout.contains("\u{1B}[31m-  local b = 2\u{1B}[m\n\u{1B}[32m+  local b = 5\u{1B}[m"))
        #expect(!changed.stdout.contains("\u{1B}["), "no colour when asked for none")

        // Synced: nothing differs.
        let sync = try run(
            Build.binary, ["sync", "site", "--wait", "--state-dir", w.stateDir, "--apps-dir", w.appsDir])
        #expect(sync.status == 0, "\(sync.stdout)\(sync.stderr)")
        let after = try diff()
        #expect(after.status == 0, "\(after.stdout)")
        #expect(after.stdout.hasSuffix("no difference: 2 functions and 3 static files are the same\n"))

        // Changed on the target by hand: shown as drift; the last synced commit has not moved.
        try "tampered\n".write(toFile: "\(w.stateDir)/published/static/web/new.css", atomically: true, encoding: .utf8)
        let drift = try diff()
        #expect(drift.status == 1)
        #expect(
            drift.stdout.contains(
                "file new.css: changed (9 -> 8 bytes); drift: changed on the target since the agent deployed it (syncs redeploy it only with selfHeal: correct)\n--- deployed/static/new.css\n+++ next/static/new.css\n@@ -1 +1 @@\n-tampered\n+body {}\n"
            ), "\(drift.stdout)")
        #expect(
            drift.stdout.hasSuffix(
                "1 static file differs (1 changed), +1 -1 lines; 2 functions and 2 static files are the same\n"))
        let byCommit = try diff(["--deployed", "commit"])
        #expect(byCommit.status == 0)
        #expect(
            byCommit.stdout.hasPrefix("--- deployed (commit \(two.prefix(12)), the last synced)\n"),
            "\(byCommit.stdout)")
        // A target that cannot be read: the last synced commit, and a warning that says so.
        let unreadable = try diff(["--target", "local:\(w.dir.file("nowhere"))"])
        #expect(unreadable.status == 0)
        #expect(
            unreadable.stdout.hasPrefix(
                "--- deployed (commit \(two.prefix(12)), the last synced; the target was not read)\n"))
        #expect(
            unreadable.stderr.contains("warning: the target local:\(w.dir.file("nowhere")) cannot be read"),
            "\(unreadable.stderr)")

        // Pinned by a rollback the daemon has not deployed yet: the pin is what comes next.
        try d.stop()
        #expect(try run(Build.binary, ["rollback", "site", "--to", one] + cli.dropLast(2)).status == 0)
        let pinned = try diff()
        #expect(pinned.status == 1)
        #expect(
            pinned.stdout.hasPrefix(
                "--- deployed (\(target); last synced commit \(two.prefix(12)))\n+++ next sync (commit \(one.prefix(12)), pinned by a rollback; branch main is not followed)\n"
            ), "\(pinned.stdout)")
        #expect(
            pinned.stdout.contains("function /gone: new (lua)\n")
                && pinned.stdout.contains("function /added: deleted (python)\n"))
        #expect(pinned.stdout.contains("-  local b = 5\n+  local b = 2\n"))
        d = try w.daemon(log: "daemon-2.log")
        try d.waitFor("site", "synced", commit: one, timeout: .seconds(60))
        #expect(try diff().status == 0)

        // An invalid manifest: the diagnostic, exit 2. An unknown application: exit 2.
        #expect(try run(Build.binary, ["unpin", "site", "--state-dir", w.stateDir]).status == 0)
        try repo.commit(["zerverless.yaml": Self.manifest + "  oops: [\n"], message: "broken")
        let invalid = try diff()
        #expect(invalid.status == 2)
        #expect(
            invalid.stderr.contains("error: the next sync would end invalid: zerverless.yaml:10:"), "\(invalid.stderr)")
        #expect(invalid.stdout.isEmpty)
        let unknown = try diff(name: "nosuch")
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("error: no application \"nosuch\""), "\(unknown.stderr)")
        #expect(try diff(name: "Not_A_Name").status == 2)
        #expect(
            try run(Build.binary, ["diff", "site", "--state-dir", w.dir.file("none"), "--apps-dir", w.appsDir]).status
                == 2)
    }

    /// The HTTP target read back: `GET /api/deploy` for the code, a GET per static file.
    @Test func readsTheOrchestratorBack() async throws {
        let w = try World("diff-http")
        let target = try await ContractServer.start()
        defer { target.stop() }
        let repo = try GitRepo(root: w.reposDir, name: "site", files: Self.first)
        let one = try repo.head()
        try w.write("site.yaml", Self.registration(w.url("site", port: try w.serve())))
        let d = try w.daemon(["--target", target.base, "--drift-interval", "0"])
        try d.waitFor("site", "synced", commit: one, timeout: .seconds(60))
        let cli = [
            "diff", "site", "--state-dir", w.stateDir, "--apps-dir", w.appsDir, "--allow-file-urls", "--target",
            target.base,
        ]
        let same = try run(Build.binary, cli)
        #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
        #expect(same.stdout.hasPrefix("--- deployed (target \(target.base); last synced commit \(one.prefix(12)))\n"))

        // Changed on the orchestrator by hand: the code and a file, read back from it.
        target.state.withLock { s in
            s.deployments["web/hello"]?.code = Self.hello(7)
            s.storage["web"]?["index.html"] = Array("<h1>hacked</h1>\n<p>one</p>\n".utf8)
            s.log = []
        }
        let drift = try run(Build.binary, cli)
        #expect(drift.status == 1)
        #expect(drift.stdout.contains("-  local b = 7\n+  local b = 2\n"), "\(drift.stdout)")
        #expect(drift.stdout.contains("-<h1>hacked</h1>\n+<h1>hi</h1>\n"), "\(drift.stdout)")
        let reads = target.state.withLock { $0.log }
        #expect(reads.filter { $0 == "GET /api/deploy" }.count == 1, "\(reads)")
        #expect(
            reads.filter { $0.hasPrefix("GET /api/storage/web/") }.sorted() == [
                "GET /api/storage/web/index.html", "GET /api/storage/web/logo.png", "GET /api/storage/web/old.txt",
            ], "\(reads)")
        #expect(!reads.contains { !$0.hasPrefix("GET") }, "diff changes nothing")

        // The next commit, against what the orchestrator holds.
        target.state.withLock { s in
            s.deployments["web/hello"]?.code = Self.hello(2)
            s.storage["web"]?["index.html"] = Array("<h1>hi</h1>\n<p>one</p>\n".utf8)
        }
        let two = try repo.commit(Self.second, message: "two")
        let changed = try run(Build.binary, cli + ["--color", "never"])
        #expect(changed.status == 1)
        #expect(
            changed.stdout == """
                --- deployed (target \(target.base); last synced commit \(one.prefix(12)))
                +++ next sync (commit \(two.prefix(12)), branch main)

                """ + Self.hunks(logo: (try Self.blob("PNG\u{0}\u{1}\u{2}"), try Self.blob("PNG\u{0}\u{1}\u{3}\u{4}"))))
    }
}
