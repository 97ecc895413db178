import CInotifyTools
import Foundation
import Synchronization

/// Watches folders through inotify (libinotifytools) and reports what happened in them, by
/// name, as an async stream. libinotifytools keeps process-wide state and is not
/// thread-safe, so one watcher owns it, on one thread of its own, and only one watcher is
/// active in a process at a time (a new one waits for the previous one to finish): the
/// daemon watches all its folders with one.
///
/// Names are reported raw (hidden names, `..data` of a Kubernetes ConfigMap, editor swap
/// files included): what to ignore is the caller's decision. A queue overflow, or a watched
/// folder that is deleted or moved away, is reported as `rescan`: the caller then reads
/// the folder again, which is always correct.
public final class DirectoryWatcher: Sendable {
    public enum Event: Sendable, Hashable {
        /// Something was written and closed, moved in or out, deleted, or a folder created.
        case changed(directory: String, name: String)
        /// A file was created: it may still be being written (its close or rename follows).
        case created(directory: String, name: String)
        /// Events may have been lost, or the folder itself went away: read it again.
        case rescan(directory: String)
    }

    public static let mask =
        IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB
        | IN_DELETE_SELF | IN_MOVE_SELF | IN_DONT_FOLLOW

    static let exclusive = DispatchSemaphore(value: 1)

    public let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private let stopped = Box(false)

    /// Starts watching; throws when inotify cannot be set up or a folder cannot be watched.
    public init(directories: [String]) throws {
        (events, continuation) = AsyncStream.makeStream(of: Event.self)
        let ready = DispatchSemaphore(value: 0)
        let failure = Box<String?>(nil)
        let dirs = directories.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        let continuation = self.continuation
        let stopped = self.stopped
        let t = Thread {
            // libinotifytools is process-global: one watcher at a time, and the next one
            // starts only after the previous one's cleanup.
            DirectoryWatcher.exclusive.wait()
            defer { DirectoryWatcher.exclusive.signal() }
            guard inotifytools_initialize() == 1 else {
                failure.value = "inotify could not be initialized: \(String(cString: strerror(inotifytools_error())))"
                ready.signal()
                return
            }
            defer { inotifytools_cleanup() }
            for dir in dirs where inotifytools_watch_file(dir, Self.mask) != 1 {
                failure.value = "cannot watch \(dir): \(String(cString: strerror(inotifytools_error())))"
                ready.signal()
                return
            }
            ready.signal()
            while !stopped.value {
                // One second at most, so that stop() is noticed.
                guard let event = inotifytools_next_event(1) else { continue }
                let mask = Int32(bitPattern: event.pointee.mask)
                let watched = inotifytools_filename_from_wd(event.pointee.wd).map { String(cString: $0) } ?? ""
                let dir = watched.hasSuffix("/") ? String(watched.dropLast()) : watched
                if mask & IN_Q_OVERFLOW != 0 {
                    for d in dirs { continuation.yield(.rescan(directory: d)) }
                    continue
                }
                if mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED) != 0 {
                    continuation.yield(.rescan(directory: dir))
                    continue
                }
                // The name follows the struct in the kernel's buffer: read it through the
                // original pointer (a copy of the struct would not carry it).
                let name: String =
                    event.pointee.len > 0
                    ? String(
                        cString: UnsafeRawPointer(event).advanced(by: MemoryLayout<inotify_event>.size)
                            .assumingMemoryBound(to: CChar.self))
                    : ""
                let fileCreated = mask & IN_CREATE != 0 && mask & IN_ISDIR == 0
                continuation.yield(
                    fileCreated ? .created(directory: dir, name: name) : .changed(directory: dir, name: name))
            }
            continuation.finish()
        }
        t.name = "zerverless-gitops.inotify"
        t.start()
        ready.wait()
        if let message = failure.value {
            stop()
            throw WatchError(message: message)
        }
    }

    /// Stops the watcher thread (within a second) and ends the stream.
    public func stop() {
        stopped.value = true
    }

    deinit { stop() }
}

public struct WatchError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// A value behind a lock, shareable with the watcher's thread.
final class Box<T: Sendable>: Sendable {
    private let state: Mutex<T>
    init(_ value: T) { state = Mutex(value) }
    var value: T {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
