import Foundation
import Manifest
import State
import Toolkit

/// `diff`: what differs between a deployed side (a target read back, or the last synced
/// commit) and what the next sync would deploy, function by function and file by file.
public enum ContentDiff {
    public enum Kind: String, Sendable { case function, file }

    /// One function or static file that differs.
    public struct Item: Sendable {
        public var kind: Kind
        /// The function's path, or the static file's (`RepoPath`'s escaped form).
        public var path: String
        public var deployed: Side?
        public var next: Side?
        /// The inventory says the deployed version is the one the next sync wants: the
        /// target changed under the agent (a sync redeploys it only with selfHeal: correct).
        public var drift = false
    }

    public enum Side: Sendable {
        case function(FunctionContent)
        case file(FileContent)
    }

    /// What the next sync deploys: its content, and which deployed paths it keeps or
    /// leaves alone.
    public struct Next: Sendable {
        public var desired: DesiredState
        /// The desired state's content (a `CommitContent`).
        public var content: any ContentSource
        /// Functions that would not be deployed (syntax errors, conflicts): what is
        /// deployed there stays.
        public var skippedFunctions: Set<String> = []
        /// Static files another application owns (conflicts): not uploaded.
        public var skippedFiles: Set<String> = []
        /// syncPolicy.prune: false keeps what left the manifest.
        public var prune = true

        public init(desired: DesiredState, content: any ContentSource, prune: Bool) {
            self.desired = desired
            self.content = content
            self.prune = prune
        }

        public init(content: CommitContent, prune: Bool) {
            self.init(desired: content.desired, content: content, prune: prune)
        }
    }

    public struct Counts: Sendable, Hashable {
        public var sameFunctions = 0, sameFiles = 0
        /// Deployed, gone from the manifest, not deleted (prune: false).
        public var kept = 0
    }

    /// Compares every path either side has: the deployed side's (`deployedFunctions`,
    /// `deployedFiles`: the inventory's, or the last synced commit's) and the next sync's.
    /// `each` is told every item that differs, in order: functions by path, then files.
    /// `inventory`, for a target read back: what differs where the inventory says the
    /// deployed version is the next one is drift.
    public static func compare(
        deployed: any ContentSource, next: Next, inventory: Inventory?, deployedFunctions: [String],
        deployedFiles: [String], each: (Item) throws -> Void
    ) async throws -> Counts {
        let ns = next.desired.namespace
        let desired = next.desired
        var counts = Counts()
        let wanted = Set(desired.functions.map(\.path)).subtracting(next.skippedFunctions)
        for path in Set(deployedFunctions).union(wanted).sorted() {
            let old = try await deployed.function(namespace: ns, path: path)
            var new: FunctionContent?
            if wanted.contains(path) {
                new = try await next.content.function(namespace: ns, path: path)
            } else if next.skippedFunctions.contains(path) || !next.prune {
                if old != nil, !next.skippedFunctions.contains(path) { counts.kept += 1 }
                continue
            }
            if old == new {
                if old != nil { counts.sameFunctions += 1 }
                continue
            }
            let spec = desired.functions.first { $0.path == path }
            let drift = spec != nil && inventory?.functions[path]?.fingerprint == spec?.fingerprint
            try each(
                Item(
                    kind: .function, path: path, deployed: old.map(Side.function), next: new.map(Side.function),
                    drift: drift))
        }
        let files = Set(desired.files.keys).subtracting(next.skippedFiles)
        for path in Set(deployedFiles).union(files).sorted() {
            let old = try await deployed.file(namespace: ns, path: path)
            var new: FileContent?
            if files.contains(path) {
                new = try await next.content.file(namespace: ns, path: path)
            } else if next.skippedFiles.contains(path) || !next.prune {
                if old != nil, !next.skippedFiles.contains(path) { counts.kept += 1 }
                continue
            }
            if old?.id == new?.id {
                if old != nil { counts.sameFiles += 1 }
                continue
            }
            let drift = new != nil && inventory?.files[path]?.id == new?.id
            try each(
                Item(kind: .file, path: path, deployed: old.map(Side.file), next: new.map(Side.file), drift: drift))
        }
        return counts
    }
}
