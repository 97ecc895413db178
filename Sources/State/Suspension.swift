import Foundation
import Toolkit

/// `apps/NAME/suspend.json`: no syncs until `resume` removes it. Like a pin it lives in the
/// state, not in the registration, so an Ansible or ConfigMap rewrite of the registration
/// does not undo it. Removed with the application's state when it is undeployed.
public struct Suspension: Sendable, Hashable, Codable {
    public var reason: String?
    public var since: Date
    /// Who suspended: the command and the user.
    public var by: String?

    public init(reason: String?, since: Date, by: String?) {
        self.reason = reason
        self.since = since
        self.by = by
    }
}

extension StateLayout {
    public func suspensionFile(_ name: String) -> String { appDir(name) + "/suspend.json" }

    public func readSuspension(_ name: String) -> Suspension? {
        try? AtomicFile.readJSON(Suspension.self, from: suspensionFile(name))
    }

    /// Writes the suspension, and a sync request so that the daemon says so at once.
    public func writeSuspension(_ suspension: Suspension, of name: String) throws {
        try FileManager.default.createDirectory(
            atPath: appDir(name), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try AtomicFile.writeJSON(suspension, to: suspensionFile(name))
        try SyncRequests(layout: self).write(name, by: suspension.by ?? "suspend")
    }

    /// Removes the suspension (true if there was one) and asks for a sync.
    @discardableResult
    public func removeSuspension(_ name: String, by who: String) throws -> Bool {
        guard unlink(suspensionFile(name)) == 0 else {
            if errno == ENOENT { return false }
            throw FileError("cannot remove \(suspensionFile(name)): \(String(cString: strerror(errno)))")
        }
        try SyncRequests(layout: self).write(name, by: who)
        return true
    }
}
