import Foundation
import Synchronization

/// Who owns what in a namespace, from the other applications' inventories.
public struct Ownership: Sendable {
    public var functions: [String: String] = [:]
    public var files: [String: String] = [:]

    public init() {}

    public init(inventories: [String: Inventory], namespace: String, excluding app: String) {
        for (name, inventory) in inventories where name != app && inventory.namespace == namespace {
            for path in inventory.functions.keys { functions[path] = name }
            for path in inventory.files.keys { files[path] = name }
        }
    }
}

/// The one reader of other applications' inventories: which applications own things in a
/// namespace (the "peers" a sync must not step on). An inventory's namespace is read from
/// its header and remembered while the file is unchanged (inode, size, mtime), so a sync
/// among 10,000 applications reads the inventories of its namespace and `stat`s the rest.
public final class InventoryIndex: Sendable {
    public let layout: StateLayout

    private struct Known {
        var stamp: [Int]
        var namespace: String
    }

    private let known = Mutex<[String: Known]>([:])

    public init(layout: StateLayout) {
        self.layout = layout
    }

    /// What every application but `app` owns in `namespace`.
    public func ownership(in namespace: String, excluding app: String) -> Ownership {
        var inventories: [String: Inventory] = [:]
        for name in peers(of: namespace) where name != app {
            if let inventory = try? Inventory.read(layout.inventoryFile(name)), inventory.namespace == namespace {
                inventories[name] = inventory
            }
        }
        return Ownership(inventories: inventories, namespace: namespace, excluding: app)
    }

    /// The applications whose inventory is of `namespace`.
    public func peers(of namespace: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: layout.appsDir)) ?? []
        var out: [String] = []
        for name in names where !name.hasPrefix(".") {
            let file = layout.inventoryFile(name)
            var st = stat()
            guard stat(file, &st) == 0 else { continue }
            let stamp = [Int(st.st_ino), Int(st.st_size), st.st_mtim.tv_sec, st.st_mtim.tv_nsec]
            var ns = known.withLock { $0[name].flatMap { $0.stamp == stamp ? $0.namespace : nil } }
            if ns == nil {
                ns = Inventory.namespace(ofFile: file)
                if let ns { known.withLock { $0[name] = Known(stamp: stamp, namespace: ns) } }
            }
            if ns == namespace { out.append(name) }
        }
        return out.sorted()
    }
}
