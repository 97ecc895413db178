import Foundation
import TestSupport
import Testing

@Test func planShowsWhatTheNextSyncWouldDo() throws {
    let dir = try TempDir("zg-plan")
    let repo = try GitRepo(
        root: dir.path, name: "site",
        files: [
            "zerverless.yaml": """
            apiVersion: zerverless.io/v1
            kind: Application
            metadata: {name: site, namespace: web}
            spec:
              functions:
                - {path: /hello, runtime: lua, code: "return 1"}
              static: {dir: static}
            """,
            "static/index.html": "<h1>hi</h1>",
        ])
    try dir.write("apps.d/site.yaml", "name: site\nnamespace: web\nsource: {repoURL: \"\(repo.bare)\"}\n")
    let args = [
        "plan", "--apps-dir", dir.file("apps.d"), "--state-dir", dir.file("state"), "--allow-file-urls", "site",
    ]
    let out = try run(Build.binary, args)
    #expect(out.status == 0, "\(out.stderr)")
    #expect(
        out.stdout == """
            site (web): \(repo.bare) branch main
              at \(try repo.head().prefix(12))
              create function /hello: new in the manifest
              create file index.html: new file
              unchanged: 0 functions, 0 static files

            """)
    // Nothing was deployed or recorded, and nothing was created in the state dir.
    #expect(!FileManager.default.fileExists(atPath: dir.file("state")))

    // What the daemon would refuse, plan refuses with the daemon's words (exit 1).
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/luac5.4") {
        try repo.commit(
            [
                "zerverless.yaml":
                    "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: site, namespace: web}\nspec:\n  functions:\n    - {path: /hello, runtime: lua, code: \"function handle(\"}\n"
            ], message: "broken lua")
        let lua = try run(Build.binary, args)
        #expect(lua.status == 1)
        #expect(lua.stdout.contains("error function /hello: syntax error at zerverless.yaml"), "\(lua.stdout)")
        #expect(lua.stdout.contains("; it is not deployed"))
        #expect(lua.stderr.contains("the sync would end invalid: deploy: /hello: syntax error"), "\(lua.stderr)")
    }
    try repo.commit(
        [
            "zerverless.yaml":
                "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: site, namespace: other}\nspec: {functions: []}\n"
        ], message: "wrong ns")
    let bad = try run(Build.binary, args)
    #expect(bad.status == 1)
    #expect(
        bad.stderr.contains(
            "the sync would end invalid: zerverless.yaml: manifest: metadata.namespace is \"other\" but the application is registered in namespace \"web\""
        ), "\(bad.stderr)")

    // Suspended: nothing would be done. A name two files claim: neither is synced.
    try dir.write(
        "apps.d/site.yaml",
        "name: site\nnamespace: web\nsource: {repoURL: \"\(repo.bare)\"}\nsyncPolicy: {suspend: true}\n")
    let suspended = try run(Build.binary, args)
    #expect(suspended.status == 0)
    #expect(suspended.stdout.contains("suspended (syncPolicy.suspend is true): the daemon does not sync it"))
    try dir.write("apps.d/copy.yaml", "name: site\nnamespace: web\nsource: {repoURL: \"\(repo.bare)\"}\n")
    let duplicate = try run(Build.binary, args)
    #expect(duplicate.status == 1)
    #expect(duplicate.stderr.contains("the name \"site\" is claimed by 2 files"), "\(duplicate.stderr)")
}
