import Foundation
import Hummingbird
import Manifest
import NIOCore
import State

/// The applications list, a page at a time.
extension Facade {
    /// `?namespace=&status=&labelSelector=&limit=&continue=`: the matching documents in name order, at
    /// most `limit` of them, and `continue` (opaque: the last name given) when more follow.
    /// Every application is on exactly one page of a walk, whatever changes meanwhile
    /// (one that appears before the cursor is seen by the next walk).
    func page(_ grant: APITokens.Grant, query: Parameters, raw: String) -> Response {
        let namespace = query.get("namespace")
        let status = query.get("status")
        if let namespace, Rules.dnsLabelProblem(namespace) != nil {
            return error(.badRequest, "namespace: \"\(namespace)\" is not a DNS label")
        }
        if let status, StatusDocument.Phase(rawValue: status) == nil {
            return error(
                .badRequest,
                "status: \"\(status)\" is not one of \(StatusDocument.Phase.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        var selector: LabelSelector?
        if let text = query.get("labelSelector") {
            do throws(LabelSelectorError) {
                selector = try LabelSelector(parsing: text)
            } catch {
                return self.error(.badRequest, "labelSelector: \(error)")
            }
        }
        var limit = Int.max
        if let text = query.get("limit") {
            guard let n = Int(text), (1...10_000).contains(n) else {
                return error(.badRequest, "limit: \"\(text)\" is not a number from 1 to 10000")
            }
            limit = n
        }
        var after: String?
        if let token = query.get("continue") {
            guard let name = Self.cursor(token) else {
                return error(.badRequest, "continue: not a token this API gave")
            }
            after = name
        }
        // The cached list is in name order: the page starts after the cursor (a binary
        // search) and stops at its limit; only `total` looks at every document, and not
        // even that when nothing filters.
        // Live, a page is kept for as long as nothing changed (per token's namespaces and query).
        let live = listCache.liveList(pending: pendingDocuments)
        let key = ListCache.pageKey(grant, query: raw)
        if let live, let hit = listCache.page(key, version: live.version) {
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: hit))
        }
        let docs = live?.docs ?? documents()
        func matches(_ doc: ListCache.Document) -> Bool {
            grant.allows(doc.namespace) && (namespace == nil || doc.namespace == namespace)
                && (status == nil || doc.status == status) && (selector?.matches(doc.labels) ?? true)
        }
        // Whether `matches` can refuse a document: every test it makes, named here once.
        let filtered = grant.namespaces != nil || namespace != nil || status != nil || selector != nil
        let total = filtered ? docs.indices.count { matches(docs[$0]) } : docs.count
        var start = 0
        if let after {
            var high = docs.count
            while start < high {
                let mid = (start + high) / 2
                if docs[mid].name > after { high = mid } else { start = mid + 1 }
            }
        }
        // A first guess at the size (the buffer grows past it): at most 1 MiB.
        var body = ByteBufferAllocator().buffer(capacity: 256 + min(1 << 20, min(limit, docs.count - start) * 1024))
        body.writeString("{\"applications\": [")
        var given = 0
        var last: String?
        var more = false
        for i in start..<docs.count where matches(docs[i]) {
            if given == limit {
                more = true
                break
            }
            if given > 0 { body.writeString(", ") }
            body.writeBytes(docs[i].bytes)
            given += 1
            last = docs[i].name
        }
        body.writeString("], \"total\": \(total)")
        if more, let last { body.writeString(", \"continue\": \"\(Self.token(after: last))\"") }
        body.writeString("}")
        if let live {
            listCache.rememberPage(
                key, body, version: live.version, after: after, through: more ? last : nil,
                filtered: filtered)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    /// The continue token: base64url of `v1:` and the last name (opaque to clients).
    static func token(after name: String) -> String {
        Data("v1:\(name)".utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
            of: "/", with: "_"
        )
        .replacingOccurrences(of: "=", with: "")
    }

    static func cursor(_ token: String) -> String? {
        var text = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text), let decoded = String(data: data, encoding: .utf8),
            decoded.hasPrefix("v1:")
        else { return nil }
        let name = String(decoded.dropFirst(3))
        return Rules.dnsLabelProblem(name) == nil ? name : nil
    }
}
