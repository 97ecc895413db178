import Synchronization

/// `/readyz`'s flag: the daemon has read the apps dir a first time.
public final class Readiness: Sendable {
    private let scanned = Atomic<Bool>(false)

    public init() {}

    public var firstScanDone: Bool { scanned.load(ordering: .acquiring) }

    public func markScanned() { scanned.store(true, ordering: .releasing) }
}
