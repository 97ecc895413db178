import Foundation

/// Health rounds (interface section 8): each application may have one round due, after a
/// deploy (its checks until they pass or their deadline) or periodically
/// (`--health-interval`). A round is a look of its own kind: never at the same time as
/// another look of the application, counted against the same limits, and it does not move
/// the poll schedule. A round due while a trigger is pending runs after it.
extension Scheduler {
    /// The next round of `name`'s checks at `at` (nil: none).
    public mutating func scheduleHealth(_ name: String, at: Date?) {
        guard var r = records[name], r.spec != nil, !r.removing else { return }
        r.healthDue = at
        store(name, r)
    }

    /// When `name`'s next round is due.
    public func healthDue(_ name: String) -> Date? { records[name]?.healthDue }

    mutating func nextHealth() -> (due: Date, name: String)? {
        while let top = healthHeap.top {
            if let r = records[top.name], !r.running, r.healthDue == top.due, r.urgent == nil { return top }
            healthHeap.pop()
        }
        return nil
    }
}
