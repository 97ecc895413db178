import Foundation
import Hummingbird
import Manifest
import NIOCore
import State
import Toolkit

extension Facade {
    // MARK: Application sets

    /// `GET /api/gitops/applicationsets`: the sets' statuses as their files hold them,
    /// those of the token's namespaces (`{"applicationSets": [...], "total": N}`).
    func listSets(_ grant: APITokens.Grant) -> Response {
        var body = Array("{\"applicationSets\": [".utf8)
        var count = 0
        for name in layout.sets() {
            guard let (namespace, bytes) = setStatus(name), grant.allows(namespace) else { continue }
            if count > 0 { body.append(contentsOf: ", ".utf8) }
            body.append(contentsOf: bytes)
            count += 1
        }
        body.append(contentsOf: "], \"total\": \(count)}".utf8)
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// `GET /api/gitops/applicationsets/{name}`: one set's status; another namespace's set
    /// is as absent as a missing one.
    func setStatus(_ name: String, grant: APITokens.Grant) -> Response {
        guard Rules.dnsLabelProblem(name) == nil else {
            return error(.badRequest, "\"\(name)\" is not an application set name (a DNS label)")
        }
        guard let (namespace, bytes) = setStatus(name), grant.allows(namespace) else {
            return error(.notFound, "no application set named \"\(name)\"")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The status file's namespace and bytes (an invalid set's namespace is "": only a
    /// token allowed every namespace sees it).
    func setStatus(_ name: String) -> (String, [UInt8])? {
        guard let data = FileManager.default.contents(atPath: layout.setStatusFile(name)),
            let doc = try? JSONDecoder().decode(NamespaceOnly.self, from: data)
        else { return nil }
        return (doc.namespace, Array(data))
    }
}
