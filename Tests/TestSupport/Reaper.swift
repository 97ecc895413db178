import Foundation
import Synchronization

/// Waits for a child process on a thread of its own and reaps it as soon as it ends, so
/// that something looking for the process (pgrep, a package's scripts) never finds a
/// zombie of the test's.
public final class Reaper: Sendable {
    private let ended = Atomic<Bool>(false)
    public var done: Bool { ended.load(ordering: .acquiring) }

    public init(_ pid: pid_t) {
        let thread = Thread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            self.ended.store(true, ordering: .releasing)
        }
        thread.start()
    }
}
