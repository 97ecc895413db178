import Foundation
import Toolkit

/// `apps/NAME/pin.json`: a rollback. The daemon deploys `commit` and stays there whatever
/// the ref does, until the pin is removed (`unpin`, `DELETE .../pin`). It lives in the
/// state, not in the registration: rewriting the registration (Ansible, a ConfigMap) does
/// not undo a rollback. Removed with the application's state when it is undeployed.
public struct Pin: Sendable, Hashable, Codable {
    public var commit: String
    public var reason: String?
    public var since: Date
    /// Who pinned: the command or the API, and the user or token's namespaces.
    public var by: String?
    /// Written by an automatic rollback (health): the daemon lifts it itself once the
    /// source's head is another commit than `rolledBackFrom`. A manual pin never is.
    public var automatic: Bool?
    /// The commit whose checks failed (what the source pointed at when it was written).
    public var rolledBackFrom: String?

    public init(
        commit: String, reason: String?, since: Date, by: String?, automatic: Bool? = nil,
        rolledBackFrom: String? = nil
    ) {
        self.commit = commit
        self.reason = reason
        self.since = since
        self.by = by
        self.automatic = automatic
        self.rolledBackFrom = rolledBackFrom
    }

    public var isAutomatic: Bool { automatic == true }

    /// A full commit id: 40 lowercase hex digits.
    public static func isCommitID(_ text: String) -> Bool {
        text.count == 40 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// The commit a rollback goes to by default: the last successful commit before the
    /// one deployed now (the newest attempt that synced another commit), or nil.
    public static func previousCommit(_ history: SyncHistory, current: String?) -> String? {
        let deployed = current ?? history.lastSuccess?.commit
        return history.attempts.first { $0.result == "synced" && $0.commit != nil && $0.commit != deployed }?.commit
    }
}

extension StateLayout {
    public func pinFile(_ name: String) -> String { appDir(name) + "/pin.json" }

    public func readPin(_ name: String) -> Pin? {
        try? AtomicFile.readJSON(Pin.self, from: pinFile(name))
    }

    /// Writes the pin, and a sync request with the `rollback` trigger so that the daemon
    /// deploys it at once.
    public func writePin(_ pin: Pin, of name: String) throws {
        try FileManager.default.createDirectory(
            atPath: appDir(name), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try AtomicFile.writeJSON(pin, to: pinFile(name))
        try SyncRequests(layout: self).write(name, by: pin.by ?? "rollback", kind: .rollback)
    }

    /// Removes the pin (true if there was one) and asks for a sync: the app follows its ref
    /// again (`request: false`: the look removing it goes on with the ref itself).
    @discardableResult
    public func removePin(_ name: String, by who: String, request: Bool = true) throws -> Bool {
        guard unlink(pinFile(name)) == 0 else {
            if errno == ENOENT { return false }
            throw FileError("cannot remove \(pinFile(name)): \(String(cString: strerror(errno)))")
        }
        if request { try SyncRequests(layout: self).write(name, by: who, kind: .rollback) }
        return true
    }
}
