import Foundation

/// A tenant's notification or forge URL may not reach the daemon's own network: loopback,
/// private, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast
/// and unspecified addresses are refused unless the operator allows them
/// (`--notify-allow-private`). Checked when delivering, on every address the name resolves
/// to. (What is left: a name that resolves differently between this check and the
/// connection, DNS rebinding; an operator who fears it runs the daemon behind an egress
/// proxy or firewall.)
public enum EndpointGuard {
    /// The host of an http(s) URL (no brackets, no port).
    public static func host(of url: String) -> String? {
        guard let scheme = url.range(of: "://") else { return nil }
        var authority = String(url[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" })
        if let at = authority.lastIndex(of: "@") { authority = String(authority[authority.index(after: at)...]) }
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        return String(authority.split(separator: ":", maxSplits: 1).first ?? "")
    }

    /// Why the URL may not be used by a tenant, or nil.
    public static func problem(_ url: String) -> String? {
        guard let host = host(of: url), !host.isEmpty else { return "the URL has no host" }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &list)
        guard rc == 0, let first = list else { return "cannot resolve \(host): \(String(cString: gai_strerror(rc)))" }
        defer { freeaddrinfo(list) }
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let n = node {
            if let address = n.pointee.ai_addr, let reason = reason(address) {
                return "\(host) resolves to \(reason); tenants' endpoints may not reach the daemon's own network (the operator allows it with --notify-allow-private)"
            }
            node = n.pointee.ai_next
        }
        return nil
    }

    static func reason(_ address: UnsafeMutablePointer<sockaddr>) -> String? {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            let v4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
            return reason(v4: v4)
        case AF_INET6:
            let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) }
            }
            if bytes.allSatisfy({ $0 == 0 }) { return "the unspecified address ::" }
            if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return "the loopback address ::1" }
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
                return reason(v4: UInt32(bytes[12]) << 24 | UInt32(bytes[13]) << 16 | UInt32(bytes[14]) << 8 | UInt32(bytes[15]))
            }
            if bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80 { return "a link-local address (fe80::/10)" }
            if (bytes[0] & 0xfe) == 0xfc { return "a unique local address (fc00::/7)" }
            if bytes[0] == 0xff { return "a multicast address" }
            return nil
        default:
            return nil
        }
    }

    static func reason(v4 a: UInt32) -> String? {
        func within(_ base: UInt32, _ bits: UInt32) -> Bool { a >> (32 - bits) == base >> (32 - bits) }
        let shown = "\(a >> 24).\((a >> 16) & 255).\((a >> 8) & 255).\(a & 255)"
        if within(0x7F00_0000, 8) { return "the loopback address \(shown)" }
        if within(0x0A00_0000, 8) || within(0xAC10_0000, 12) || within(0xC0A8_0000, 16) { return "the private address \(shown)" }
        if within(0xA9FE_0000, 16) { return "the link-local address \(shown) (cloud metadata lives there)" }
        if within(0x6440_0000, 10) { return "the shared address \(shown) (100.64.0.0/10)" }
        if within(0x0000_0000, 8) { return "the unspecified address \(shown)" }
        if a >= 0xE000_0000 { return "the multicast or reserved address \(shown)" }
        return nil
    }
}
