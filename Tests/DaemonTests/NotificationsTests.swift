import Daemon
import Manifest
import State
import Testing
import Toolkit

/// Which outcomes of a look are transitions worth a notification (the daemon's
/// `Notifications`; the formats and the delivery are NotifyTests').
@Suite struct NotificationsTests {
    @Test func transitionsAreChangesOnly() {
        func t(_ s: StatusDocument.Phase, _ c: String?, _ p: String?, _ pc: String?, changed: Bool = true)
            -> Registration.EventKind?
        {
            Notifications.transition(status: s, commit: c, previousResult: p, previousCommit: pc, changed: changed)
        }
        #expect(t(.synced, "a", nil, nil) == .synced)  // first sync
        // A push that changed nothing of this app (a monorepo).
        #expect(t(.synced, "b", "synced", "a", changed: false) == nil)
        #expect(t(.synced, "b", "error", "a", changed: false) == .synced)  // back to synced, whatever changed
        #expect(t(.synced, "a", nil, nil, changed: false) == .synced)  // first sync
        #expect(t(.synced, "b", "synced", "a") == .synced)  // a new commit
        #expect(t(.synced, "a", "synced", "a") == nil)  // the same commit again
        #expect(t(.synced, "a", "error", "a") == .synced)  // back to synced
        #expect(t(.error, nil, "synced", "a") == .error)
        #expect(t(.error, nil, "error", "a") == nil)  // a retry failing again
        #expect(t(.invalid, "c", "error", "a") == .invalid)
        #expect(t(.invalid, "c", "invalid", "a") == nil)
        #expect(t(.suspended, nil, "synced", "a") == nil)
    }
}
