import CInotifyTools
import Foundation
import Synchronization

/// The process's one folder watcher: inotify through libinotifytools, serving every
/// subscriber (the supervisor's apps dir and requests dir, the status feed's application
/// folders). libinotifytools keeps process-wide state and is not thread-safe, so one thread
/// owns it from the first subscriber on, for the process's life; it blocks in the kernel
/// until an event comes (no timed wake-ups), and is woken for a new watch or a
/// subscriber's end through a FIFO of its own (unlinked at once: nothing is left on disk).
/// It never ends: libinotifytools keeps events it read ahead in a static buffer that its
/// cleanup does not empty, and a second instance would take them for its own (a deleted
/// folder's events reported for another folder with the same watch number).
///
/// Names are reported raw (hidden names, `..data` of a Kubernetes ConfigMap, editor swap
/// files included): what to ignore is the subscriber's decision. A queue overflow, or a
/// watched folder that is deleted or moved away, is reported as `rescan`: the subscriber
/// then reads the folder again, which is always correct (and watches it again if it
/// comes back: the watch went with the folder).
public final class FolderWatcher: Sendable {
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

    /// The one watcher of the process.
    public static let shared = FolderWatcher()

    private enum Command {
        case watch(String, subscriber: Int, CheckedContinuation<String?, Never>)
        case unwatch(String, subscriber: Int)
        case end(subscriber: Int)
    }

    private struct Subscriber {
        var continuation: AsyncStream<Event>.Continuation
        var folders: Set<String> = []
    }

    private struct State {
        var subscribers: [Int: Subscriber] = [:]
        var next = 0
        var commands: [Command] = []
        /// The thread's wake-up FIFO (both ends), while the thread runs.
        var wake: Int32 = -1
        var running = false
    }

    private let state = Mutex(State())
    /// Times the thread started (tests: once per process).
    public let starts = Atomic<Int>(0)

    init() {}

    /// A new subscriber, watching nothing yet: `watch` adds folders.
    public func subscribe() -> Subscription {
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(65_536))
        let id = state.withLock { s -> Int in
            s.next += 1
            s.subscribers[s.next] = Subscriber(continuation: continuation)
            return s.next
        }
        let subscription = Subscription(watcher: self, id: id, events: stream)
        continuation.onTermination = { [weak self] _ in self?.send(.end(subscriber: id)) }
        return subscription
    }

    /// Subscribers now (tests).
    public var subscribers: Int { state.withLock { $0.subscribers.count } }

    /// Whether the watcher's thread runs (tests).
    public var running: Bool { state.withLock { $0.running } }

    /// What one subscriber hears: the events of the folders it watches, from the moment
    /// each watch is in place. Ends with `cancel()` or when the subscription is released.
    public final class Subscription: Sendable, AsyncSequence {
        public typealias Element = Event
        let watcher: FolderWatcher
        let id: Int
        public let events: AsyncStream<Event>

        init(watcher: FolderWatcher, id: Int, events: AsyncStream<Event>) {
            self.watcher = watcher
            self.id = id
            self.events = events
        }

        /// Watches `folder` (a trailing `/` is ignored); returns once events of it are
        /// reported. Throws when it cannot be watched (it does not exist, or the user's
        /// inotify watches are used up): the error says which and why.
        public func watch(_ folder: String) async throws(WatchError) {
            let folder = folder.hasSuffix("/") && folder.count > 1 ? String(folder.dropLast()) : folder
            let problem = await withCheckedContinuation { (c: CheckedContinuation<String?, Never>) in
                watcher.send(.watch(folder, subscriber: id, c))
            }
            if let problem { throw WatchError(message: problem) }
        }

        /// Stops reporting `folder`'s events to this subscriber.
        public func unwatch(_ folder: String) {
            let folder = folder.hasSuffix("/") && folder.count > 1 ? String(folder.dropLast()) : folder
            watcher.send(.unwatch(folder, subscriber: id))
        }

        /// Ends the stream and every watch of this subscriber.
        public func cancel() { watcher.send(.end(subscriber: id)) }

        public func makeAsyncIterator() -> AsyncStream<Event>.Iterator { events.makeAsyncIterator() }

        deinit { watcher.send(.end(subscriber: id)) }
    }

    // MARK: The thread

    private func send(_ command: Command) {
        let (wake, start) = state.withLock { s -> (Int32, Bool) in
            if case .end(let id) = command, s.subscribers[id] == nil, !s.running { return (-1, false) }
            s.commands.append(command)
            if s.running { return (s.wake, false) }
            s.running = true
            return (-1, true)
        }
        if start {
            starts.add(1, ordering: .relaxed)
            // Why a thread: libinotifytools blocks in read(2) and may only ever be used from
            // one thread; it lives while somebody subscribes.
            let thread = Thread { [self] in self.loop() }
            thread.name = "zerverless-gitops.inotify"
            thread.start()
        } else if wake >= 0 {
            var byte: UInt8 = 1
            _ = Foundation.write(wake, &byte, 1)
        }
    }

    private func loop() {
        // Never cleaned up (see the type's comment): the thread lives as long as the process.
        guard inotifytools_initialize() == 1 else {
            fail("inotify could not be initialized: \(String(cString: strerror(inotifytools_error())))")
            return
        }
        // The wake-up: a FIFO watched for writes, open at both ends, its name unlinked.
        let folder = NSTemporaryDirectory() + "zerverless-gitops-watch-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        guard mkdir(folder, 0o700) == 0 else {
            fail("cannot create \(folder): \(String(cString: strerror(errno)))")
            inotifytools_cleanup()  // nothing read yet: a later start begins afresh
            return
        }
        let fifo = folder + "/wake"
        var wake: Int32 = -1
        if mkfifo(fifo, 0o600) == 0, inotifytools_watch_file(fifo, IN_MODIFY) == 1 {
            wake = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        }
        unlink(fifo)
        rmdir(folder)
        guard wake >= 0 else {
            fail("cannot set up the watcher's wake-up: \(String(cString: strerror(errno)))")
            inotifytools_cleanup()
            return
        }
        let wakeWatch = inotifytools_wd_from_filename(fifo)
        state.withLock { $0.wake = wake }
        var watches = Watches()
        var drain = [UInt8](repeating: 0, count: 512)
        while true {
            // Commands first: new watches, ends.
            let commands = state.withLock { s -> [Command] in
                defer { s.commands = [] }
                return s.commands
            }
            for command in commands {
                switch command {
                case .watch(let folder, let id, let reply):
                    var problem: String?
                    if !watches.holds(folder) { problem = watches.add(folder) }
                    if problem == nil {
                        let added = state.withLock { s -> Bool in
                            guard s.subscribers[id] != nil else { return false }
                            return s.subscribers[id]!.folders.insert(folder).inserted
                        }
                        if added { watches.retain(folder) }
                        watches.releaseIfUnused(folder)
                    }
                    reply.resume(returning: problem)
                case .unwatch(let folder, let id):
                    let removed = state.withLock { s in s.subscribers[id]?.folders.remove(folder) != nil }
                    if removed { watches.release(folder) }
                case .end(let id):
                    let gone = state.withLock { s in s.subscribers.removeValue(forKey: id) }
                    gone?.continuation.finish()
                    for folder in gone?.folders ?? [] { watches.release(folder) }
                }
            }
            guard let event = inotifytools_next_event(-1) else { continue }
            let wd = event.pointee.wd
            if wd == wakeWatch {
                while read(wake, &drain, drain.count) > 0 {}
                continue
            }
            let mask = Int32(bitPattern: event.pointee.mask)
            if mask & IN_Q_OVERFLOW != 0 {
                state.withLock { s in
                    for sub in s.subscribers.values {
                        for folder in sub.folders { sub.continuation.yield(.rescan(directory: folder)) }
                    }
                }
                continue
            }
            // A watch this thread holds now; events of one it dropped are late: skipped.
            guard let dir = watches.folder(of: wd) else { continue }
            if mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED) != 0 {
                // The watch went with the folder: every subscriber hears it and watches
                // the folder again if it comes back.
                watches.drop(wd, stillInKernel: mask & IN_MOVE_SELF != 0)
                state.withLock { s in
                    for id in s.subscribers.keys where s.subscribers[id]!.folders.remove(dir) != nil {
                        s.subscribers[id]!.continuation.yield(.rescan(directory: dir))
                    }
                }
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
            let out: Event = fileCreated ? .created(directory: dir, name: name) : .changed(directory: dir, name: name)
            state.withLock { s in
                for sub in s.subscribers.values where sub.folders.contains(dir) { sub.continuation.yield(out) }
            }
        }
    }

    /// inotify cannot be used: every waiting `watch` gets the reason, and the next command
    /// tries again (libinotifytools was not initialized, or is cleaned up here).
    private func fail(_ problem: String) {
        let commands = state.withLock { s -> [Command] in
            defer {
                s.commands = []
                s.running = false
            }
            return s.commands
        }
        for command in commands {
            switch command {
            case .watch(_, _, let reply): reply.resume(returning: problem)
            case .end(let id): state.withLock { $0.subscribers.removeValue(forKey: id) }?.continuation.finish()
            case .unwatch: break
            }
        }
    }
}

public struct WatchError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
