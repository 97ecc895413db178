import Foundation
import Synchronization
import Toolkit

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
/// namespace (the "peers" a sync must not step on). The index of namespace -> applications
/// is read from the inventories' headers once (the first question), then kept by the
/// daemon, the only writer of inventories: it notes each application's namespace after a
/// sync and forgets an application after its undeploy. A sync among 10,000 applications
/// then reads its namespace's inventories and nothing else.
public final class InventoryIndex: Sendable {
    public let layout: StateLayout

    private struct Index {
        var built = false
        var namespaceOf: [String: String] = [:]
        var members: [String: Set<String>] = [:]

        mutating func set(_ app: String, _ namespace: String?) {
            if let old = namespaceOf[app] {
                members[old]?.remove(app)
                if members[old]?.isEmpty == true { members[old] = nil }
            }
            namespaceOf[app] = namespace
            if let namespace { members[namespace, default: []].insert(app) }
        }
    }

    private let index = Mutex(Index())

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
        buildIfNeeded()
        return index.withLock { Array($0.members[namespace] ?? []) }.sorted()
    }

    /// An application's inventory is (now) of `namespace`.
    public func note(_ app: String, namespace: String) {
        buildIfNeeded()
        index.withLock { $0.set(app, namespace) }
    }

    /// An application's inventory is gone.
    public func forget(_ app: String) {
        index.withLock { $0.set(app, nil) }
    }

    private func buildIfNeeded() {
        guard !index.withLock({ $0.built }) else { return }
        var found: [(String, String)] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.appsDir)) ?? []
        where !name.hasPrefix(".") {
            if let namespace = Inventory.namespace(ofFile: layout.inventoryFile(name)) {
                found.append((name, namespace))
            }
        }
        index.withLock { idx in
            guard !idx.built else { return }
            for (name, namespace) in found { idx.set(name, namespace) }
            idx.built = true
        }
    }
}
