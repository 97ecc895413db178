import Foundation

/// A port that was free a moment ago on 127.0.0.1.
public func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    _ = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// Whether something accepts TCP connections on 127.0.0.1:port.
public func portAcceptsConnections(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    } == 0
}

/// Waits (polling, with a deadline) until `condition` holds.
public func waitUntil(timeout: Duration = .seconds(10), _ what: String, _ condition: () throws -> Bool) throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var delay = Duration.milliseconds(5)
    while clock.now < deadline {
        if try condition() { return }
        Thread.sleep(forTimeInterval: Double(delay.components.attoseconds) / 1e18)
        delay = min(delay * 2, .milliseconds(100))
    }
    throw CommandFailed(description: "timed out after \(timeout) waiting for \(what)")
}

/// Waits (polling, with a deadline) until the asynchronous `condition` holds.
public func waitUntil(
    timeout: Duration = .seconds(10), _ what: String, _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var delay = Duration.milliseconds(5)
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: delay)
        delay = min(delay * 2, .milliseconds(100))
    }
    throw CommandFailed(description: "timed out after \(timeout) waiting for \(what)")
}

/// A TCP listener that accepts connections (the kernel completes the handshake) and never
/// answers: what a hung server looks like.
public final class SilentListener: Sendable {
    public let port: Int
    private let fd: Int32

    /// On `address` (a loopback address) and `port` (0: any free one).
    public init(address: String = "127.0.0.1", port: Int = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr(address)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            throw CommandFailed(description: "silent listener: \(String(cString: strerror(errno)))")
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.port = Int(UInt16(bigEndian: addr.sin_port))
    }

    /// How many connections arrived since the last call (accepted and closed here).
    public func acceptPending() -> Int {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var count = 0
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { break }
            close(c)
            count += 1
        }
        return count
    }

    deinit { close(fd) }
}
