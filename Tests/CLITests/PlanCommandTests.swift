import Foundation
import Testing
import TestSupport

@Test func planShowsWhatTheNextSyncWouldDo() throws {
    let dir = try TempDir("zg-plan")
    let repo = try GitRepo(root: dir.path, name: "site", files: [
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
    let args = ["plan", "--apps-dir", dir.file("apps.d"), "--state-dir", dir.file("state"), "--allow-file-urls", "site"]
    let out = try run(Build.binary, args)
    #expect(out.status == 0, "\(out.stderr)")
    #expect(out.stdout == """
        site (web): \(repo.bare) branch main at \(try repo.head().prefix(12))
          create function /hello: new in the manifest
          create file index.html: new file
          unchanged: 0 functions, 0 static files

        """)
    // Nothing was deployed or recorded.
    #expect(!FileManager.default.fileExists(atPath: dir.file("state/published")))
    #expect(!FileManager.default.fileExists(atPath: dir.file("state/apps/site/inventory")))

    try repo.commit(["zerverless.yaml": "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: site, namespace: other}\nspec: {functions: []}\n"], message: "wrong ns")
    let bad = try run(Build.binary, args)
    #expect(bad.status == 1)
    #expect(bad.stderr.contains("error: zerverless.yaml: manifest: metadata.namespace is \"other\" but the application is registered in namespace \"web\""))
}
