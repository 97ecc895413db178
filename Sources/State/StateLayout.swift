import Foundation
import Toolkit

/// The file layout under the state dir (default `/var/lib/zerverless-gitops`).
///
///     apps/NAME/status.json        the status document (interface section 4)
///     apps/NAME/inventory          what the application has deployed (Sync's format)
///     apps/NAME/history.json       the last successful sync's key and the last attempts
///     requests/NAME.sync           a sync request (anyone may create it)
///     cache/<repo>-<hash>.git      shared bare fetch caches
///     published/                   the local target's output
public struct StateLayout: Sendable, Hashable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public static let defaultRoot = "/var/lib/zerverless-gitops"

    public var appsDir: String { root + "/apps" }
    public var requestsDir: String { root + "/requests" }
    public var cacheDir: String { root + "/cache" }
    public var publishedDir: String { root + "/published" }
    /// Held while the apps dir is checked and written (the REST API's registrations).
    public var appsDirLock: String { root + "/locks/apps-dir.lock" }

    public func appDir(_ name: String) -> String { appsDir + "/" + name }
    public func statusFile(_ name: String) -> String { appDir(name) + "/status.json" }
    public func inventoryFile(_ name: String) -> String { appDir(name) + "/inventory" }
    public func historyFile(_ name: String) -> String { appDir(name) + "/history.json" }
    public func requestFile(_ name: String) -> String { requestsDir + "/" + name + ".sync" }

    /// Removes an application's state folder (after its undeploy).
    public func removeApp(_ name: String) {
        defer { StatusGeneration.bump() }
        try? FileManager.default.removeItem(atPath: appDir(name))
    }

    public func readHistory(_ name: String) -> SyncHistory {
        (try? AtomicFile.readJSON(SyncHistory.self, from: historyFile(name))) ?? SyncHistory()
    }

    public func writeHistory(_ history: SyncHistory, of name: String) throws {
        try AtomicFile.writeJSON(history, to: historyFile(name))
    }

    /// Every application that has a status document, by name.
    public func applications() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: appsDir)) ?? []
        return names.filter { !$0.hasPrefix(".") && FileManager.default.fileExists(atPath: statusFile($0)) }.sorted()
    }

    public func readStatus(_ name: String) throws -> StatusDocument? {
        try AtomicFile.readJSON(StatusDocument.self, from: statusFile(name))
    }

    public func writeStatus(_ status: StatusDocument, durable: Bool = true) throws {
        defer { StatusGeneration.bump() }
        let bytes = status.jsonBytes()
        let path = statusFile(status.name)
        // Not durable: an unchanged poll's, whose document moved only in nextSync.
        if !durable, InPlacePatch.write(bytes, to: path, onlyInsideValueOf: "nextSync") { return }
        try AtomicFile.write(bytes, to: path, durable: durable)
    }

    /// An unchanged poll's write when the caller knows the file is the one it wrote last
    /// (`expecting`: its version then) and the document moved only in `nextSync`: that
    /// value patched in place, the document not encoded again (encoding and comparing it
    /// was a fifth of an unshared poll round's CPU). The file's new version, or nil when it
    /// is no longer that file (the caller writes the whole document).
    public func patchNextSync(_ name: String, to next: Date, expecting: FileVersion) -> FileVersion? {
        guard
            let patched = InPlacePatch.replaceValue(
                of: "nextSync", with: Array(JSONText.date(next).utf8), in: statusFile(name), expecting: expecting)
        else { return nil }
        StatusGeneration.bump()
        return patched
    }

    /// The status file's version (inode, size, modification time), or nil.
    public func statusVersion(_ name: String) -> FileVersion? { FileVersion.of(statusFile(name)) }
}
