import Foundation
import Hummingbird
import Manifest
import NIOCore
import State
import Toolkit

extension Facade {
    // MARK: Handlers

    /// The status documents as the files hold them, with their namespaces, and a `pending`
    /// document for every valid registration the daemon has not written a status for yet
    /// (a POST is listed and readable at once); kept while no status file was written by
    /// this process (the daemon is their only writer) and for at most a second (a change
    /// made by hand is seen within it).
    func documents() -> [ListCache.Document] {
        if let live = listCache.liveDocuments(pending: pendingDocuments) { return live }
        if let cached = listCache.get(generation: StatusGeneration.current) { return cached }
        let generation = StatusGeneration.current
        var documents: [ListCache.Document] = []
        var seen = Set<String>()
        for name in layout.applications() {
            guard let data = FileManager.default.contents(atPath: layout.statusFile(name)),
                let doc = NamespaceOnly.read(Array(data))
            else { continue }
            seen.insert(name)
            documents.append(
                .init(
                    name: name, namespace: doc.namespace, status: doc.status ?? "", labels: doc.labels ?? [:],
                    bytes: Array(data)))
        }
        documents += pendingDocuments(seen)
        documents.sort { $0.name < $1.name }
        listCache.set(documents, generation: generation)
        return documents
    }

    /// The pending documents: valid registrations whose application has no status file.
    func pendingDocuments(_ known: Set<String>) -> [ListCache.Document] {
        var seen = known
        var documents: [ListCache.Document] = []
        for file in scanner.scan().files {
            guard case .success(let registration) = file.result, seen.insert(registration.name).inserted else {
                continue
            }
            documents.append(pendingDocument(registration, file: file.path))
        }
        return documents
    }

    /// Keeps the list cache live (until cancelled): every status file read once the status
    /// feed's watch is in place, then each change as the feed reports it. The daemon runs
    /// it beside the server; without it, the cache re-reads every file when it is stale.
    public func followStatus() async {
        let changes = await feed.subscribe(buffering: .unbounded)
        let docs = await BlockingPool.files.run { () -> [ListCache.Document] in
            self.layout.applications().compactMap { name in
                FileManager.default.contents(atPath: self.layout.statusFile(name)).flatMap {
                    Self.document(name, Array($0))
                }
            }
        }
        listCache.start(docs)
        await withDiscardingTaskGroup { group in
            // The whole list's memory file, made off the event loop when the hot path asks.
            group.addTask {
                for await _ in self.listCache.listFile.requests {
                    await BlockingPool.files.run { self.listCache.listFile.make() }
                }
            }
            for await change in changes {
                switch change {
                case .status(let name, _, let bytes): listCache.apply(name: name, Self.document(name, bytes))
                case .deleted(let name): listCache.apply(name: name, nil)
                case .unwatched:
                    // A file whose changes the feed cannot see: every list reads the files
                    // again (the loop goes on until cancelled: a service that returns ends
                    // the daemon).
                    listCache.stop()
                case .heartbeat: break
                }
            }
            group.cancelAll()
        }
    }

    /// Whether the list cache is kept live by `followStatus`.
    public var listIsLive: Bool { listCache.isLive }

    /// A status file's document for the list (nil: not a status document).
    static func document(_ name: String, _ bytes: [UInt8]) -> ListCache.Document? {
        guard let doc = NamespaceOnly.read(bytes) else { return nil }
        return .init(
            name: name, namespace: doc.namespace, status: doc.status ?? "", labels: doc.labels ?? [:],
            bytes: bytes)
    }

    /// What the facade answers for a registration with no status file yet.
    func pendingDocument(_ registration: Registration, file: String) -> ListCache.Document {
        let bytes = StatusDocument.pending(registration, file: file, previous: nil).jsonBytes()
        return .init(
            name: registration.name, namespace: registration.namespace, status: "pending",
            labels: registration.labels, bytes: bytes)
    }

    func list(_ grant: APITokens.Grant, request: Request) -> Response {
        let query = request.uri.queryParameters
        if query.get("namespace") != nil || query.get("status") != nil || query.get("limit") != nil
            || query.get("continue") != nil || query.get("labelSelector") != nil
        {
            return page(grant, query: query, raw: request.uri.query ?? "")
        }
        let generation = StatusGeneration.current
        // Live: the pending documents read again when a second old (the hot path answers
        // from the kept body only while they are fresh).
        let live = listCache.liveList(pending: pendingDocuments)
        let kept: ByteBuffer? =
            if let live { listCache.liveBody(version: live.version) } else { listCache.body(generation: generation) }
        if grant.namespaces == nil, let body = kept {
            // A ByteBuffer shares its storage: the cached list is not copied per request.
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        }
        let all = live?.docs ?? documents()
        let chosen = grant.namespaces == nil ? all : all.filter { grant.allows($0.namespace) }
        // {"applications": [doc, ...], "total": N}, each document as its file holds it.
        // Written once into one buffer of the right size (no intermediate array).
        var buffer = ByteBufferAllocator().buffer(capacity: chosen.reduce(64) { $0 + $1.bytes.count + 2 })
        buffer.writeString("{\"applications\": [")
        for (i, doc) in chosen.enumerated() {
            if i > 0 { buffer.writeString(", ") }
            buffer.writeBytes(doc.bytes)
        }
        buffer.writeString("], \"total\": \(chosen.count)}")
        if grant.namespaces == nil {
            if let live {
                listCache.setLiveBody(buffer, version: live.version)
            } else {
                listCache.setBody(buffer, generation: generation)
            }
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }

    func status(_ name: String, grant: APITokens.Grant) -> Response {
        guard Rules.dnsLabelProblem(name) == nil else {
            return error(.badRequest, "\"\(name)\" is not an application name (a DNS label)")
        }
        let generation = StatusGeneration.current
        var cached = listCache.liveDocument(name) ?? listCache.document(name, generation: generation)
        if cached == nil, let data = FileManager.default.contents(atPath: layout.statusFile(name)),
            let doc = NamespaceOnly.read(Array(data))
        {
            cached = .init(name: name, namespace: doc.namespace, bytes: Array(data))
            listCache.remember(cached!, generation: generation)
        }
        if let doc = cached {
            guard grant.allows(doc.namespace) else { return error(.notFound, "no application named \"\(name)\"") }
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: doc.buffer))
        }
        // Registered, no status yet: pending. Another namespace's application is as absent
        // as a missing one.
        if let found = scanner.registration(named: name), grant.allows(found.registration.namespace) {
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: pendingDocument(found.registration, file: found.file).buffer))
        }
        return error(.notFound, "no application named \"\(name)\"")
    }

    func register(_ request: Request, name pathName: String?, grant: APITokens.Grant) async -> Response {
        if let refused = unsupportedMediaType(request, MediaType.registration, what: "a registration") {
            return refused
        }
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
            return self.error(
                .forbidden, "this token may not register applications in namespace \"\(registration.namespace)\"")
        }
        // The secrets rule, judged on the names alone (the daemon checks again when it reads).
        if let problem = secretProblem(registration) { return self.error(.badRequest, problem) }
        // A local path reads this host's files (another tenant's fetch cache, say): only the
        // operator's token may register one (and the daemon takes them only with --allow-file-urls).
        if registration.source.repoURL.isLocal, grant.namespaces != nil {
            return self.error(
                .forbidden, "local repository URLs (file:// and paths) need a token allowed every namespace")
        }
        if let pathName, pathName != registration.name {
            return self.error(
                .badRequest, "the body's name \"\(registration.name)\" is not the name in the path, \"\(pathName)\"")
        }
        if let refused = readOnlyAppsDir() { return refused }
        // One writer of the apps dir at a time (every request of every process sharing the
        // state dir): the check and the write below are one step.
        let lock: FileLock
        switch await lockAppsDir() {
        case .success(let held): lock = held
        case .failure(let busy): return busy.response
        }
        defer { lock.unlock() }
        let existing = scanner.holders(of: registration.name)
        if let set = existing.generatedBy, existing.allow(grant) {
            return self.error(
                .conflict,
                "the application \"\(registration.name)\" is made by the application set \"\(set)\"; change the set (or choose another name)"
            )
        }
        if !existing.files.isEmpty, !existing.allow(grant) {
            return self.error(
                .forbidden,
                existing.unknown
                    ? "the application \"\(registration.name)\" is held by a file that is not a valid registration; only a token allowed every namespace may replace it"
                    : "the application \"\(registration.name)\" belongs to a namespace this token may not change")
        }
        if pathName == nil && !existing.files.isEmpty {
            return self.error(
                .conflict,
                "an application named \"\(registration.name)\" is registered already (\(existing.files.joined(separator: ", "))); use PUT to replace it"
            )
        }
        if existing.files.count > 1 {
            return self.error(
                .conflict,
                "the name \"\(registration.name)\" is claimed by \(existing.files.count) files (\(existing.files.joined(separator: ", "))); remove one first"
            )
        }
        if existing.files.isEmpty, let limit = maxAppsPerNamespace {
            let count = scanner.count(in: registration.namespace)
            if count >= limit {
                return self.error(
                    .forbidden,
                    "namespace \"\(registration.namespace)\" has \(count) applications, the most this host allows (--max-apps-per-namespace)"
                )
            }
        }
        let file = existing.files.first ?? scanner.newFile(for: registration.name)
        let text =
            "# Written by the zerverless-gitops REST API (\(pathName == nil ? "POST" : "PUT")); the body as received.\n"
            + String(decoding: bytes, as: UTF8.self) + "\n"
        do {
            // A new file is created exclusively: one that appeared meanwhile (by hand) is not replaced.
            guard try scanner.write(Array(text.utf8), to: file, exclusive: existing.files.isEmpty) else {
                return self.error(.conflict, "\(file) exists already; use PUT to replace it")
            }
        } catch {
            return self.error(.internalServerError, "cannot write \(file): \(error)")
        }
        StatusGeneration.bump()  // the list changed: answers kept from before are stale
        listCache.appsChanged()
        // The status of the application as it stands (pending until the daemon writes one);
        // a document of another namespace (the name was another tenant's) is not shown.
        let current = try? layout.readStatus(registration.name)
        var doc = StatusDocument.base(for: registration, file: file, previous: current)
        if current == nil || current?.namespace != registration.namespace {
            doc = .pending(registration, file: file, previous: nil)
        }
        return Response(
            status: existing.files.isEmpty ? .created : .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: doc.jsonBytes())))
    }

    /// The apps dir's lock: one writer at a time, among every request of every process
    /// sharing the state dir; a 503 when it stays busy for 30 s.
    func lockAppsDir() async -> Result<FileLock, AppsDirBusy> {
        do {
            return .success(try await FileLock.acquire(path: layout.appsDirLock, timeout: .seconds(30)))
        } catch {
            return .failure(
                AppsDirBusy(response: self.error(.serviceUnavailable, "the apps dir is busy (\(error)); try again")))
        }
    }

    struct AppsDirBusy: Error {
        let response: Response
    }

    func remove(_ name: String, grant: APITokens.Grant) async -> Response {
        guard Rules.dnsLabelProblem(name) == nil else {
            return error(.badRequest, "\"\(name)\" is not an application name (a DNS label)")
        }
        // Under the apps dir's lock, like a write: the holders checked are the files removed
        // (a PUT of another namespace's file for the name cannot slip in between).
        let lock: FileLock
        switch await lockAppsDir() {
        case .success(let held): lock = held
        case .failure(let busy): return busy.response
        }
        defer { lock.unlock() }
        let holders = scanner.holders(of: name)
        let held = holders.files
        guard !held.isEmpty,
            grant.namespaces == nil || holders.namespaces.contains(where: grant.allows) || holders.unknown
        else {
            return error(.notFound, "no registration file holds the name \"\(name)\"")
        }
        guard holders.allow(grant) else {
            return error(.forbidden, "the application \"\(name)\" is held by a file this token may not change")
        }
        if let set = holders.generatedBy {
            return error(
                .conflict,
                "the application \"\(name)\" is made by the application set \"\(set)\"; remove it from the set (its element, or the set's file)"
            )
        }
        if let refused = readOnlyAppsDir() { return refused }
        for file in held where unlink(file) != 0 && errno != ENOENT {
            return error(.internalServerError, "cannot remove \(file): \(String(cString: strerror(errno)))")
        }
        StatusGeneration.bump()
        listCache.appsChanged()
        return json(
            .accepted,
            ["name": name, "removed": held, "message": "registration removed; undeployed after the removal grace"])
    }

    func requestSync(_ name: String, grant: APITokens.Grant) -> Response {
        if let refused = known(name, grant: grant) { return refused }
        do {
            try SyncRequests(layout: layout).write(name, by: "the REST API")
        } catch {
            return self.error(.internalServerError, "cannot write the sync request: \(error)")
        }
        return json(.accepted, ["name": name, "requested": true])
    }

    /// 405 when the daemon may not write the apps dir: the operator manages registrations
    /// there (ConfigMap, Ansible, by hand) and the REST API can only read them.
    func readOnlyAppsDir() -> Response? {
        guard let problem = WritableFolder.problem(scanner.directory) else { return nil }
        var response = error(
            .methodNotAllowed,
            "the apps dir is read-only here: \(problem); registrations are managed in it by the operator (a ConfigMap, Ansible, by hand), and the REST API can only read them. To let the API write, make the apps dir writable for the daemon (systemd: ReadWritePaths= in a drop-in)."
        )
        response.headers[.allow] = "GET, HEAD"
        return response
    }
}
