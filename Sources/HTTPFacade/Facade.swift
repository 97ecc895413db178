import CoreMetrics
import Foundation
import Hummingbird
import Manifest
import NIOCore
import State
import Synchronization
import Toolkit

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
    /// The process's own metrics in the Prometheus text format (the daemon's registry);
    /// the facade adds what the files say.
    public let processMetrics: @Sendable () -> String
    /// Where the facade's own counters go (swift-metrics).
    public let metricsFactory: any MetricsFactory
    public let readiness: Readiness?
    /// Where tenants upload their secrets (write-only) and registrations read them from.
    public let secrets: SecretsDir
    /// Registrations the API creates in one namespace, at most (nil: no limit).
    public var maxAppsPerNamespace: Int? = 200
    /// The `Host` values answered (`--listen`, `--api-hostname`); others get 421.
    public var hosts = HostPolicy()
    /// Event streams open at once, in total and per token (429 over it).
    public var streams = StreamBudget()
    /// How often an open event stream looks whether its token still holds.
    public var tokenCheckInterval: Duration = .milliseconds(250)
    let listCache = ListCache()
    /// Status file changes, from inotify (the event stream).
    public let feed: StatusFeed
    /// The apps dir as last read (files are read again only when they change).
    let scanner: AppsDir
    public static let bodyLimit = 64 << 10

    public init(
        appsDir: String, layout: StateLayout, tokens: APITokens? = nil, webhookSecretFile: String? = nil,
        processMetrics: @escaping @Sendable () -> String = { "" },
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        readiness: Readiness? = nil,
        secrets: SecretsDir = SecretsDir(root: SecretsDir.defaultRoot),
        sharingReadsWith daemonReads: AppsDir? = nil
    ) {
        self.appsDir = appsDir
        self.scanner = AppsDir(
            directory: appsDir, generated: { [layout] in layout.generatedApplications() }, sharing: daemonReads)
        self.secrets = secrets
        self.layout = layout
        self.tokens = tokens
        self.webhookSecretFile = webhookSecretFile
        self.processMetrics = processMetrics
        self.metricsFactory = metricsFactory
        self.readiness = readiness
        self.feed = StatusFeed(layout: layout)
        // The whole list's file in the page cache of the state dir's file system (see BodyFile).
        listCache.listFile.directory = layout.root
    }

    public func router() -> Router<FacadeContext> {
        let router = Router(context: FacadeContext.self)
        // First, for every route (and for paths no route takes): Host, cross-site requests.
        router.add(middleware: RequestGuard(hosts: hosts) { status, message in self.error(status, message) })
        router.get("/healthz") { _, _ in json(.ok, ["status": "ok"]) }
        router.get("/readyz") { _, _ in self.ready() }
        router.on("/metrics", method: .head) { request, _ in
            self.authorized(request) { grant in
                Response(
                    status: grant.namespaces == nil ? .ok : .forbidden,
                    headers: [.contentType: "text/plain; version=0.0.4"])
            }
        }
        router.get("/metrics") { request, _ in
            // With API tokens, the metrics (which name every tenant's applications) need a
            // token allowed every namespace: the operator's scraper.
            self.authorized(request) { grant in
                guard grant.namespaces == nil else {
                    return self.error(
                        .forbidden,
                        "/metrics names every namespace's applications; it needs a token allowed every namespace (*)")
                }
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                    body: .init(byteBuffer: ByteBuffer(string: self.metricsText())))
            }
        }
        router.post("/api/gitops/webhook") { request, _ in await self.webhook(request) }
        router.get("/api/gitops/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.get("/api/gitops/events") { request, context in await self.events(request, context: context) }
        router.get("/") { _, _ in self.statusPage() }
        router.get("/apps/{name}") { request, context in
            self.appPage(try context.parameters.require("name"), request: request)
        }
        let api = router.group("/api/gitops/applications")
        api.get { request, _ in self.authorized(request) { self.list($0, request: request) } }
        api.post { request, _ in
            await self.authorizedAsync(request) { await self.register(request, name: nil, grant: $0) }
        }
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
            return await self.authorizedAsync(request) { await self.remove(name, grant: $0) }
        }
        api.post("{name}/sync") { request, context in
            let name = try context.parameters.require("name")
            return self.authorized(request) { self.requestSync(name, grant: $0) }
        }
        api.get("{name}/history") { request, context in
            let name = try context.parameters.require("name")
            return self.authorized(request) { self.history(name, request: request, grant: $0) }
        }
        api.post("{name}/rollback") { request, context in
            let name = try context.parameters.require("name")
            return await self.authorizedAsync(request) { await self.rollback(name, request: request, grant: $0) }
        }
        api.delete("{name}/pin") { request, context in
            let name = try context.parameters.require("name")
            return self.authorized(request) { self.unpin(name, grant: $0) }
        }
        let setsAPI = router.group("/api/gitops/applicationsets")
        setsAPI.get { request, _ in self.authorized(request) { self.listSets($0) } }
        setsAPI.get("{name}") { request, context in
            let name = try context.parameters.require("name")
            return self.authorized(request) { self.setStatus(name, grant: $0) }
        }
        let secretsAPI = router.group("/api/gitops/secrets")
        secretsAPI.get("{namespace}") { request, context in
            let namespace = try context.parameters.require("namespace")
            return self.authorized(request) { self.listSecrets(namespace, grant: $0) }
        }
        secretsAPI.put("{namespace}/{file}") { request, context in
            let namespace = try context.parameters.require("namespace")
            let file = try context.parameters.require("file")
            return await self.authorizedAsync(request) {
                await self.putSecret(request, namespace: namespace, file: file, grant: $0)
            }
        }
        secretsAPI.delete("{namespace}/{file}") { request, context in
            let namespace = try context.parameters.require("namespace")
            let file = try context.parameters.require("file")
            return self.authorized(request) { self.deleteSecret(namespace: namespace, file: file, grant: $0) }
        }
        return router
    }

    func error(_ status: HTTPResponse.Status, _ message: String, diagnostics: [Diagnostic] = []) -> Response {
        json(
            status,
            [
                "error": message,
                "diagnostics": diagnostics.map { d -> [String: Any] in
                    var o: [String: Any] = [
                        "file": d.file, "line": d.line, "column": d.column, "severity": d.severity.rawValue,
                        "message": d.message,
                        "text": d.description,
                    ]
                    if let field = d.field { o["field"] = field }
                    return o
                },
            ])
    }
}

func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
    let data =
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
        ?? Data("{}".utf8)
    return Response(
        status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
