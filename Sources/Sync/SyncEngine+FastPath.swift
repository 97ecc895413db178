import GitSource
import Manifest
import State
import Toolkit

extension SyncEngine {
    /// The plan for a tree diff that touches only plain files under static.dir (or files
    /// nothing reads); nil when anything else changed (then the full path decides).
    func incrementalPlan(
        _ changes: [Snapshot.Change], synced: Inventory.Synced, inventory: Inventory,
        policy: Registration.SyncPolicy, pathPrefix: String? = nil
    ) -> Plan? {
        let target = DesiredBuilder.filePrefix(pathPrefix)
        var plan = Plan()
        let prefix: String? = synced.staticDir.isEmpty ? nil : (synced.staticDir == "." ? "" : synced.staticDir + "/")
        var count = inventory.files.count
        var total = inventory.files.values.reduce(0) { $0 + $1.size }
        if synced.referenced.contains(".") { return nil }  // a Docker context of the whole folder
        for c in changes {
            if c.path == AppManifest.fileName { return nil }
            // A referenced path, something under it, or a folder (or symlink) on its way.
            if synced.referenced.contains(where: {
                c.path == $0 || c.path.hasPrefix($0 + "/") || $0.hasPrefix(c.path + "/")
            }) {
                return nil
            }
            let plain: (TreeEntry.Kind?) -> Bool = { $0 == nil || $0 == .file || $0 == .executable }
            guard let prefix, c.path.hasPrefix(prefix) else {
                if c.oldKind == .symlink || c.newKind == .symlink { return nil }
                continue  // outside static.dir and read by no function
            }
            guard plain(c.oldKind), plain(c.newKind) else { return nil }
            let rel = target + String(c.path.dropFirst(prefix.count))
            let existing = inventory.files[rel]
            if let id = c.newID {
                if c.newSize > limits.staticFileBytes { return nil }
                if existing?.id == id { continue }
                total += c.newSize - (existing?.size ?? 0)
                if existing == nil { count += 1 }
                plan.files.append(
                    .init(
                        path: rel, action: existing == nil ? .create : .update,
                        reason: existing == nil ? "new file" : "content changed",
                        spec: StaticFileSpec(id: id, size: c.newSize)))
            } else if existing != nil {
                if policy.prune {
                    count -= 1
                    total -= existing?.size ?? 0
                    plan.files.append(.init(path: rel, action: .delete, reason: "no longer in static.dir", spec: nil))
                } else {
                    plan.keptByPrunePolicy += 1
                }
            }
        }
        if count > limits.staticFiles || total > limits.staticTotalBytes { return nil }
        if !policy.allowEmpty && count == 0 && inventory.functions.isEmpty && plan.deletes > 0 { return nil }
        // The full planner's order: uploads by path, then deletes by path.
        plan.files.sort { ($0.action == .delete ? 1 : 0, $0.path) < ($1.action == .delete ? 1 : 0, $1.path) }
        plan.unchangedFunctions = inventory.functions.count
        plan.unchangedFiles = inventory.files.count - plan.files.filter { $0.action != .create }.count
        return plan
    }
}
