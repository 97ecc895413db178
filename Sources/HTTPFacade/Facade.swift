import Daemon
import Foundation
import Hummingbird
import Manifest
import NIOCore
import State
import Synchronization

/// The REST API (interface section 5) as a thin facade over files: registering writes a
/// registration file into the apps dir (the daemon picks it up through inotify like any
/// other), reading reads status files, a sync request writes a request file. It holds no
/// state and does not reach into the daemon.
public struct Facade: Sendable {
    public let appsDir: String
    public let layout: StateLayout
    /// With tokens, every `/api/gitops/applications` call needs one.
    public let tokens: APITokens?
    /// Without a secret, the webhook answers 404.
    public let webhookSecretFile: String?
    public let metrics: MetricsRegistry
    public let readiness: Readiness?
    /// Where tenants upload their secrets (write-only) and registrations read them from.
    public let secrets: SecretsDir
    /// Registrations the API creates in one namespace, at most (nil: no limit).
    public var maxAppsPerNamespace: Int? = 200
    let listCache = ListCache()
    /// The apps dir as last read (files are read again only when they change).
    let scanner: SharedScanner
    public static let bodyLimit = 64 << 10

    public init(appsDir: String, layout: StateLayout, tokens: APITokens? = nil, webhookSecretFile: String? = nil,
                metrics: MetricsRegistry = MetricsRegistry(), readiness: Readiness? = nil,
                secrets: SecretsDir = SecretsDir(root: SecretsDir.defaultRoot)) {
        self.appsDir = appsDir
        self.scanner = SharedScanner(directory: appsDir)
        self.secrets = secrets
        self.layout = layout
        self.tokens = tokens
        self.webhookSecretFile = webhookSecretFile
        self.metrics = metrics
        self.readiness = readiness
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/healthz") { _, _ in json(.ok, ["status": "ok"]) }
        router.get("/readyz") { _, _ in self.ready() }
        router.get("/metrics") { request, _ in
            // With API tokens, the metrics (which name every tenant's applications) need a
            // token allowed every namespace: the operator's scraper.
            self.authorized(request) { grant in
                guard grant.namespaces == nil else {
                    return self.error(.forbidden, "/metrics names every namespace's applications; it needs a token allowed every namespace (*)")
                }
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                                body: .init(byteBuffer: ByteBuffer(string: self.metricsText())))
            }
        }
        router.post("/api/gitops/webhook") { request, _ in await self.webhook(request) }
        let api = router.group("/api/gitops/applications")
        api.get { request, _ in self.authorized(request) { self.list($0) } }
        api.post { request, _ in await self.authorizedAsync(request) { await self.register(request, name: nil, grant: $0) } }
        api.get("{name}") { request, context in
            let name = try context.parameters.require("name")
            return self.authorized(request) { self.status(name, grant: $0) }
        }
        api.put("{name}") { request, context in
            let name = try context.parameters.require("name")
            return await self.authorizedAsync(request) { await self.register(request, name: name, grant: $0) }
        }
        api.delete("{name}") { request, context in
            let name = try context.parameters.require("name")
            return self.authorized(request) { self.remove(name, grant: $0) }
        }
        api.post("{name}/sync") { request, context in
            let name = try context.parameters.require("name")
            return self.authorized(request) { self.requestSync(name, grant: $0) }
        }
        let secretsAPI = router.group("/api/gitops/secrets")
        secretsAPI.get("{namespace}") { request, context in
            let namespace = try context.parameters.require("namespace")
            return self.authorized(request) { self.listSecrets(namespace, grant: $0) }
        }
        secretsAPI.put("{namespace}/{file}") { request, context in
            let namespace = try context.parameters.require("namespace")
            let file = try context.parameters.require("file")
            return await self.authorizedAsync(request) { await self.putSecret(request, namespace: namespace, file: file, grant: $0) }
        }
        secretsAPI.delete("{namespace}/{file}") { request, context in
            let namespace = try context.parameters.require("namespace")
            let file = try context.parameters.require("file")
            return self.authorized(request) { self.deleteSecret(namespace: namespace, file: file, grant: $0) }
        }
        return router
    }

    // MARK: Authorization

    /// Every namespace when no tokens are configured.
    static let everything = APITokens.Grant(namespaces: nil)

    func grant(_ request: Request) -> APITokens.Grant? {
        guard let tokens else { return Self.everything }
        return tokens.grant(authorization: request.headers[.authorization])
    }

    func authorized(_ request: Request, _ body: (APITokens.Grant) -> Response) -> Response {
        guard let grant = grant(request) else { return unauthorized() }
        return body(grant)
    }

    func authorizedAsync(_ request: Request, _ body: (APITokens.Grant) async -> Response) async -> Response {
        guard let grant = grant(request) else { return unauthorized() }
        return await body(grant)
    }

    func unauthorized() -> Response {
        var response = error(.unauthorized, "a bearer token of --api-tokens-file is required (Authorization: Bearer TOKEN)")
        response.headers[.wwwAuthenticate] = "Bearer"
        return response
    }

    /// The registration files holding `name`, and the namespaces they establish. A file that
    /// is not a valid registration establishes none: then only a token allowed every
    /// namespace may change the application (a token for one namespace could otherwise
    /// replace another tenant's broken file).
    struct Holders {
        var files: [String] = []
        var namespaces: Set<String> = []
        var unknown = false

        func allow(_ grant: APITokens.Grant) -> Bool {
            unknown ? grant.namespaces == nil : namespaces.allSatisfy(grant.allows)
        }
    }

    func holders(of name: String) -> Holders {
        var h = Holders()
        for file in scanner.scan().files where file.name == name {
            h.files.append(file.path)
            switch file.result {
            case .success(let r): h.namespaces.insert(r.namespace)
            case .failure: h.unknown = true
            }
        }
        return h
    }

    /// Whether `grant` may see (or act on) the application `name`: by its registration
    /// files, else (registration gone, undeploy pending) by its status document.
    func visible(_ name: String, grant: APITokens.Grant) -> Bool {
        if grant.namespaces == nil { return true }
        let h = holders(of: name)
        if !h.files.isEmpty { return h.allow(grant) }
        guard let doc = try? layout.readStatus(name), !doc.namespace.isEmpty else { return false }
        return grant.allows(doc.namespace)
    }

    // MARK: Handlers

    /// The status documents as the files hold them, with their namespaces; kept while no
    /// status file was written by this process (the daemon is their only writer) and for at
    /// most a second (a change made by hand is seen within it).
    func documents() -> [ListCache.Document] {
        if let cached = listCache.get(generation: StatusGeneration.current) { return cached }
        let generation = StatusGeneration.current
        var documents: [ListCache.Document] = []
        for name in layout.applications() {
            guard let data = FileManager.default.contents(atPath: layout.statusFile(name)),
                  let doc = try? JSONDecoder().decode(NamespaceOnly.self, from: data) else { continue }
            documents.append(.init(name: name, namespace: doc.namespace, bytes: Array(data), buffer: ByteBuffer(bytes: data)))
        }
        listCache.set(documents, generation: generation)
        return documents
    }

    struct NamespaceOnly: Decodable { var namespace: String }

    func list(_ grant: APITokens.Grant) -> Response {
        if grant.namespaces == nil, let body = listCache.body(generation: StatusGeneration.current) {
            // A ByteBuffer shares its storage: the cached list is not copied per request.
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        }
        let generation = StatusGeneration.current
        let chosen = documents().filter { grant.allows($0.namespace) }
        // {"applications": [doc, ...], "total": N}, each document as its file holds it.
        var body = Array("{\"applications\": [".utf8)
        body.reserveCapacity(chosen.reduce(64) { $0 + $1.bytes.count + 2 })
        for (i, doc) in chosen.enumerated() {
            if i > 0 { body.append(contentsOf: ", ".utf8) }
            body.append(contentsOf: doc.bytes)
        }
        body.append(contentsOf: "], \"total\": \(chosen.count)}".utf8)
        let buffer = ByteBuffer(bytes: body)
        if grant.namespaces == nil { listCache.setBody(buffer, generation: generation) }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }

    func ready() -> Response {
        var problems: [String] = []
        if let readiness, !readiness.firstScanDone { problems.append("the first read of the apps dir is not done") }
        if let dir = opendir(appsDir) { closedir(dir) } else { problems.append("the apps dir \(appsDir) cannot be read") }
        if access(layout.root, W_OK) != 0 { problems.append("the state dir \(layout.root) is not writable") }
        if let problem = tokens?.problem { problems.append("the API tokens file cannot be used, so every API call is refused: \(problem)") }
        return problems.isEmpty ? json(.ok, ["status": "ready"]) : json(.serviceUnavailable, ["status": "not ready", "problems": problems])
    }

    /// The process's counters, and what the status files say: applications by status and
    /// the time of each one's last successful sync.
    func metricsText() -> String {
        var out = metrics.render()
        if let tokens {
            out += "# HELP zerverless_gitops_api_tokens_file_valid 1 when --api-tokens-file can be used; 0: it cannot, and every API call is refused.\n"
            out += "# TYPE zerverless_gitops_api_tokens_file_valid gauge\nzerverless_gitops_api_tokens_file_valid \(tokens.problem == nil ? 1 : 0)\n"
        }
        var byStatus: [String: Int] = Dictionary(uniqueKeysWithValues: StatusDocument.Phase.allCases.map { ($0.rawValue, 0) })
        var lastSync: [(String, Double)] = []
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        for doc in documents() {
            guard let status = try? decoder.decode(StatusDocument.self, from: Data(doc.bytes)) else { continue }
            byStatus[status.status.rawValue, default: 0] += 1
            if let at = status.lastSync { lastSync.append((status.name, at.timeIntervalSince1970)) }
        }
        out += "# HELP zerverless_gitops_applications Applications by status (from the status files).\n# TYPE zerverless_gitops_applications gauge\n"
        for (status, count) in byStatus.sorted(by: { $0.key < $1.key }) { out += "zerverless_gitops_applications{status=\"\(status)\"} \(count)\n" }
        out += "# HELP zerverless_gitops_last_successful_sync_timestamp_seconds Time of each application's last successful sync.\n"
        out += "# TYPE zerverless_gitops_last_successful_sync_timestamp_seconds gauge\n"
        for (name, at) in lastSync.sorted(by: { $0.0 < $1.0 }) {
            out += "zerverless_gitops_last_successful_sync_timestamp_seconds{app=\"\(name)\"} \(Int(at))\n"
        }
        return out
    }

    func status(_ name: String, grant: APITokens.Grant) -> Response {
        guard Rules.dnsLabelProblem(name) == nil else { return error(.badRequest, "\"\(name)\" is not an application name (a DNS label)") }
        let generation = StatusGeneration.current
        var cached = listCache.document(name, generation: generation)
        if cached == nil, let data = FileManager.default.contents(atPath: layout.statusFile(name)),
           let doc = try? JSONDecoder().decode(NamespaceOnly.self, from: data) {
            cached = .init(name: name, namespace: doc.namespace, bytes: [], buffer: ByteBuffer(bytes: data))
            listCache.remember(cached!, generation: generation)
        }
        if let doc = cached {
            guard grant.allows(doc.namespace) else { return error(.notFound, "no application named \"\(name)\"") }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: doc.buffer))
        }
        // Another namespace's application is as absent as a missing one.
        guard let data = FileManager.default.contents(atPath: layout.statusFile(name)), visible(name, grant: grant) else {
            return error(.notFound, "no application named \"\(name)\"")
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func register(_ request: Request, name pathName: String?, grant: APITokens.Grant) async -> Response {
        let bytes: [UInt8]
        do {
            bytes = Array(buffer: try await request.body.collect(upTo: Self.bodyLimit))
        } catch {
            return self.error(.contentTooLarge, "the body is over \(Self.bodyLimit / 1024) KiB")
        }
        let registration: Registration
        switch Validator.registration(bytes, file: "request body") {
        case .failure(let failure):
            return self.error(.badRequest, "invalid registration", diagnostics: failure.diagnostics)
        case .success(let r):
            registration = r
        }
        if !grant.allows(registration.namespace) {
            return self.error(.forbidden, "this token may not register applications in namespace \"\(registration.namespace)\"")
        }
        // The secrets rule, judged on the names alone (the daemon checks again when it reads).
        if let problem = secretProblem(registration) { return self.error(.badRequest, problem) }
        // A local path reads this host's files (another tenant's fetch cache, say): only the
        // operator's token may register one (and the daemon takes them only with --allow-file-urls).
        if registration.source.repoURL.isLocal, grant.namespaces != nil {
            return self.error(.forbidden, "local repository URLs (file:// and paths) need a token allowed every namespace")
        }
        if let pathName, pathName != registration.name {
            return self.error(.badRequest, "the body's name \"\(registration.name)\" is not the name in the path, \"\(pathName)\"")
        }
        // One writer of the apps dir at a time (every request of every process sharing the
        // state dir): the check and the write below are one step.
        let lock: FileLock
        do {
            let path = layout.appsDirLock
            lock = try await BlockingPool.files.run { () throws(StateError) -> FileLock in try FileLock(path: path, timeout: .seconds(30)) }
        } catch {
            return self.error(.serviceUnavailable, "the apps dir is busy (\(error)); try again")
        }
        defer { lock.unlock() }
        let existing = holders(of: registration.name)
        if !existing.files.isEmpty, !existing.allow(grant) {
            return self.error(.forbidden, existing.unknown
                ? "the application \"\(registration.name)\" is held by a file that is not a valid registration; only a token allowed every namespace may replace it"
                : "the application \"\(registration.name)\" belongs to a namespace this token may not change")
        }
        if pathName == nil && !existing.files.isEmpty {
            return self.error(.conflict, "an application named \"\(registration.name)\" is registered already (\(existing.files.joined(separator: ", "))); use PUT to replace it")
        }
        if existing.files.count > 1 {
            return self.error(.conflict, "the name \"\(registration.name)\" is claimed by \(existing.files.count) files (\(existing.files.joined(separator: ", "))); remove one first")
        }
        if existing.files.isEmpty, let limit = maxAppsPerNamespace {
            let count = scanner.scan().files.filter { if case .success(let r) = $0.result { r.namespace == registration.namespace } else { false } }.count
            if count >= limit {
                return self.error(.forbidden, "namespace \"\(registration.namespace)\" has \(count) applications, the most this host allows (--max-apps-per-namespace)")
            }
        }
        let file = existing.files.first ?? (appsDir as NSString).appendingPathComponent(registration.name + ".yaml")
        let text = "# Written by the zerverless-gitops REST API (\(pathName == nil ? "POST" : "PUT")); the body as received.\n" + String(decoding: bytes, as: UTF8.self) + "\n"
        do {
            if existing.files.isEmpty {
                // Created exclusively: a file that appeared meanwhile (by hand) is not replaced.
                guard try AtomicFile.create(Array(text.utf8), at: file, mode: 0o600) else {
                    return self.error(.conflict, "\(file) exists already; use PUT to replace it")
                }
            } else {
                try AtomicFile.write(Array(text.utf8), to: file, mode: 0o600)
            }
        } catch {
            return self.error(.internalServerError, "cannot write \(file): \(error)")
        }
        // The status of the application as it stands, unless the name was another
        // namespace's (its document is not this tenant's to see).
        let current = (try? layout.readStatus(registration.name)).flatMap { $0.namespace == registration.namespace ? $0 : nil }
        var doc = current ?? StatusDocument(
            name: registration.name, namespace: registration.namespace,
            source: .init(repoURL: registration.source.repoURL.redacted, branch: registration.source.branch, path: registration.source.path),
            status: .pending, message: "registered; waiting for the first sync")
        doc.registrationFile = file
        return Response(status: existing.files.isEmpty ? .created : .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: doc.jsonBytes())))
    }

    func remove(_ name: String, grant: APITokens.Grant) -> Response {
        guard Rules.dnsLabelProblem(name) == nil else { return error(.badRequest, "\"\(name)\" is not an application name (a DNS label)") }
        let holders = holders(of: name)
        let held = holders.files
        guard !held.isEmpty, grant.namespaces == nil || holders.namespaces.contains(where: grant.allows) || holders.unknown else {
            return error(.notFound, "no registration file holds the name \"\(name)\"")
        }
        guard holders.allow(grant) else {
            return error(.forbidden, "the application \"\(name)\" is held by a file this token may not change")
        }
        for file in held where unlink(file) != 0 && errno != ENOENT {
            return error(.internalServerError, "cannot remove \(file): \(String(cString: strerror(errno)))")
        }
        return json(.accepted, ["name": name, "removed": held, "message": "registration removed; undeployed after the removal grace"])
    }

    func requestSync(_ name: String, grant: APITokens.Grant) -> Response {
        guard Rules.dnsLabelProblem(name) == nil else { return error(.badRequest, "\"\(name)\" is not an application name (a DNS label)") }
        guard FileManager.default.fileExists(atPath: layout.statusFile(name)) || !holders(of: name).files.isEmpty,
              visible(name, grant: grant) else {
            return error(.notFound, "no application named \"\(name)\"")
        }
        do {
            try AtomicFile.write(Array("requested \(ISO8601DateFormatter().string(from: Date())) through the REST API\n".utf8),
                                 to: layout.requestFile(name))
        } catch {
            return self.error(.internalServerError, "cannot write the sync request: \(error)")
        }
        return json(.accepted, ["name": name, "requested": true])
    }

    /// A file under `auth` that leads outside the namespace's secrets folder, by its text.
    func secretProblem(_ registration: Registration) -> String? {
        let dir = secrets.namespaceDir(registration.namespace)
        let auth = registration.source.auth
        for (field, name) in [("tokenFile", auth?.tokenFile), ("sshKeyFile", auth?.sshKeyFile), ("knownHostsFile", auth?.knownHostsFile)] {
            guard let name, name.hasPrefix("/") else { continue }
            if !SecretsDir.isInside(name, dir) {
                return "spec.source.auth.\(field): \"\(name)\" is outside \(dir)/; upload the file with PUT /api/gitops/secrets/\(registration.namespace)/FILE and name it relative to that folder"
            }
        }
        return nil
    }

    // MARK: Secrets (write-only)

    func namespaceProblem(_ namespace: String, grant: APITokens.Grant) -> Response? {
        if Rules.dnsLabelProblem(namespace) != nil { return error(.badRequest, "\"\(namespace)\" is not a namespace (a DNS label)") }
        if !grant.allows(namespace) { return error(.forbidden, "this token may not see or change the secrets of namespace \"\(namespace)\"") }
        return nil
    }

    func listSecrets(_ namespace: String, grant: APITokens.Grant) -> Response {
        if let refused = namespaceProblem(namespace, grant: grant) { return refused }
        let formatter = ISO8601DateFormatter()
        let entries = secrets.list(namespace: namespace).map { e -> [String: Any] in
            ["name": e.name, "size": e.size, "modified": formatter.string(from: e.modified)]
        }
        return json(.ok, ["namespace": namespace, "secrets": entries])
    }

    func putSecret(_ request: Request, namespace: String, file: String, grant: APITokens.Grant) async -> Response {
        if let refused = namespaceProblem(namespace, grant: grant) { return refused }
        if let problem = SecretsDir.uploadNameProblem(file) { return error(.badRequest, problem) }
        let held = secrets.list(namespace: namespace)
        if held.count >= SecretsDir.maxFiles, !held.contains(where: { $0.name == file }) {
            return error(.forbidden, "namespace \"\(namespace)\" has \(held.count) secret files, the most allowed; delete one first")
        }
        let bytes: [UInt8]
        do {
            bytes = Array(buffer: try await request.body.collect(upTo: SecretsDir.maxSize))
        } catch {
            return self.error(.contentTooLarge, "a secret file is at most \(SecretsDir.maxSize / 1024) KiB")
        }
        do {
            let replaced = try secrets.write(bytes, name: file, namespace: namespace)
            return json(.created, ["namespace": namespace, "name": file, "size": bytes.count, "replaced": replaced])
        } catch {
            return self.error(.internalServerError, "cannot store the secret: \(error)")
        }
    }

    func deleteSecret(namespace: String, file: String, grant: APITokens.Grant) -> Response {
        if let refused = namespaceProblem(namespace, grant: grant) { return refused }
        if let problem = SecretsDir.uploadNameProblem(file) { return error(.badRequest, problem) }
        do {
            guard try secrets.delete(name: file, namespace: namespace) else {
                return error(.notFound, "namespace \"\(namespace)\" has no secret named \"\(file)\"")
            }
            return Response(status: .noContent)
        } catch {
            return self.error(.internalServerError, "cannot remove the secret: \(error)")
        }
    }

    // MARK: Webhook

    func webhook(_ request: Request) async -> Response {
        guard let file = webhookSecretFile else { return error(.notFound, "the webhook is off (no --webhook-secret-file)") }
        guard let secretData = FileManager.default.contents(atPath: file) else {
            return error(.internalServerError, "cannot read the webhook secret file")
        }
        let secret = Array(String(decoding: secretData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        let body: [UInt8]
        do {
            body = Array(buffer: try await request.body.collect(upTo: Webhook.bodyLimit))
        } catch {
            return self.error(.contentTooLarge, "the payload is over 1 MiB")
        }
        guard !secret.isEmpty, let provider = Webhook.verify(request.headers, body: body, secret: secret) else {
            metrics.webhook(provider: "unknown", result: "unauthorized")
            return self.error(.unauthorized, "missing or invalid signature (X-Hub-Signature-256, X-Gitea-Signature, X-Gitlab-Token or X-Zerverless-Signature)")
        }
        guard Webhook.isPush(request.headers, provider: provider) else {
            metrics.webhook(provider: provider.rawValue, result: "ignored")
            return json(.ok, ["provider": provider.rawValue, "triggered": [String](), "message": "not a push event; ignored"])
        }
        guard let push = Webhook.push(body) else {
            metrics.webhook(provider: provider.rawValue, result: "bad_payload")
            return self.error(.badRequest, "no repository URL and branch in the payload")
        }
        var triggered: [String] = []
        for file in scanner.scan().files {
            guard case .success(let r) = file.result, r.source.branch == push.branch,
                  push.keys.contains(r.source.repoURL.matchKey), !triggered.contains(r.name) else { continue }
            if (try? AtomicFile.write(Array("requested \(ISO8601DateFormatter().string(from: Date())) by a \(provider.rawValue) push\n".utf8),
                                      to: layout.requestFile(r.name))) != nil {
                triggered.append(r.name)
            }
        }
        metrics.webhook(provider: provider.rawValue, result: triggered.isEmpty ? "no_match" : "triggered")
        return json(.accepted, ["provider": provider.rawValue, "branch": push.branch, "triggered": triggered.sorted()])
    }

    func error(_ status: HTTPResponse.Status, _ message: String, diagnostics: [Diagnostic] = []) -> Response {
        json(status, ["error": message, "diagnostics": diagnostics.map { d -> [String: Any] in
            var o: [String: Any] = ["file": d.file, "line": d.line, "column": d.column, "severity": d.severity.rawValue, "message": d.message,
                                    "text": d.description]
            if let field = d.field { o["field"] = field }
            return o
        }])
    }
}

func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// The facade's one piece of memory: what it last read from the status files, valid while
/// the status generation has not moved, and for at most a second.
final class ListCache: @unchecked Sendable {
    struct Document {
        var name: String
        var namespace: String
        var bytes: [UInt8]
        var buffer: ByteBuffer
    }

    private let lock = NSLock()
    private var generation = -1
    private var at = ContinuousClock.now
    private var documents: [Document]?
    private var byName: [String: Int] = [:]
    private var body: ByteBuffer?

    private func valid(_ g: Int) -> Bool { g == generation && ContinuousClock.now - at < .seconds(1) }

    func get(generation g: Int) -> [Document]? {
        lock.lock(); defer { lock.unlock() }
        return valid(g) ? documents : nil
    }

    /// Single documents read on their own (a GET of one application), each valid for a
    /// second at its generation.
    private var singles: [String: (doc: Document, generation: Int, at: ContinuousClock.Instant)] = [:]

    func document(_ name: String, generation g: Int) -> Document? {
        lock.lock(); defer { lock.unlock() }
        if valid(g), let documents, let i = byName[name] { return documents[i] }
        if let single = singles[name], single.generation == g, ContinuousClock.now - single.at < .seconds(1) { return single.doc }
        return nil
    }

    func remember(_ doc: Document, generation g: Int) {
        lock.lock(); defer { lock.unlock() }
        if singles.count > 10_000 { singles.removeAll() }
        singles[doc.name] = (doc, g, ContinuousClock.now)
    }

    func set(_ docs: [Document], generation g: Int) {
        lock.lock(); defer { lock.unlock() }
        body = nil
        generation = g
        at = ContinuousClock.now
        documents = docs
        byName = Dictionary(docs.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    func body(generation g: Int) -> ByteBuffer? {
        lock.lock(); defer { lock.unlock() }
        return valid(g) ? body : nil
    }

    func setBody(_ b: ByteBuffer, generation g: Int) {
        lock.lock(); defer { lock.unlock() }
        if g == generation { body = b }
    }
}

/// The apps-dir scanner behind a lock: handlers run concurrently, the scanner's cache does not.
final class SharedScanner: Sendable {
    private let scanner: Mutex<AppsDirScanner>

    init(directory: String) {
        scanner = Mutex(AppsDirScanner(directory: directory))
    }

    func scan() -> AppsDirScanner.Scan { scanner.withLock { $0.scan() } }
}
