import Synchronization
import Toolkit

/// Counts the writes of status documents made by this process (the daemon is their only
/// writer): a reader in the same process (the REST facade) may keep what it derived from
/// the files for as long as the count has not moved.
public enum StatusGeneration {
    static let counter = Atomic<Int>(0)

    public static var current: Int { counter.load(ordering: .acquiring) }

    public static func bump() { counter.add(1, ordering: .releasing) }
}
