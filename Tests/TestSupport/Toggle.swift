import Synchronization

/// A switch a test flips while a server's handler reads it (a receiver that fails, then
/// recovers).
public final class Toggle: Sendable {
    private let value: Atomic<Bool>

    public init(_ on: Bool) { value = Atomic(on) }

    public var on: Bool {
        get { value.load(ordering: .sequentiallyConsistent) }
        set { value.store(newValue, ordering: .sequentiallyConsistent) }
    }
}
