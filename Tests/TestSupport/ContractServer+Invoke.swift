import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// What a deployed function gets as `req`, built as the orchestrator builds it: the first
/// value of each query parameter and of each header (header names in Go's canonical form,
/// `Host` apart), the body as text.
public struct FunctionRequest: Sendable, Equatable, Codable {
    public var method: String
    /// The orchestrator's quirk: the path after the deployment's own, where the matched
    /// path is always the deployment's, so "/" for every call.
    public var path: String
    public var query: [String: String]
    public var headers: [String: String]
    public var body: String

    public init(
        method: String, path: String = "/", query: [String: String] = [:], headers: [String: String] = [:],
        body: String = ""
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// What a function returns: `{status, headers, body}` (status 200 when it gives none).
public struct FunctionResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]
    public var body: String

    public init(status: Int = 200, headers: [String: String] = [:], body: String = "") {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

extension ContractServer {
    /// `/{namespace}/{path...}`, any method: the namespace's deployment with the longest
    /// prefix of the path (whole segments; the exact path first), run as the platform
    /// runs it (ContractServer+Runtimes.swift), or a test's override of it.
    func invoke(_ request: Request, method: String, parts: [String], body: [UInt8]) async -> Response {
        // parts: ["", namespace, rest...]; chi's "/{user}/*" needs the slash after the user.
        guard parts.count >= 3, !parts[1].isEmpty else { return Response(status: .notFound) }
        let ns = parts[1]
        let segments = Array(parts[2...])
        let found = state.withLock {
            s -> (String, Deployment, (@Sendable (FunctionRequest) async -> FunctionResponse)?)? in
            for count in stride(from: segments.count, to: 0, by: -1) {
                let key = ns + "/" + segments[..<count].joined(separator: "/")
                if let d = s.deployments[key] {
                    s.invocations[key, default: 0] += 1
                    return (key, d, s.invokeOverride[key])
                }
            }
            return nil
        }
        guard let (_, deployment, override) = found else {
            return Response(
                status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "404 page not found\n")))
        }
        let input = FunctionRequest(
            method: method, path: "/", query: Self.goQuery(request.uri.query ?? ""),
            headers: Self.goHeaders(request.headers), body: String(decoding: body, as: UTF8.self))
        if let override { return response(await override(input)) }
        switch await run(deployment, input) {
        case .result(let json): return response(json: json)
        case .failed(let message): return errorJSON(.internalServerError, message)
        case .timedOut(let limit): return errorJSON(.gatewayTimeout, "timeout: the function ran longer than \(limit)")
        case .notRun(let status, let message): return errorJSON(status, message)
        }
    }

    /// `GET /static/{namespace}/{path...}`: a stored file, its content type from its name.
    func serveStatic(method: String, parts: [String]) -> Response {
        guard method == "GET" || method == "HEAD" else { return Response(status: .methodNotAllowed) }
        guard parts.count >= 4 else { return Response(status: .notFound) }
        let ns = parts[2]
        let file = parts[3...].joined(separator: "/")
        guard !file.isEmpty, !file.contains(".."), let bytes = state.withLock({ $0.storage[ns]?[file] }) else {
            return Response(
                status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "404 page not found\n")))
        }
        return Response(
            status: .ok, headers: [.contentType: Self.contentType(file, bytes)],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The orchestrator's four named types, then (for what Go would sniff) text or bytes.
    static func contentType(_ file: String, _ bytes: [UInt8]) -> String {
        let types = [
            "html": "text/html", "css": "text/css", "js": "application/javascript", "json": "application/json",
            "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
            "ico": "image/x-icon", "wasm": "application/wasm", "txt": "text/plain; charset=utf-8",
        ]
        let name = file.split(separator: "/").last.map(String.init) ?? file
        if let dot = name.lastIndex(of: "."), let type = types[name[name.index(after: dot)...].lowercased()] {
            return type
        }
        let text = !bytes.contains(0) && String(validating: bytes, as: UTF8.self) != nil
        return text ? "text/plain; charset=utf-8" : "application/octet-stream"
    }

    /// Go's `r.URL.Query()`, first values: `+` is a space, keys and values percent-decoded,
    /// pairs that do not decode dropped.
    static func goQuery(_ raw: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in raw.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String? {
                s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let key = decode(kv[0]), let value = kv.count > 1 ? decode(kv[1]) : "" else { continue }
            if out[key] == nil { out[key] = value }
        }
        return out
    }

    /// Go's `r.Header`, first values: canonical names ("x-trace-id" is "X-Trace-Id"), no Host.
    static func goHeaders(_ fields: HTTPFields) -> [String: String] {
        var out: [String: String] = [:]
        for field in fields where field.name.canonicalName != "host" {
            var upper = true
            let name = String(
                field.name.rawName.map { c -> Character in
                    defer { upper = c == "-" }
                    return Character(upper ? c.uppercased() : c.lowercased())
                })
            if out[name] == nil { out[name] = field.value }
        }
        return out
    }

    /// The handler's result as the orchestrator answers it: an object gives the status (a
    /// number; else 200), the headers (string values) and the body (a string; else none);
    /// anything else is sent back as JSON with 200.
    func response(json: [UInt8]) -> Response {
        let value = try? JSONSerialization.jsonObject(with: Data(json), options: [.fragmentsAllowed])
        guard let object = value as? [String: Any] else {
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: json + [10])))
        }
        var answer = FunctionResponse()
        if let status = object["status"] as? Double, !(object["status"] is Bool) { answer.status = Int(status) }
        for case (let name, let value as String) in object["headers"] as? [String: Any] ?? [:] {
            answer.headers[name] = value
        }
        answer.body = object["body"] as? String ?? ""
        return response(answer)
    }

    func response(_ answer: FunctionResponse) -> Response {
        // Go's WriteHeader panics outside 100...999; the recoverer makes that a 500.
        guard (100...999).contains(answer.status) else {
            return errorJSON(.internalServerError, "invalid status code \(answer.status)")
        }
        var headers = HTTPFields()
        for (name, value) in answer.headers.sorted(by: { $0.key < $1.key }) {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(
            status: .init(code: answer.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: answer.body)))
    }

    func errorJSON(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: ["error": message])) ?? Data("{}".utf8)
        return json(status, String(decoding: data, as: UTF8.self) + "\n")
    }
}
