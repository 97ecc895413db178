import Foundation
import Manifest
import State
import Testing

/// Where the manifest's checks go: `{base}/{namespace}{path}{health path}` and
/// `{base}/static/{namespace}/{file}` (interface section 8).
let header = """
    apiVersion: zerverless.io/v1
    kind: Application
    metadata: {name: my-app, namespace: myuser}

    """

@Test func healthChecksGoToTheInvokeBase() throws {
    let text =
        header + """
            spec:
              functions:
                - {path: /api/hello, runtime: lua, code: x, health: {path: "?probe=1"}}
                - {path: /api/two, runtime: lua, code: x, health: {path: /ping, method: head, expect: 204}}
                - {path: /api/none, runtime: lua, code: x}
              static: {dir: static, health: [index.html, "css/a b.css"]}
            """
    let result = Validator.manifest(Array(text.utf8), file: "zerverless.yaml")
    guard case .success(let manifest) = result else {
        Issue.record("not valid: \(result)")
        return
    }
    #expect(manifest.hasHealthChecks)
    let checks = HealthPlan.checks(of: manifest, namespace: "myuser", base: "http://inv:8000").map {
        "\($0.method) \($0.url) \($0.expect.text)"
    }
    #expect(
        checks == [
            "GET http://inv:8000/myuser/api/hello?probe=1 2xx", "HEAD http://inv:8000/myuser/api/two/ping 204",
            "GET http://inv:8000/static/myuser/index.html 200", "GET http://inv:8000/static/myuser/css/a%20b.css 200",
        ])
}
