import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport

/// The port a daemon started with `--listen 127.0.0.1:0` listens on, from its log.
func listeningPort(_ d: DaemonProcess) throws -> Int {
    var found: Int?
    try waitUntil(timeout: .seconds(30), "the daemon to listen") {
        for line in d.log.split(separator: "\n") where line.contains(" INFO listening ") {
            if let range = line.range(of: "address=127.0.0.1:") {
                found = Int(line[range.upperBound...].prefix { $0.isNumber })
            }
        }
        return found != nil
    }
    return found!
}

/// One REST call; the answer's status and JSON body.
func call(_ method: HTTPMethod, _ url: String, _ body: String? = nil, headers: [(String, String)] = []) async throws
    -> (Int, [String: Any])
{
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (k, v) in headers { request.headers.add(name: k, value: v) }
    if let body {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
    }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    let bytes = try await response.body.collect(upTo: 1 << 20)
    return (
        Int(response.status.code),
        (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] ?? [:]
    )
}
