import Synchronization
import Toolkit

/// `/readyz`'s flags: the daemon has read the apps dir a first time; nothing has happened
/// that keeps it from working (its state dir lost under it).
public final class Readiness: Sendable {
    private let scanned = Atomic<Bool>(false)
    private let failure = Mutex<String?>(nil)

    public init() {}

    /// What keeps the daemon from working, if anything.
    public var problem: String? { failure.withLock { $0 } }

    public func fail(_ problem: String) { failure.withLock { $0 = problem } }

    private let writes = Mutex<String?>(nil)

    /// Why the last write into the state dir failed (a full disk), until one succeeds.
    public var writeProblem: String? { writes.withLock { $0 } }

    /// A write into the state dir failed (`problem`) or succeeded (nil).
    public func stateWrite(failed problem: String?) {
        writes.withLock { if $0 != problem { $0 = problem } }
    }

    public var firstScanDone: Bool { scanned.load(ordering: .acquiring) }

    public func markScanned() { scanned.store(true, ordering: .releasing) }
}
