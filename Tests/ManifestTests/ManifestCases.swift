import Manifest
import Testing

let manifestHeader = """
    apiVersion: zerverless.io/v1
    kind: Application
    metadata:
      name: my-app
      namespace: myuser

    """

let manifestCases: [Case] = [
    Case(
        "design example 1 (the schema)", nil,
        """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata:
          name: my-app
          namespace: myuser
        spec:
          source:
            repoURL: https://github.com/user/repo
            branch: main
          
          # Function deployments
          functions:
            - path: /api/hello
              runtime: lua
              code: |
                function handle(req)
                  return {status=200, body="Hello from GitOps!"}
                end
            
            - path: /api/python
              runtime: python
              codeFile: handlers/python.py
            
            - path: /api/docker
              runtime: docker
              dockerfile: ./services/api/Dockerfile
              context: ./services/api
          
          # Static files directory (optional)
          static:
            dir: ./static  # Directory in repo to sync
        """),
    Case(
        "design example 2 (my-services)", nil,
        """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata:
          name: my-services
          namespace: myuser
        spec:
          source:
            repoURL: https://github.com/myuser/my-repo
            branch: main
          
          functions:
            # Inline code
            - path: /hello
              runtime: lua
              code: |
                function handle(req)
                  return {status=200, body="Hello!"}
                end
            
            # Reference to file
            - path: /api
              runtime: python
              codeFile: handlers/api.py
            
            # Docker deployment
            - path: /docker
              runtime: docker
              dockerfile: ./docker/Dockerfile
              context: ./docker
          
          static:
            dir: ./static
        """),
    Case(
        "design example 3 (workflow)", nil,
        """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata:
          name: my-app
          namespace: myuser
        spec:
          source:
            repoURL: https://github.com/myuser/my-repo
            branch: main
          functions:
            - path: /api/hello
              runtime: lua
              code: |
                function handle(req)
                  return {status=200, body="Hello!"}
                end
            - path: /api/docker
              runtime: docker
              dockerfile: ./docker/Dockerfile
              context: ./docker
          static:
            dir: ./static
        """),
    Case(
        "static only", nil,
        manifestHeader + """
            spec:
              static:
                dir: public
            """),
    Case(
        "forced manifest with empty spec", .manifest,
        manifestHeader + """
            spec: {}
            """),
    Case(
        "unknown runtime", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /a
                  runtime: node9
                  code: x
            """,
        [
            "apps.d/t.yaml:9:16: error: spec.functions[0].runtime: unknown runtime \"node9\"; expected one of lua, python, js, docker"
        ]),
    Case(
        "runtime near miss", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /a
                  runtime: javascript
                  code: x
            """,
        [
            "apps.d/t.yaml:9:16: error: spec.functions[0].runtime: unknown runtime \"javascript\"; did you mean \"js\"? expected one of lua, python, js, docker"
        ]),
    Case(
        "missing path and runtime", nil,
        manifestHeader + """
            spec:
              functions:
                - code: x
            """,
        [
            "apps.d/t.yaml:8:7: error: spec.functions[0]: missing required field \"path\"",
            "apps.d/t.yaml:8:7: error: spec.functions[0]: missing required field \"runtime\"",
        ]),
    Case(
        "path without leading slash", nil,
        manifestHeader + """
            spec:
              functions:
                - {path: api/hello, runtime: lua, code: x}
            """,
        [
            "apps.d/t.yaml:8:14: error: spec.functions[0].path: \"api/hello\" must start with '/'"
        ]),
    Case(
        "path with ..", nil,
        manifestHeader + """
            spec:
              functions:
                - {path: /api/../admin, runtime: lua, code: x}
            """,
        [
            "apps.d/t.yaml:8:14: error: spec.functions[0].path: \"/api/../admin\" has a '..' segment; paths may not climb"
        ]),
    Case(
        "path with escaped dots, slashes or percent", nil,
        manifestHeader + """
            spec:
              functions:
                - {path: /%2e%2e/bob/api, runtime: lua, code: x}
                - {path: /a%2Fb, runtime: lua, code: x}
                - {path: /a%25, runtime: lua, code: x}
                - {path: /a%4, runtime: lua, code: x}
                - {path: /caf%C3%A9, runtime: lua, code: x}
            """,
        [
            "apps.d/t.yaml:8:14: error: spec.functions[0].path: \"/%2e%2e/bob/api\" escapes '.' as %2E; write it plainly or not at all (a proxy that decodes paths would route it elsewhere)",
            "apps.d/t.yaml:9:14: error: spec.functions[1].path: \"/a%2Fb\" escapes '/' as %2F; write it plainly or not at all (a proxy that decodes paths would route it elsewhere)",
            "apps.d/t.yaml:10:14: error: spec.functions[2].path: \"/a%25\" escapes '%' as %25; write it plainly or not at all (a proxy that decodes paths would route it elsewhere)",
            "apps.d/t.yaml:11:14: error: spec.functions[3].path: \"/a%4\" has a '%' that is not followed by two hex digits",
        ]),
    Case(
        "path with an empty segment", nil,
        manifestHeader + """
            spec:
              functions:
                - {path: /api//x, runtime: lua, code: x}
                - {path: /api/, runtime: lua, code: x}
            """,
        [
            "apps.d/t.yaml:8:14: error: spec.functions[0].path: \"/api//x\" has an empty segment ('//' or a trailing '/')",
            "apps.d/t.yaml:9:14: error: spec.functions[1].path: \"/api/\" has an empty segment ('//' or a trailing '/')",
        ]),
    Case(
        "root path", nil,
        manifestHeader + """
            spec:
              functions:
                - {path: /, runtime: lua, code: x}
            """,
        [
            "apps.d/t.yaml:8:14: error: spec.functions[0].path: \"/\" names no function; write a path such as /api/hello"
        ]),
    Case(
        "path with a space or query", nil,
        manifestHeader + """
            spec:
              functions:
                - {path: "/my api", runtime: lua, code: x}
                - {path: "/a?b=1", runtime: lua, code: x}
            """,
        [
            "apps.d/t.yaml:8:14: error: spec.functions[0].path: \"/my api\" contains a space; use letters, digits and - . _ ~ only (and %XX escapes)",
            "apps.d/t.yaml:9:14: error: spec.functions[1].path: \"/a?b=1\" contains '?'; use letters, digits and - . _ ~ only (and %XX escapes)",
        ]),
    Case(
        "duplicate paths", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /a
                  runtime: lua
                  code: x
                - path: /a
                  runtime: python
                  codeFile: a.py
            """,
        [
            "apps.d/t.yaml:11:13: error: spec.functions[1].path: \"/a\" is already used by spec.functions[0] (line 8); each path may appear once"
        ]),
    Case(
        "code and codeFile both", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /a
                  runtime: lua
                  code: x
                  codeFile: a.lua
            """,
        [
            "apps.d/t.yaml:11:7: error: spec.functions[0].codeFile: set code or codeFile, not both"
        ]),
    Case(
        "no code at all", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /a
                  runtime: python
            """,
        [
            "apps.d/t.yaml:8:7: error: spec.functions[0]: needs its code: set code (inline) or codeFile (a file in the repository)"
        ]),
    Case(
        "empty code", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /a
                  runtime: lua
                  code: ""
            """,
        [
            "apps.d/t.yaml:10:13: error: spec.functions[0].code: must not be empty"
        ]),
    Case(
        "code as a mapping", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /a
                  runtime: lua
                  code: {handle: x}
            """,
        [
            "apps.d/t.yaml:10:13: error: spec.functions[0].code: expected the code as a string (use `code: |` for several lines), found a mapping"
        ]),
    Case(
        "codeFile escaping the repository", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /a
                  runtime: python
                  codeFile: ../../etc/passwd
            """,
        [
            "apps.d/t.yaml:10:17: error: spec.functions[0].codeFile: \"../../etc/passwd\" climbs out of the repository folder with '..'; paths must stay inside it"
        ]),
    Case(
        "absolute codeFile", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /a
                  runtime: python
                  codeFile: /etc/passwd
            """,
        [
            "apps.d/t.yaml:10:17: error: spec.functions[0].codeFile: \"/etc/passwd\" is an absolute path; write it relative to the repository folder"
        ]),
    Case(
        "codeFile with .. that stays inside is fine", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /a
                  runtime: python
                  codeFile: handlers/../lib/a.py
            """),
    Case(
        "docker without dockerfile", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /d
                  runtime: docker
                  context: ./d
            """,
        [
            "apps.d/t.yaml:8:7: error: spec.functions[0]: missing required field \"dockerfile\" (a docker function is built from it)"
        ]),
    Case(
        "docker with code", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /d
                  runtime: docker
                  dockerfile: d/Dockerfile
                  code: nginx:latest
            """,
        [
            "apps.d/t.yaml:11:7: error: spec.functions[0].code: a docker function is built from its dockerfile; code and codeFile are for lua, python and js"
        ]),
    Case(
        "dockerfile on a lua function", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /a
                  runtime: lua
                  code: x
                  dockerfile: Dockerfile
                  port: 8080
            """,
        [
            "apps.d/t.yaml:11:7: error: spec.functions[0].dockerfile: is only for runtime docker; this function's runtime is lua",
            "apps.d/t.yaml:12:7: error: spec.functions[0].port: is only for runtime docker; this function's runtime is lua",
        ]),
    Case(
        "port with a leading zero", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /d
                  runtime: docker
                  dockerfile: Dockerfile
                  port: 080
            """,
        [
            "apps.d/t.yaml:11:13: error: spec.functions[0].port: \"080\" has a leading zero (YAML 1.1 reads it as octal); write 80"
        ]),
    Case(
        "port out of range", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /d
                  runtime: docker
                  dockerfile: Dockerfile
                  port: 70000
            """,
        [
            "apps.d/t.yaml:11:13: error: spec.functions[0].port: 70000 is out of range; expected 1 to 65535"
        ]),
    Case(
        "quoted port", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /d
                  runtime: docker
                  dockerfile: Dockerfile
                  port: "8080"
            """,
        [
            "apps.d/t.yaml:11:13: error: spec.functions[0].port: expected a number, found the string \"8080\"; remove the quotes"
        ]),
    Case(
        "dockerfile escaping", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /d
                  runtime: docker
                  dockerfile: ../Dockerfile
                  context: /
            """,
        [
            "apps.d/t.yaml:10:19: error: spec.functions[0].dockerfile: \"../Dockerfile\" climbs out of the repository folder with '..'; paths must stay inside it",
            "apps.d/t.yaml:11:16: error: spec.functions[0].context: \"/\" is an absolute path; write it relative to the repository folder",
        ]),
    Case(
        "functions is a mapping", nil,
        manifestHeader + """
            spec:
              functions:
                path: /a
            """,
        [
            "apps.d/t.yaml:8:5: error: spec.functions: expected a list, found a mapping"
        ]),
    Case(
        "codefile near miss", nil,
        manifestHeader + """
            spec:
              functions:
                - path: /a
                  runtime: lua
                  codefile: a.lua
            """,
        [
            "apps.d/t.yaml:8:7: error: spec.functions[0]: needs its code: set code (inline) or codeFile (a file in the repository)",
            "apps.d/t.yaml:10:7: error: spec.functions[0].codefile: unknown field \"codefile\"; did you mean \"codeFile\"?",
        ]),
    Case(
        "static without dir", nil,
        manifestHeader + """
            spec:
              static:
                path: ./static
            """,
        [
            "apps.d/t.yaml:7:3: error: spec.static: missing required field \"dir\"",
            "apps.d/t.yaml:8:5: error: spec.static.path: unknown field \"path\"; expected one of dir, health",
        ]),
    Case(
        "static dir escaping", nil,
        manifestHeader + """
            spec:
              static:
                dir: ../../
            """,
        [
            "apps.d/t.yaml:8:10: error: spec.static.dir: \"../../\" climbs out of the repository folder with '..'; paths must stay inside it"
        ]),
    Case(
        "manifest metadata must be complete", nil,
        """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata:
          name: a
        spec:
          functions: []
        """,
        [
            "apps.d/t.yaml:3:1: error: metadata: missing required field \"namespace\""
        ]),
    Case(
        "unknown spec key in a manifest", nil,
        manifestHeader + """
            spec:
              functions: []
              statics: {dir: x}
            """,
        [
            "apps.d/t.yaml:8:3: error: spec.statics: unknown field \"statics\"; did you mean \"static\"?"
        ]),
    Case(
        "every problem at once", nil,
        """
        apiVersion: zerverless.io/v2
        kind: Application
        metadata:
          name: Blog
          namespace: me
        spec:
          functions:
            - path: api
              runtime: go
              code: x
            - path: /b
              runtime: python
              codeFile: /abs.py
        """,
        [
            "apps.d/t.yaml:1:13: error: apiVersion: unsupported apiVersion \"zerverless.io/v2\"; expected \"zerverless.io/v1\"",
            "apps.d/t.yaml:4:9: error: metadata.name: \"Blog\" is not a DNS label; use lowercase letters, digits and '-', starting and ending with a letter or digit (\"blog\")",
            "apps.d/t.yaml:8:13: error: spec.functions[0].path: \"api\" must start with '/'",
            "apps.d/t.yaml:9:16: error: spec.functions[0].runtime: unknown runtime \"go\"; expected one of lua, python, js, docker",
            "apps.d/t.yaml:13:17: error: spec.functions[1].codeFile: \"/abs.py\" is an absolute path; write it relative to the repository folder",
        ]),
]

/// Problems of the file itself, before any field is read.
let yamlCases: [Case] = [
    Case("empty file", nil, "", ["apps.d/t.yaml:1:1: error: file is empty"]),
    Case(
        "only comments", nil, "# nothing here\n\n",
        ["apps.d/t.yaml:1:1: error: file has no content (only comments or blank lines)"]),
    Case(
        "two documents", nil, "name: a\n---\nname: b\n",
        [
            "apps.d/t.yaml:2:1: error: more than one YAML document (a second one starts here); put one document in each file"
        ]),
    Case(
        "tab indentation", nil, "name: a\nsource:\n\trepoURL: x\n",
        [
            "apps.d/t.yaml:3:1: error: YAML syntax: found character that cannot start any token (while scanning for the next token at line 3, column 1)"
        ]),
    Case(
        "unclosed flow mapping", nil, "source: {repoURL: x\n",
        [
            "apps.d/t.yaml:2:1: error: YAML syntax: did not find expected ',' or '}' (while parsing a flow mapping at line 1, column 9)"
        ]),
    Case(
        "duplicate key", nil, "name: a\nnamespace: b\nname: c\n",
        [
            "apps.d/t.yaml:3:1: error: duplicate key \"name\" (first at line 1)"
        ]),
    Case(
        "alias to nothing", nil, "name: *x\n",
        [
            "apps.d/t.yaml:1:7: error: alias *x refers to no anchor &x defined before it"
        ]),
    Case(
        "mapping as a key", nil, "? {a: 1}\n: b\n",
        [
            "apps.d/t.yaml:1:3: error: a mapping key must be a plain value, not a mapping"
        ]),
]

@Test(arguments: manifestCases)
func manifest(_ c: Case) {
    check(c)
}

@Test(arguments: yamlCases)
func fileProblems(_ c: Case) {
    check(c)
}

@Test func invalidUTF8IsReportedWithItsMark() {
    var bytes = Array("name: a\nnamespace: bé".utf8)
    bytes.append(0xFF)
    bytes.append(contentsOf: Array("\n".utf8))
    let result = Validator.validate(bytes, file: "apps.d/t.yaml")
    #expect(
        result.diagnostics.map(\.description) == [
            "apps.d/t.yaml:2:14: error: invalid UTF-8 (byte 0xFF at offset 22); save the file as UTF-8"
        ])
}
