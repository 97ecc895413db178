import Foundation
import Hummingbird
import Manifest
import NIOCore
import State
import Toolkit

extension Facade {
    /// An application the grant may see: it has a status or a registration.
    func known(_ name: String, grant: APITokens.Grant) -> Response? {
        guard Rules.dnsLabelProblem(name) == nil else {
            return error(.badRequest, "\"\(name)\" is not an application name (a DNS label)")
        }
        guard
            FileManager.default.fileExists(atPath: layout.statusFile(name)) || !scanner.holders(of: name).files.isEmpty,
            visible(name, grant: grant)
        else {
            return error(.notFound, "no application named \"\(name)\"")
        }
        return nil
    }

    /// `GET .../{name}/history[?limit=N]`: the history file as `history --json` prints it.
    func history(_ name: String, request: Request, grant: APITokens.Grant) -> Response {
        if let refused = known(name, grant: grant) { return refused }
        var limit = SyncHistory.limit
        if let text = request.uri.queryParameters.get("limit") {
            guard let n = Int(text), n >= 1 else {
                return error(.badRequest, "limit: \"\(text)\" is not a number of at least 1")
            }
            limit = n
        }
        let attempts = layout.readHistory(name).attempts.prefix(limit)
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: SyncHistory.document(Array(attempts)))))
    }

    /// `POST .../{name}/rollback`, body `{"commit"?, "reason"?}`: writes the pin (default:
    /// the successful commit before the current one). The daemon fetches the commit; one
    /// the repository does not have makes the app `error` and nothing else changes.
    func rollback(_ name: String, request: Request, grant: APITokens.Grant) async -> Response {
        if let refused = known(name, grant: grant) { return refused }
        if let refused = unsupportedMediaType(request, MediaType.json, what: "a rollback body", emptyBodyOK: true) {
            return refused
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: 16 << 10)
        } catch {
            return self.error(.contentTooLarge, "a rollback body is at most 16 KiB")
        }
        var commit: String?
        var reason: String?
        if body.readableBytes > 0 {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any]
            else {
                return error(
                    .badRequest, "the body must be a JSON object: {\"commit\"?: \"40 hex\", \"reason\"?: \"text\"}")
            }
            if let extra = object.keys.first(where: { $0 != "commit" && $0 != "reason" }) {
                return error(.badRequest, "unknown field \"\(extra)\"; expected commit and reason")
            }
            if let value = object["commit"] {
                guard let text = value as? String, Pin.isCommitID(text) else {
                    return error(.badRequest, "commit: a full commit id is needed (40 lowercase hex digits)")
                }
                commit = text
            }
            if let value = object["reason"] {
                guard let text = value as? String, text.utf8.count <= 1024 else {
                    return error(.badRequest, "reason: a string of at most 1 KiB")
                }
                reason = text
            }
        }
        let status = try? layout.readStatus(name)
        guard let target = commit ?? Pin.previousCommit(layout.readHistory(name), current: status?.source.commit) else {
            return error(.conflict, "\(name) has no successful sync of another commit in its history; give \"commit\"")
        }
        let who = grant.namespaces == nil ? "the REST API (operator token)" : "the REST API"
        do {
            try layout.writePin(Pin(commit: target, reason: reason, since: Date(), by: who), of: name)
        } catch {
            return self.error(.internalServerError, "cannot write the pin: \(error)")
        }
        StatusGeneration.bump()
        var answer: [String: Any] = ["name": name, "pinned": target]
        if let from = status?.source.commit { answer["from"] = from }
        if let reason { answer["reason"] = reason }
        return json(.accepted, answer)
    }

    /// `DELETE .../{name}/pin`: the app follows its ref again.
    func unpin(_ name: String, grant: APITokens.Grant) -> Response {
        if let refused = known(name, grant: grant) { return refused }
        do {
            guard try layout.removePin(name, by: "the REST API") else {
                return error(.notFound, "\(name) is not pinned")
            }
        } catch {
            return self.error(.internalServerError, "cannot remove the pin: \(error)")
        }
        return json(.accepted, ["name": name, "pinned": false])
    }
}
