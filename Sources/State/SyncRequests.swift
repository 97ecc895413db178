import Foundation
import Toolkit

/// `STATE/requests/NAME.sync`: a request to sync an application now. Anyone may write one
/// (the `sync` command, the REST API, a webhook, `touch`); the daemon picks it up through
/// inotify and removes it once the sync it started has written its status, unless the
/// file was written again meanwhile (then it syncs once more).
public struct SyncRequests: Sendable {
    public let layout: StateLayout

    public init(layout: StateLayout) {
        self.layout = layout
    }

    /// What a request file was when a sync started: a rewrite during the sync is a new request.
    public struct Identity: Equatable, Sendable {
        var ino: UInt64
        var mtime: Int
        var mtimeNs: Int
    }

    /// The request of `name` as a file name in the requests dir, or nil for other names.
    public static func application(ofFile file: String) -> String? {
        guard !file.hasPrefix("."), file.hasSuffix(".sync") else { return nil }
        return String(file.dropLast(".sync".count))
    }

    /// What asked: its first word in the file, and the trigger the sync is recorded with.
    public enum Kind: String, Sendable {
        case request = "requested"
        case webhook, rollback
        public var trigger: SyncHistory.Trigger {
            switch self {
            case .request: .request
            case .webhook: .webhook
            case .rollback: .rollback
            }
        }
    }

    /// Writes (or rewrites) the request, saying who asked; a webhook's or a rollback's
    /// request says so (its first word), so the sync it starts is recorded with that trigger.
    public func write(_ name: String, by who: String, webhook: Bool = false, kind: Kind? = nil, at time: Date = Date())
        throws
    {
        let stamp = ISO8601DateFormatter().string(from: time)
        let word = (kind ?? (webhook ? .webhook : .request)).rawValue
        try AtomicFile.write(Array("\(word) \(stamp) by \(who)\n".utf8), to: layout.requestFile(name))
    }

    /// What asked for the pending request of `name` (a file of other words: a request).
    public func kind(_ name: String) -> Kind {
        let fd = open(layout.requestFile(name), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .request }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = Glibc.read(fd, &buffer, 16)
        guard n > 0, let space = buffer.prefix(n).firstIndex(of: 0x20) else { return .request }
        return Kind(rawValue: String(decoding: buffer[..<space], as: UTF8.self)) ?? .request
    }

    public func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: layout.requestFile(name)) }

    public func identity(_ name: String) -> Identity? {
        var st = stat()
        guard stat(layout.requestFile(name), &st) == 0 else { return nil }
        return Identity(ino: UInt64(st.st_ino), mtime: st.st_mtim.tv_sec, mtimeNs: st.st_mtim.tv_nsec)
    }

    /// Removes the request; the reason when a request that is there cannot be removed
    /// (another user wrote it into a folder the daemon may not change).
    @discardableResult
    public func remove(_ name: String) -> String? {
        guard unlink(layout.requestFile(name)) != 0, errno != ENOENT else { return nil }
        return String(cString: strerror(errno))
    }

    /// What became of a handled request.
    public enum Acknowledged: Equatable, Sendable {
        /// Removed (or already gone).
        case removed
        /// Written again meanwhile: another sync is due.
        case again
        /// Still there and not removable (the reason): acting on it again would sync the
        /// application at every rescan, forever.
        case stuck(String)
    }

    /// The request handled by a sync that started when it was `handled`: removed if it is
    /// still that file.
    public func acknowledge(_ name: String, handled: Identity) -> Acknowledged {
        let now = identity(name)
        if now == handled {
            return remove(name).map { .stuck($0) } ?? .removed
        }
        return now != nil ? .again : .removed
    }

    /// Names with a request waiting.
    public func pending() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: layout.requestsDir)) ?? []).compactMap(
            Self.application(ofFile:))
    }

    /// Waits until the request of `name` is gone (handled), polling; false at the deadline.
    public func waitHandled(_ name: String, timeout: Duration, meanwhile: (() -> Void)? = nil) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while exists(name) {
            if ContinuousClock.now >= deadline { return false }
            meanwhile?()
            usleep(50_000)
        }
        return true
    }
}
