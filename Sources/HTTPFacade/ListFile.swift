import Foundation
import NIOCore

/// The whole list's file (`BodyFile`): asked for at the second answer of one version of
/// the list (under a daemon that keeps writing, a list answered once per version is not
/// copied twice), made off the event loop by the facade's `followStatus` task, and
/// dropped when the list moves on, when it was not answered for `idle` (10 s), or once
/// it is `lifetime` old (20 s, below the kernel's dirty expiry, 30 s by default: a file in
/// the page cache is closed before it is ever written back, its pages stay dirty memory
/// rather than clean cache that could be evicted and read from the disk on the event
/// loop). The list is then answered from memory and the file made again at the second
/// of two answers that come within `idle` of each other (a client asking every 15 s
/// gets no file made for nothing).
/// `@unchecked`: its `var`s are guarded by `lock`.
final class ListFile: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: (version: Int, file: BodyFile, made: ContinuousClock.Instant)?
    private var answers = (version: -1, count: 0)
    private var wanted: (version: Int, body: ByteBuffer)?
    private var smallest = BodyFile.threshold
    private var place: String?
    private var lastAnswer = ContinuousClock.now
    /// The clock of the idle check (tests move it).
    private var clock: @Sendable () -> ContinuousClock.Instant = { .now }
    static let idle = Duration.seconds(10)
    static let lifetime = Duration.seconds(20)
    /// One element per file asked for (the newest only).
    let requests: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (requests, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// The size from which the list gets a file (tests lower it).
    var threshold: Int {
        get { lock.withLock { smallest } }
        set { lock.withLock { smallest = newValue } }
    }

    /// Where the file is made (the state dir; nil or unusable: a memory file).
    var directory: String? {
        get { lock.withLock { place } }
        set { lock.withLock { place = newValue } }
    }

    /// The clock of the idle check (tests).
    var now: @Sendable () -> ContinuousClock.Instant {
        get { lock.withLock { clock } }
        set { lock.withLock { clock = newValue } }
    }

    /// Whether a file is kept (tests).
    var isKept: Bool { lock.withLock { kept != nil } }

    /// The file of this version of the list, or nil: the body is answered from memory
    /// (and the file asked for, at its second answer).
    func file(version: Int, body: ByteBuffer) -> BodyFile? {
        lock.withLock {
            let now = clock()
            let quiet = now - lastAnswer >= Self.idle
            lastAnswer = now
            var dropped = false
            if let kept {
                if kept.version == version && !quiet && now - kept.made < Self.lifetime { return kept.file }
                self.kept = nil
                dropped = true
            }
            // Counted again after a quiet spell or a dropped file.
            if answers.version != version || quiet || dropped { answers = (version, 0) }
            answers.count += 1
            if answers.count == 2 && body.readableBytes >= smallest {
                wanted = (version, body)
                continuation.yield()
            }
            return nil
        }
    }

    /// Makes the file asked for (a copy of the list: blocking, milliseconds at 100,000
    /// applications). Kept only while the list is at its version.
    func make() {
        guard
            let (version, body, directory) = lock.withLock({ () -> (Int, ByteBuffer, String?)? in
                defer { wanted = nil }
                return wanted.map { ($0.version, $0.body, place) }
            }), let file = BodyFile(body, directory: directory)
        else { return }
        lock.withLock {
            if answers.version == version { kept = (version, file, clock()) }
        }
    }

    /// The list moved on: its file goes (once the answers still sending it are done).
    func drop() {
        lock.withLock {
            kept = nil
            wanted = nil
            answers = (-1, 0)
        }
    }
}
