import Crypto
import Foundation
import Manifest

/// An OpenSSH known_hosts file: plain, `[host]:port` and hashed (`|1|salt|hash`) host
/// patterns, `*`/`?` wildcards, `!` negations, and `@revoked` lines.
public struct KnownHosts: Sendable {
    struct Entry: Sendable {
        var patterns: [String]
        var keyType: String
        var key: [UInt8]
        var revoked: Bool
    }

    public enum Verdict: Equatable, Sendable {
        case trusted
        /// The host is listed, but with other keys: the key changed (or an attack).
        case changed
        /// The host is not listed at all.
        case unknown
        case revoked
    }

    var entries: [Entry] = []

    public init(text: String) {
        for raw in text.split(whereSeparator: \.isNewline) {
            var fields = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = fields.first, !first.hasPrefix("#") else { continue }
            var revoked = false
            if first.hasPrefix("@") {
                if first == "@revoked" { revoked = true } else { continue }  // @cert-authority: not supported
                fields.removeFirst()
            }
            guard fields.count >= 3, let key = Data(base64Encoded: fields[2]) else { continue }
            entries.append(
                Entry(
                    patterns: fields[0].split(separator: ",").map(String.init),
                    keyType: fields[1], key: Array(key), revoked: revoked))
        }
    }

    public init(contentsOf path: String) throws {
        self.init(text: try String(contentsOfFile: path, encoding: .utf8))
    }

    /// The name a host goes by in known_hosts: `host`, or `[host]:port` off port 22.
    public static func name(host: String, port: Int?) -> String {
        guard let port, port != 22 else { return host }
        return "[\(host)]:\(port)"
    }

    public func verdict(host: String, port: Int?, key: [UInt8]) -> Verdict {
        let name = Self.name(host: host, port: port)
        var listed = false
        for entry in entries where Self.matches(entry.patterns, name) {
            if entry.key == key {
                if entry.revoked { return .revoked }
                return .trusted
            }
            if !entry.revoked { listed = true }
        }
        return listed ? .changed : .unknown
    }

    static func matches(_ patterns: [String], _ name: String) -> Bool {
        var matched = false
        for pattern in patterns {
            if pattern.hasPrefix("|1|") {
                if hashedMatch(pattern, name) { matched = true }
            } else if pattern.hasPrefix("!") {
                if glob(String(pattern.dropFirst()).lowercased(), name.lowercased()) { return false }
            } else if glob(pattern.lowercased(), name.lowercased()) {
                matched = true
            }
        }
        return matched
    }

    /// `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`
    static func hashedMatch(_ pattern: String, _ name: String) -> Bool {
        let parts = pattern.split(separator: "|", omittingEmptySubsequences: true)
        guard parts.count == 3, let salt = Data(base64Encoded: String(parts[1])),
            let hash = Data(base64Encoded: String(parts[2]))
        else { return false }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(name.utf8), using: SymmetricKey(data: Array(salt)))
        return Array(mac) == Array(hash)
    }

    static func glob(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern)
        let t = Array(text)
        var pi = 0
        var ti = 0
        var star = -1
        var mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// `SHA256:<base64 without padding>`, as ssh-keygen -l prints it.
    public static func fingerprint(sha256: [UInt8]) -> String {
        var b64 = Data(sha256).base64EncodedString()
        while b64.hasSuffix("=") { b64.removeLast() }
        return "SHA256:" + b64
    }
}
