import Agent
import ArgumentParser
import Foundation
import GitSource
import Manifest
import State
import Sync
import Toolkit

/// The deployed side of `diff`: the target read back, or the content of the commit the last
/// successful sync deployed (the status's `source.commit`).
extension DiffCommand {
    struct Deployed {
        var source: any ContentSource
        var label: String
        /// The paths it is known to hold: the inventory's, or the commit's.
        var functions: [String]
        var files: [String]
        /// Read back from the target (not a commit's content).
        var isTarget = false
    }

    func deployedSide(_ choice: TargetChoice, next: NextSync, inventory: Inventory?) async throws -> Deployed {
        let name = next.registration.name
        let synced = (try? next.layout.readStatus(name))?.source.commit ?? inventory?.synced?.commit
        let syncedNote = synced.map { "; last synced commit \($0.prefix(12))" } ?? ""
        if deployed == .target {
            if let file = targetTokenFile, case .http = choice, FileManager.default.contents(atPath: file) == nil {
                printErr("error: --target-token-file: cannot read \(file)")
                throw ExitCode(2)
            }
            var settings = AgentSettings(appsDir: application.apps.appsDir, stateDir: next.layout.root)
            settings.target = choice
            settings.targetTokenFile = targetTokenFile
            let (target, shown) = Agent.target(settings, next.layout, clock: .system)
            // What the application deployed in this namespace (a move leaves the old one's
            // to the undeploy the sync starts with).
            let owned = inventory?.namespace == next.registration.namespace ? inventory : nil
            do throws(TargetError) {
                let source = try await Self.readable(target, owned: owned)
                return Deployed(
                    source: source, label: "deployed (target \(Redact.line(shown))\(syncedNote))",
                    functions: owned.map { Array($0.functions.keys) } ?? [],
                    files: owned.map { Array($0.files.keys) } ?? [], isTarget: true)
            } catch {
                printErr(
                    "warning: the target \(Redact.line(shown)) cannot be read (\(error)); the deployed side is the last synced commit"
                )
            }
        }
        guard let synced else {
            return Deployed(
                source: NoContent(), label: "deployed (nothing: no sync has succeeded yet)", functions: [], files: [])
        }
        let snapshot: Snapshot
        do { snapshot = try next.snapshot(at: synced) } catch {
            printErr("error: the last synced commit \(synced.prefix(12)): \(error)")
            throw ExitCode(2)
        }
        let registration = next.registration
        let engine = SyncEngine(target: LocalTarget(root: next.layout.publishedDir))
        let outcome = engine.plan(
            SyncEngine.Input(
                app: name, namespace: registration.namespace, policy: registration.syncPolicy, commit: synced,
                folder: registration.source.path, inventoryFile: next.layout.inventoryFile(name),
                pathPrefix: registration.pathPrefix),
            snapshot: snapshot, fastPaths: false)
        guard let desired = outcome.desired else {
            printErr(
                "error: what the last synced commit \(synced.prefix(12)) deploys cannot be read: \(outcome.errors.map(\.description).joined(separator: "; "))"
            )
            throw ExitCode(2)
        }
        return Deployed(
            source: CommitContent(desired: desired, snapshot: snapshot),
            label:
                "deployed (commit \(synced.prefix(12)), the last synced\(deployed == .target ? "; the target was not read" : ""))",
            functions: desired.functions.map(\.path), files: Array(desired.files.keys))
    }

    /// The target as a source of content, once it answered: the orchestrator's deployment
    /// list read, or the local folder there (or absent while nothing is deployed).
    static func readable(_ target: any DeployTarget, owned: Inventory?) async throws(TargetError) -> any ContentSource {
        if let http = target as? HTTPTarget { return try await HTTPContentSource(target: http) }
        guard let local = target as? LocalTarget else {
            throw TargetError("not a target that can be read back", retryable: false)
        }
        if Glibc.access(local.root, R_OK | X_OK) != 0 {
            let code = errno
            if code == ENOENT, owned?.isEmpty ?? true { return local }
            let problem = String(cString: strerror(code))
            throw TargetError("\(local.root): \(problem)", retryable: false)
        }
        return local
    }
}
