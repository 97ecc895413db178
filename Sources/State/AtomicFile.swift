import Foundation

/// Files written so that a reader sees the old document or the new one, never half:
/// a temporary file in the same folder, fsync, then rename over the target.
public enum AtomicFile {
    /// `durable: false` skips the fsync: the rename still makes the write atomic for every
    /// reader and across a crash of the process; only a power loss may bring back the
    /// previous version (used for documents whose loss costs nothing, like a new nextSync).
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644, durable: Bool = true) throws {
        let dir = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let temp = (dir as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).tmp-\(UUID().uuidString.prefix(8))")
        let fd = open(temp, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw StateError("cannot create \(temp): \(String(cString: strerror(errno)))") }
        var offset = 0
        var failure: String?
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno))
                break
            }
            offset += n
        }
        if failure == nil && durable && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if let failure {
            unlink(temp)
            throw StateError("cannot write \(path): \(failure)")
        }
        if rename(temp, path) != 0 {
            let message = String(cString: strerror(errno))
            unlink(temp)
            throw StateError("cannot rename into \(path): \(message)")
        }
    }

    public static func writeJSON<T: Encodable>(_ value: T, to path: String, durable: Bool = true) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        try write(Array(try encoder.encode(value)), to: path, durable: durable)
    }

    /// The decoded document, or nil when the file does not exist.
    public static func readJSON<T: Decodable>(_ type: T.Type, from path: String) throws -> T? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(type, from: data)
        } catch {
            throw StateError("\(path) is not a valid document: \(error)")
        }
    }
}

public struct StateError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
