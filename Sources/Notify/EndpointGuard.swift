import Foundation

/// A tenant's notification or forge URL may not reach the daemon's own network: loopback,
/// private, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, reserved,
/// multicast and unspecified addresses, the IPv6 forms that carry such an IPv4 address
/// (IPv4-mapped, -compatible, -translated, NAT64, 6to4; Teredo and local-use NAT64
/// outright) and every address of this host's own interfaces are refused unless the
/// operator allows them (`--notify-allow-private`). Checked when delivering, on every
/// address the name resolves to; the delivery then connects to the first of those
/// addresses, never to what a second lookup would answer (no DNS rebinding between the
/// check and the connection): see `check` and `Notifier.pinnedConfiguration`.
public enum EndpointGuard {
    /// An IPv4 or IPv6 address (IPv6: its 16 bytes, network order).
    public enum Address: Hashable, Sendable, CustomStringConvertible {
        case v4(UInt32)
        case v6([UInt8])

        /// A numeric address as `inet_pton` reads it (dotted quad, or IPv6 without brackets
        /// or zone), else nil: exactly what AsyncHTTPClient takes as an IP literal.
        public init?(_ text: String) {
            var v4 = in_addr()
            var v6 = in6_addr()
            if inet_pton(AF_INET, text, &v4) == 1 {
                self = .v4(UInt32(bigEndian: v4.s_addr))
            } else if inet_pton(AF_INET6, text, &v6) == 1 {
                self = .v6(withUnsafeBytes(of: v6) { Array($0) })
            } else {
                return nil
            }
        }

        init?(_ address: UnsafePointer<sockaddr>) {
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                self = .v4(
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                        UInt32(bigEndian: $0.pointee.sin_addr.s_addr)
                    })
            case AF_INET6:
                self = .v6(
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                        withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) }
                    })
            default:
                return nil
            }
        }

        /// The usual text form (`inet_ntop`): what the pinned connection is given.
        public var description: String {
            switch self {
            case .v4(let a):
                return "\(a >> 24).\((a >> 16) & 255).\((a >> 8) & 255).\(a & 255)"
            case .v6(let bytes):
                var raw = in6_addr()
                withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: bytes.prefix(16)) }
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                guard inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count)) != nil else { return "?" }
                return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }

    /// Where names are looked up and which addresses are this host's: the system's
    /// (`getaddrinfo`, `getifaddrs`), or a test's.
    public struct Lookup: Sendable {
        public var resolve: @Sendable (String) -> Result<[Address], Refused>
        public var ownAddresses: @Sendable () -> [Address]

        public init(
            resolve: @escaping @Sendable (String) -> Result<[Address], Refused>,
            ownAddresses: @escaping @Sendable () -> [Address] = EndpointGuard.interfaceAddresses
        ) {
            self.resolve = resolve
            self.ownAddresses = ownAddresses
        }

        public static let system = Lookup(
            resolve: EndpointGuard.systemResolve, ownAddresses: EndpointGuard.interfaceAddresses)
    }

    /// Why a URL may not be used.
    public struct Refused: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// What the delivery connects to: `host` as the URL names it (the HTTP client's key,
    /// also the TLS server name that is verified) and the checked address it must connect
    /// to (nil: the host is an IP literal, the connection goes to it as written).
    public struct Pin: Sendable, Equatable {
        public var host: String
        public var address: Address?
        public init(host: String, address: Address?) {
            self.host = host
            self.address = address
        }
    }

    /// The host of an http(s) URL exactly as AsyncHTTPClient derives it (Foundation's
    /// `URL.host`, IPv6 brackets trimmed): the name the pin must be keyed on. nil for
    /// another scheme or no host.
    public static func host(of url: String) -> String? {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
            scheme == "http" || scheme == "https",
            var host = parsed.host, !host.isEmpty
        else { return nil }
        if host.hasPrefix("[") { host.removeFirst() }
        if host.hasSuffix("]") { host.removeLast() }
        return host.isEmpty ? nil : host
    }

    /// Resolves the URL's host once and judges every address (unless `allowPrivate`): the
    /// pin the delivery must connect through, or why the URL may not be used. An IP
    /// literal is judged as written.
    public static func check(_ url: String, allowPrivate: Bool, lookup: Lookup = .system) -> Result<Pin, Refused> {
        guard let host = host(of: url) else { return .failure(Refused("the URL has no http(s) host")) }
        if let literal = Address(host) {
            if !allowPrivate, let reason = reason(literal, own: Set(lookup.ownAddresses())) {
                return .failure(refusal(host, reason))
            }
            return .success(Pin(host: host, address: nil))
        }
        let addresses: [Address]
        switch lookup.resolve(host) {
        case .failure(let refused): return .failure(refused)
        case .success(let list): addresses = list
        }
        guard let first = addresses.first else { return .failure(Refused("cannot resolve \(host): no address")) }
        if !allowPrivate {
            let own = Set(lookup.ownAddresses())
            for address in addresses {
                if let reason = reason(address, own: own) { return .failure(refusal(host, reason)) }
            }
        }
        return .success(Pin(host: host, address: first))
    }

    /// Why the URL may not be used by a tenant, or nil (the system's lookup).
    public static func problem(_ url: String) -> String? {
        if case .failure(let refused) = check(url, allowPrivate: false) { return refused.message }
        return nil
    }

    static func refusal(_ host: String, _ reason: String) -> Refused {
        Refused(
            "\(host) resolves to \(reason); tenants' endpoints may not reach the daemon's own network (the operator allows it with --notify-allow-private)"
        )
    }

    /// `getaddrinfo`, every answer in its order (duplicates dropped).
    public static func systemResolve(_ host: String) -> Result<[Address], Refused> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &list)
        guard rc == 0, let first = list else {
            return .failure(Refused("cannot resolve \(host): \(String(cString: gai_strerror(rc)))"))
        }
        defer { freeaddrinfo(list) }
        var out: [Address] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let n = node {
            if let sa = n.pointee.ai_addr, let address = Address(UnsafePointer(sa)), !out.contains(address) {
                out.append(address)
            }
            node = n.pointee.ai_next
        }
        return .success(out)
    }

    /// Every address assigned to one of this host's interfaces (`getifaddrs`): a public
    /// address of the host itself reaches the daemon as surely as loopback does.
    public static func interfaceAddresses() -> [Address] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var out: [Address] = []
        var node = list
        while let n = node {
            if let sa = n.pointee.ifa_addr, let address = Address(UnsafePointer(sa)), !out.contains(address) {
                out.append(address)
            }
            node = n.pointee.ifa_next
        }
        return out
    }

    /// Why a tenant may not reach `address`, or nil. `own`: this host's addresses.
    public static func reason(_ address: Address, own: Set<Address> = []) -> String? {
        switch address {
        case .v4(let a): return reason(v4: a, own: own)
        case .v6(let b): return reason(v6: b, own: own)
        }
    }

    static func reason(v6 b: [UInt8], own: Set<Address>) -> String? {
        guard b.count == 16 else { return "a malformed address" }
        if let range = range(v6: b, own: own) { return range }
        if own.contains(.v6(b)) { return "an address of this host (\(Address.v6(b)))" }
        return nil
    }

    /// The IPv6 ranges, and the IPv4 address some forms carry (judged with the IPv4 rules).
    static func range(v6 b: [UInt8], own: Set<Address>) -> String? {
        let shown = Address.v6(b).description
        func zero(_ r: Range<Int>) -> Bool { b[r].allSatisfy { $0 == 0 } }
        func v4(at i: Int) -> UInt32 {
            UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
        }
        func embedded(_ form: String, _ a: UInt32) -> String? {
            reason(v4: a, own: own).map { "\($0) (inside the \(form) address \(shown))" }
        }
        if zero(0..<16) { return "the unspecified address ::" }
        if zero(0..<15) && b[15] == 1 { return "the loopback address ::1" }
        // ::ffff:a.b.c.d (IPv4-mapped), ::ffff:0:a.b.c.d (IPv4-translated), ::a.b.c.d (IPv4-compatible).
        if zero(0..<10) && b[10] == 0xff && b[11] == 0xff { return embedded("IPv4-mapped", v4(at: 12)) }
        if zero(0..<8) && b[8] == 0xff && b[9] == 0xff && zero(10..<12) {
            return embedded("IPv4-translated", v4(at: 12))
        }
        if zero(0..<12) { return embedded("IPv4-compatible", v4(at: 12)) }
        // NAT64: the well-known prefix 64:ff9b::/96 carries the IPv4 address in its last 32 bits;
        // the rest of 64:ff9b::/32 (local-use 64:ff9b:1::/48: the site's own translator, where
        // the IPv4 address sits depends on its prefix length) is refused outright.
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b {
            if zero(4..<12) { return embedded("NAT64", v4(at: 12)) }
            return "the local-use NAT64 address \(shown) (64:ff9b:1::/48 and the rest of 64:ff9b::/32)"
        }
        // 6to4: 2002:AABB:CCDD::/48 is the site behind the IPv4 address AA.BB.CC.DD.
        if b[0] == 0x20 && b[1] == 0x02 { return embedded("6to4", v4(at: 2)) }
        // Teredo (2001::/32): a tunnel whose server and (obfuscated) client are IPv4 addresses;
        // refused outright rather than trusting either.
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0 { return "the Teredo address \(shown) (2001::/32)" }
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0x02 && b[4] == 0 && b[5] == 0 {
            return "the benchmarking address \(shown) (2001:2::/48)"
        }
        if b[0] == 0x01 && zero(1..<8) { return "the discard-only address \(shown) (100::/64)" }
        if b[0] == 0xfe && (b[1] & 0xc0) == 0x80 { return "the link-local address \(shown) (fe80::/10)" }
        if b[0] == 0xfe && (b[1] & 0xc0) == 0xc0 { return "the site-local address \(shown) (fec0::/10)" }
        if (b[0] & 0xfe) == 0xfc { return "the unique local address \(shown) (fc00::/7)" }
        if b[0] == 0xff { return "the multicast address \(shown) (ff00::/8)" }
        return nil
    }

    static func reason(v4 a: UInt32, own: Set<Address>) -> String? {
        func within(_ base: UInt32, _ bits: UInt32) -> Bool { a >> (32 - bits) == base >> (32 - bits) }
        let shown = Address.v4(a).description
        if within(0x0000_0000, 8) { return "the unspecified address \(shown) (0.0.0.0/8)" }
        if within(0x7F00_0000, 8) { return "the loopback address \(shown)" }
        if within(0x0A00_0000, 8) || within(0xAC10_0000, 12) || within(0xC0A8_0000, 16) {
            return "the private address \(shown)"
        }
        if within(0xA9FE_0000, 16) { return "the link-local address \(shown) (cloud metadata lives there)" }
        if within(0x6440_0000, 10) { return "the shared address \(shown) (100.64.0.0/10)" }
        if within(0xC000_0000, 24) { return "the IETF protocol address \(shown) (192.0.0.0/24)" }
        if within(0xC612_0000, 15) { return "the benchmarking address \(shown) (198.18.0.0/15)" }
        if within(0xE000_0000, 4) { return "the multicast address \(shown) (224.0.0.0/4)" }
        if a == 0xFFFF_FFFF { return "the broadcast address \(shown)" }
        if within(0xF000_0000, 4) { return "the reserved address \(shown) (240.0.0.0/4)" }
        if own.contains(.v4(a)) { return "an address of this host (\(shown))" }
        return nil
    }
}
