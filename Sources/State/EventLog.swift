import Foundation
import Toolkit

/// The state dir's event feed, `STATE/events/events.jsonl`: every transition the daemon
/// announces (synced, error, invalid, drift, deleted, ...), one JSON document per line,
/// whether or not any endpoint wants it. `zerverless-gitops events` reads it and follows
/// it. Appended with one `write` per line (`O_APPEND`: lines of concurrent writers do not
/// mix); past `limit` bytes the file becomes `events.jsonl.1` (the one before is
/// dropped), so the feed keeps between `limit` and twice that of the latest events.
public struct EventLog: Sendable {
    public static let defaultLimit = 4 << 20

    public let folder: String
    public let limit: Int

    public init(layout: StateLayout, limit: Int = EventLog.defaultLimit) {
        self.folder = layout.root + "/events"
        self.limit = limit
    }

    public var file: String { folder + "/events.jsonl" }
    public var previousFile: String { file + ".1" }

    /// Appends one event (the folder is made when missing; mode 0640, as the state's
    /// other files).
    public func append(_ event: NotificationEvent) throws(FileError) {
        let line = Self.line(event)
        var fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        if fd < 0, errno == ENOENT {
            mkdir(folder, 0o750)
            fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        }
        guard fd >= 0 else { throw FileError("cannot open \(file): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, Int(st.st_size) + line.count > limit, st.st_size > 0 {
            // Rotation: whoever appends next opens the new file; a writer that opened the
            // old one just before adds its line there, which `read` still reads.
            rename(file, previousFile)
        }
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else {
            throw FileError("cannot write \(file): \(written < 0 ? String(cString: strerror(errno)) : "short write")")
        }
    }

    /// One event as its line: the notification document, compact, keys sorted.
    public static func line(_ event: NotificationEvent) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes = [UInt8]((try? encoder.encode(event)) ?? Data())
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// The events kept, oldest first (lines that do not parse, as a line cut by a crash,
    /// are skipped).
    public func read() -> [NotificationEvent] {
        var events: [NotificationEvent] = []
        for path in [previousFile, file] {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            events += Self.parse(Array(data)).events
        }
        return events
    }

    /// The whole lines of `bytes` as events, and how many bytes they took (a last line
    /// still being written is left for the next read).
    public static func parse(_ bytes: [UInt8]) -> (events: [NotificationEvent], consumed: Int) {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var events: [NotificationEvent] = []
        var start = 0
        for (i, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            if i > start, let event = try? decoder.decode(NotificationEvent.self, from: Data(bytes[start..<i])) {
                events.append(event)
            }
            start = i + 1
        }
        return (events, start)
    }
}

extension EventLog {
    /// Reads a growing feed from where it was left, across its rotation: the open descriptor
    /// keeps reading the file it opened (renamed to `.1`) to its end, then the new one.
    public struct Tail {
        let path: String
        private var fd: Int32 = -1
        private var inode: ino_t = 0
        private var pending: [UInt8] = []

        public init(path: String) { self.path = path }

        /// Closes the file it reads (the next `readNew` starts over at the beginning).
        public mutating func close() {
            if fd >= 0 { Foundation.close(fd) }
            fd = -1
            pending = []
        }

        /// The events written since the last call (whole lines only).
        public mutating func readNew() -> [NotificationEvent] {
            var events: [NotificationEvent] = []
            while true {
                if fd < 0 {
                    fd = open(path, O_RDONLY | O_CLOEXEC)
                    guard fd >= 0 else { return events }
                    var st = stat()
                    fstat(fd, &st)
                    inode = st.st_ino
                }
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let n = Foundation.read(fd, &buffer, buffer.count)
                    if n <= 0 { break }
                    pending += buffer[0..<n]
                }
                let (parsed, consumed) = EventLog.parse(pending)
                events += parsed
                pending.removeFirst(consumed)
                var st = stat()
                // Rotated: the file at the path is another one; what we have is read to its end.
                guard stat(path, &st) == 0, st.st_ino != inode else { return events }
                close()
            }
        }
    }
}
