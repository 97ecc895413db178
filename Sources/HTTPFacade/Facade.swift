import Daemon
import Foundation
import Hummingbird
import Manifest
import NIOCore
import State

/// The REST API (interface section 5) as a thin facade over files: registering writes a
/// registration file into the apps dir (the daemon picks it up through inotify like any
/// other), reading reads status files, a sync request writes a request file. It holds no
/// state and does not reach into the daemon.
public struct Facade: Sendable {
    public let appsDir: String
    public let layout: StateLayout
    public static let bodyLimit = 64 << 10

    public init(appsDir: String, layout: StateLayout) {
        self.appsDir = appsDir
        self.layout = layout
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/healthz") { _, _ in json(.ok, ["status": "ok"]) }
        let api = router.group("/api/gitops/applications")
        api.get { _, _ in self.list() }
        api.post { request, _ in await self.register(request, name: nil) }
        api.get("{name}") { _, context in self.status(try context.parameters.require("name")) }
        api.put("{name}") { request, context in await self.register(request, name: try context.parameters.require("name")) }
        api.delete("{name}") { _, context in self.remove(try context.parameters.require("name")) }
        api.post("{name}/sync") { _, context in self.requestSync(try context.parameters.require("name")) }
        return router
    }

    // MARK: Handlers

    func list() -> Response {
        var documents: [[String: Any]] = []
        for name in layout.applications() {
            if let data = FileManager.default.contents(atPath: layout.statusFile(name)),
               let doc = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
                documents.append(doc)
            }
        }
        return json(.ok, ["applications": documents, "total": documents.count])
    }

    func status(_ name: String) -> Response {
        guard Rules.dnsLabelProblem(name) == nil else { return error(.badRequest, "\"\(name)\" is not an application name (a DNS label)") }
        guard let data = FileManager.default.contents(atPath: layout.statusFile(name)) else {
            return error(.notFound, "no application named \"\(name)\"")
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func register(_ request: Request, name pathName: String?) async -> Response {
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
        if let pathName, pathName != registration.name {
            return self.error(.badRequest, "the body's name \"\(registration.name)\" is not the name in the path, \"\(pathName)\"")
        }
        let existing = files(holding: registration.name)
        if pathName == nil && !existing.isEmpty {
            return self.error(.conflict, "an application named \"\(registration.name)\" is registered already (\(existing.joined(separator: ", "))); use PUT to replace it")
        }
        if existing.count > 1 {
            return self.error(.conflict, "the name \"\(registration.name)\" is claimed by \(existing.count) files (\(existing.joined(separator: ", "))); remove one first")
        }
        let file = existing.first ?? (appsDir as NSString).appendingPathComponent(registration.name + ".yaml")
        let text = "# Written by the zerverless-gitops REST API (\(pathName == nil ? "POST" : "PUT")); the body as received.\n" + String(decoding: bytes, as: UTF8.self) + "\n"
        do {
            try AtomicFile.write(Array(text.utf8), to: file)
        } catch {
            return self.error(.internalServerError, "cannot write \(file): \(error)")
        }
        var doc = (try? layout.readStatus(registration.name)) ?? StatusDocument(
            name: registration.name, namespace: registration.namespace,
            source: .init(repoURL: registration.source.repoURL.redacted, branch: registration.source.branch, path: registration.source.path),
            status: .pending, message: "registered; waiting for the first sync")
        doc.registrationFile = file
        return Response(status: existing.isEmpty ? .created : .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: doc.jsonBytes())))
    }

    func remove(_ name: String) -> Response {
        guard Rules.dnsLabelProblem(name) == nil else { return error(.badRequest, "\"\(name)\" is not an application name (a DNS label)") }
        let held = files(holding: name)
        guard !held.isEmpty else { return error(.notFound, "no registration file holds the name \"\(name)\"") }
        for file in held where unlink(file) != 0 && errno != ENOENT {
            return error(.internalServerError, "cannot remove \(file): \(String(cString: strerror(errno)))")
        }
        return json(.accepted, ["name": name, "removed": held, "message": "registration removed; undeployed after the removal grace"])
    }

    func requestSync(_ name: String) -> Response {
        guard Rules.dnsLabelProblem(name) == nil else { return error(.badRequest, "\"\(name)\" is not an application name (a DNS label)") }
        guard FileManager.default.fileExists(atPath: layout.statusFile(name)) || !files(holding: name).isEmpty else {
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

    /// The registration files of the apps dir whose application is `name`.
    func files(holding name: String) -> [String] {
        AppsDirScanner(directory: appsDir).scan().files.filter { $0.name == name }.map(\.path)
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
