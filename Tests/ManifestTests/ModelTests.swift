import Testing

@testable import Manifest

@Test func registrationDefaultsAndNormalization() throws {
    let text = """
        name: my-app
        namespace: myuser
        source:
          repoURL: https://github.com/user/repo
          path: ./deploy/../app/
        """
    let reg = try Validator.registration(Array(text.utf8), file: "x.yaml").get()
    #expect(reg.form == .flat)
    #expect(reg.source.branch == "main")
    #expect(reg.source.path == "app")
    #expect(reg.pollInterval == nil)
    #expect(reg.syncPolicy == Registration.SyncPolicy())
    #expect(reg.syncPolicy.automated && reg.syncPolicy.prune && !reg.syncPolicy.allowEmpty && !reg.syncPolicy.suspend)
}

@Test func applicationFormDecodesEveryField() throws {
    let text = """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata: {name: a, namespace: b}
        spec:
          source:
            repoURL: ssh://git@host:2222/o/r.git
            branch: dev
            auth: {username: deploy, sshKeyFile: /k, knownHostsFile: /kh}
          pollInterval: 1h30m
          syncPolicy: {automated: false, prune: false, allowEmpty: true, suspend: true}
        """
    let reg = try Validator.registration(Array(text.utf8), file: "x.yaml").get()
    #expect(reg.form == .application)
    #expect(reg.pollInterval == 5400)
    #expect(reg.source.repoURL.scheme == .ssh)
    #expect(reg.source.repoURL.port == 2222)
    #expect(reg.source.auth == Registration.Auth(username: "deploy", sshKeyFile: "/k", knownHostsFile: "/kh"))
    #expect(!reg.syncPolicy.automated && !reg.syncPolicy.prune && reg.syncPolicy.allowEmpty && reg.syncPolicy.suspend)
}

@Test func manifestModel() throws {
    let text = """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata: {name: a, namespace: b}
        spec:
          functions:
            - {path: /x, runtime: lua, code: "function handle(r) end"}
            - {path: /y, runtime: python, codeFile: ./h/../lib/y.py}
            - {path: /z, runtime: docker, dockerfile: ./svc/api/Dockerfile}
            - {path: /w, runtime: docker, dockerfile: Dockerfile, context: ., port: 8080}
          static: {dir: ./static/}
        """
    let m = try Validator.manifest(Array(text.utf8), file: "zerverless.yaml").get()
    #expect(m.namespace == "b")
    #expect(m.functions.map(\.path) == ["/x", "/y", "/z", "/w"])
    #expect(m.functions[0].code == .inline("function handle(r) end"))
    #expect(m.functions[1].code == .file("lib/y.py"))
    #expect(m.functions[2].code == .docker(dockerfile: "svc/api/Dockerfile", context: "svc/api", port: 80))
    #expect(m.functions[3].code == .docker(dockerfile: "Dockerfile", context: ".", port: 8080))
    #expect(m.functions[1].line == 7)
    #expect(m.staticFiles == AppManifest.Static(dirAsWritten: "./static/", dir: "static"))
}

@Test func failureCarriesEveryDiagnostic() {
    let text = "name: A\nnamespace: B\nsource: {}\n"
    guard case .failure(let failure) = Validator.registration(Array(text.utf8), file: "f.yaml") else {
        Issue.record("expected a failure")
        return
    }
    #expect(failure.diagnostics.count == 3)
}

@Test(arguments: [
    ("90s", 90), ("5m", 300), ("1h", 3600), ("1h30m", 5400), ("1h0m5s", 3605), ("2h5s", 7205),
])
func durations(_ text: String, _ seconds: Int) {
    #expect(Rules.parseDuration(text) == seconds)
}

@Test(arguments: ["", "5", "m", "5x", "1m1h", "1h1h", "-5m", "5 m", "1.5h", "9999999999s"])
func badDurations(_ text: String) {
    #expect(Rules.parseDuration(text) == nil)
}

@Test(arguments: [
    ("https://github.com/o/r", "https://github.com/o/r", "github.com/o/r", "https://github.com/o/r"),
    ("https://github.com/o/r.git", "https://github.com/o/r.git", "github.com/o/r", "https://github.com/o/r"),
    ("https://github.com/o/r/", "https://github.com/o/r/", "github.com/o/r", "https://github.com/o/r"),
    ("https://GitHub.com/O/R", "https://GitHub.com/O/R", "github.com/o/r", "https://github.com/O/R"),
    ("https://user:tok@h.io/o/r", "https://***@h.io/o/r", "h.io/o/r", "https://h.io/o/r"),
    ("https://tok@h.io/o/r", "https://***@h.io/o/r", "h.io/o/r", "https://h.io/o/r"),
    ("ssh://git@h.io:2222/o/r.git", "ssh://git@h.io:2222/o/r.git", "h.io/o/r", "ssh://git@h.io:2222/o/r"),
    ("ssh://git:pw@h.io/o/r", "ssh://git:***@h.io/o/r", "h.io/o/r", "ssh://git@h.io/o/r"),
    ("git@github.com:o/r.git", "git@github.com:o/r.git", "github.com/o/r", "ssh://git@github.com/o/r"),
    ("git://h.io/o/r", "git://h.io/o/r", "h.io/o/r", "git://h.io/o/r"),
    ("file:///srv/r.git", "file:///srv/r.git", "/srv/r", "file:srv/r"),
    ("/srv/r.git/", "/srv/r.git/", "/srv/r", "file:srv/r"),
])
func repositoryURLForms(_ raw: String, _ redacted: String, _ match: String, _ cache: String) throws {
    let url = try RepositoryURL.parse(raw).get()
    #expect(url.redacted == redacted)
    #expect(url.matchKey == match)
    #expect(url.cacheKey == cache)
}

@Test func repositoryURLEncodesRedacted() throws {
    let url = try RepositoryURL.parse("https://me:s3cret@h.io/o/r").get()
    #expect(url.password == "s3cret")
    #expect(!"\(url)".contains("s3cret"))
    let reg = Registration(
        form: .flat, name: "a", namespace: "b",
        source: .init(repoURL: url, ref: .branch("main"), path: ".", auth: nil),
        pollInterval: nil, syncPolicy: .init())
    let json = try String(decoding: JSONEncoderShim.encode(reg), as: UTF8.self)
    #expect(!json.contains("s3cret"))
    #expect(json.contains("https://***@h.io/o/r"))
}

@Test func redactsSnippets() {
    #expect(Redact.line("    repoURL: https://u:p@h/o/r") == "    repoURL: https://***@h/o/r")
    #expect(Redact.line("  - token: abc") == "  - token: ***")
    #expect(Redact.line("  \"password\": x") == "  \"password\": ***")
    #expect(Redact.line("  tokenFile: /etc/x") == "  tokenFile: /etc/x")
    #expect(Redact.line("  auth: {token: abc, username: me}") == "  auth: {token: ***, username: me}")
    #expect(Redact.line("  auth: {\"password\": \"p,w\"}") == "  auth: {\"password\": ***}")
    #expect(Redact.line("  mytoken: x") == "  mytoken: x")
    #expect(Redact.urls(in: "a http://x@y/z b ssh://q:r@s/t") == "a http://***@y/z b ssh://***@s/t")
    #expect(Redact.urls(in: "x: https;//user:tok@h.io/o/r") == "x: ***@h.io/o/r")
    #expect(Redact.urls(in: "repoURL: git@github.com:o/r.git") == "repoURL: git@github.com:o/r.git")
}

@Test func snippetRendering() {
    let d = Diagnostic(file: "f.yaml", mark: .init(line: 2, column: 5), field: "x", message: "bad")
    let source = Array("a: 1\nx:\tbad\n".utf8)
    #expect(DiagnosticRenderer.render(d, source: source) == "f.yaml:2:5: error: x: bad\n    x: bad\n        ^")
}

@Test func suggestions() {
    #expect(Suggest.nearest("repoUrl", in: Registration.sourceKeys) == "repoURL")
    #expect(Suggest.nearest("brnach", in: Registration.sourceKeys) == "branch")
    #expect(Suggest.nearest("xyz", in: Registration.sourceKeys) == nil)
    #expect(Suggest.nearest("pth", in: Registration.sourceKeys) == "path")
}
