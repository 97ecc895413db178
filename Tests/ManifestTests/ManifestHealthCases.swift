import Foundation
import Manifest
import Testing

/// Health checks in the manifest (issue 26): what is accepted, and every mistake named by
/// file, line, column and field.
let manifestHealthCases: [Case] = [
    Case(
        "health everywhere, as the contract writes it", nil,
        manifestHeader + """
            spec:
              health: {initialDelay: 1s, interval: 2s, retries: 5, deadline: 60s}
              functions:
                - path: /api/hello
                  runtime: lua
                  code: x
                  health:
                    method: GET
                    path: /ping?probe=1
                    expect: 2xx
                    body: "ok"
                    timeout: 5s
              static:
                dir: ./static
                health: [index.html]
            """),
    Case(
        "health mistakes", nil,
        manifestHeader + """
            spec:
              health: {initialDelay: soon, retries: -1, deadline: 0s, every: 1s}
              functions:
                - path: /api/hello
                  runtime: lua
                  code: x
                  health: {method: PUT, path: ping, expect: 20x, timeout: 10m}
                - path: /api/two
                  runtime: lua
                  code: x
                  health: {path: "/a/../b", expect: 700}
                - path: /api/three
                  runtime: lua
                  code: x
                  health: {path: "/%2E%2e/other/api"}
              static: {dir: static, health: [../secret, "."]}
            """,
        [
            "apps.d/t.yaml:7:26: error: spec.health.initialDelay: \"soon\" is not a duration; write it like 2s, 90s, 5m or 1h",
            "apps.d/t.yaml:7:41: error: spec.health.retries: expected a whole number from 0 to 100, found \"-1\"",
            "apps.d/t.yaml:7:55: error: spec.health.deadline: 0s is out of range; expected 1s to 86400s",
            "apps.d/t.yaml:7:59: error: spec.health.every: unknown field \"every\"; expected one of initialDelay, interval, retries, deadline",
            "apps.d/t.yaml:12:24: error: spec.functions[0].health.method: \"PUT\" is not a check method; expected GET, POST or HEAD",
            "apps.d/t.yaml:12:35: error: spec.functions[0].health.path: \"ping\" must start with / (a path under the function's) or ? (a query)",
            "apps.d/t.yaml:12:49: error: spec.functions[0].health.expect: \"20x\" is not a status code (100 to 599) or a class (1xx to 5xx)",
            "apps.d/t.yaml:12:63: error: spec.functions[0].health.timeout: 10m is out of range; expected 1s to 300s",
            "apps.d/t.yaml:16:22: error: spec.functions[1].health.path: \"/a/../b\" has a . or .. segment; the check stays under the function's path",
            "apps.d/t.yaml:16:41: error: spec.functions[1].health.expect: \"700\" is not a status code (100 to 599) or a class (1xx to 5xx)",
            "apps.d/t.yaml:20:22: error: spec.functions[2].health.path: \"/%2E%2e/other/api\" has an encoded dot or slash or a backslash in its path; the check stays under the function's path",
            "apps.d/t.yaml:21:34: error: spec.static.health[0]: \"../secret\" climbs out of the repository folder with '..'; paths must stay inside it",
            "apps.d/t.yaml:21:45: error: spec.static.health[1]: names the static folder itself; name a file in it",
        ]),
]

@Test(arguments: manifestHealthCases)
func manifestHealth(_ c: Case) {
    check(c)
}
