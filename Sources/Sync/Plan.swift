import Manifest
import State
import Toolkit

/// What a sync will do, and why. Pure data: computed by `Planner`, executed by `Applier`.
public struct Plan: Sendable, Hashable {
    public enum Action: String, Sendable, Codable { case create, update, delete }

    public struct FunctionChange: Sendable, Hashable {
        public var path: String
        public var action: Action
        public var reason: String
        public var spec: FunctionSpec?
    }

    public struct FileChange: Sendable, Hashable {
        public var path: String
        public var action: Action
        public var reason: String
        public var spec: StaticFileSpec?
    }

    public struct Conflict: Sendable, Hashable, Codable {
        public var kind: String  // "function" or "file"
        public var path: String
        public var owner: String
    }

    public var functions: [FunctionChange] = []
    public var files: [FileChange] = []
    public var conflicts: [Conflict] = []
    /// Deletes that prune: false held back.
    public var keptByPrunePolicy = 0
    public var unchangedFunctions = 0
    public var unchangedFiles = 0

    public var isEmpty: Bool { functions.isEmpty && files.isEmpty }
    public var deletes: Int {
        functions.filter { $0.action == .delete }.count + files.filter { $0.action == .delete }.count
    }
}

/// Desired state against the inventory: a pure diff.
public enum Planner {
    public static func plan(
        _ desired: DesiredState, inventory: Inventory, policy: Registration.SyncPolicy,
        others: Ownership = Ownership()
    ) -> Result<Plan, SyncError> {
        var plan = Plan()
        var wanted = Set<String>()
        for spec in desired.functions {
            if let owner = others.functions[spec.path] {
                plan.conflicts.append(.init(kind: "function", path: spec.path, owner: owner))
                continue
            }
            wanted.insert(spec.path)
            guard let record = inventory.functions[spec.path] else {
                plan.functions.append(
                    .init(path: spec.path, action: .create, reason: "new in the manifest", spec: spec))
                continue
            }
            if record.fingerprint == spec.fingerprint {
                plan.unchangedFunctions += 1
                continue
            }
            plan.functions.append(.init(path: spec.path, action: .update, reason: why(record, spec), spec: spec))
        }
        for path in inventory.functions.keys.sorted()
        where !wanted.contains(path) && !desired.functions.contains(where: { $0.path == path }) {
            if policy.prune {
                plan.functions.append(
                    .init(path: path, action: .delete, reason: "removed from the manifest", spec: nil))
            } else {
                plan.keptByPrunePolicy += 1
            }
        }
        for (path, spec) in desired.files.sorted(by: { $0.key < $1.key }) {
            if let owner = others.files[path] {
                plan.conflicts.append(.init(kind: "file", path: path, owner: owner))
                continue
            }
            switch inventory.files[path] {
            case nil:
                plan.files.append(.init(path: path, action: .create, reason: "new file", spec: spec))
            case let record? where record.id == nil:
                plan.files.append(
                    .init(path: path, action: .update, reason: "the previous upload was not confirmed", spec: spec))
            case let record? where record.id != spec.id:
                plan.files.append(.init(path: path, action: .update, reason: "content changed", spec: spec))
            default:
                plan.unchangedFiles += 1
            }
        }
        for path in inventory.files.keys.sorted() where desired.files[path] == nil {
            if policy.prune {
                plan.files.append(
                    .init(
                        path: path, action: .delete, reason: "no longer in \(desired.staticDir ?? "static.dir")",
                        spec: nil))
            } else {
                plan.keptByPrunePolicy += 1
            }
        }
        if !policy.allowEmpty, !inventory.isEmpty, desired.functions.isEmpty, desired.files.isEmpty, plan.deletes > 0 {
            return .failure(
                SyncError(
                    .prune,
                    "this sync would delete everything the application has (\(counted(inventory.functions.count, "function")), \(counted(inventory.files.count, "file"))); refused because syncPolicy.allowEmpty is false. Set it to true to allow an empty deployment",
                    file: AppManifest.fileName))
        }
        return .success(plan)
    }

    static func why(_ record: Inventory.Function, _ spec: FunctionSpec) -> String {
        if record.fingerprint == nil { return "the previous deploy was not confirmed" }
        var parts: [String] = []
        if record.runtime != spec.runtime.rawValue {
            parts.append("runtime \(record.runtime) -> \(spec.runtime.rawValue)")
        }
        if record.codeID != spec.codeID {
            parts.append(spec.runtime == .docker ? "build inputs changed" : "code changed")
        }
        if record.image != spec.image, spec.runtime == .docker { parts.append("image changed") }
        if record.port != spec.port {
            parts.append("port \(record.port.map(String.init) ?? "none") -> \(spec.port.map(String.init) ?? "none")")
        }
        return parts.isEmpty ? "changed" : parts.joined(separator: ", ")
    }
}
