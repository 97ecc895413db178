import Foundation
import Logging
import Manifest
import State
import Sync
import Synchronization
import Toolkit

/// The state dir under the running daemon: made ready at the start, and lost.
extension Supervisor {
    /// The state dir was removed or replaced under the daemon: its lock, pins, inventories
    /// and histories went with it. Acting on what this process still remembers of them
    /// (or on a second daemon's new lock in a new folder) would deploy by a state nobody
    /// can see. So: said at error level, `/readyz` fails, no new looks; the daemon exits 1
    /// once the running ones end, and its restart starts from what the state dir holds
    /// then (see the README).
    func stateDirLost(_ problem: String) {
        lostStateDir = problem
        let message =
            "\(problem) under the running daemon: its lock, pins, inventories and histories went with it; no new syncs, the daemon exits 1 and starts over from what the state dir holds when restarted (what was deployed stays deployed)"
        readiness.fail(message)
        // Pins this process knew of that are gone with the dir: said, never acted on.
        let lostPins = apps.keys.filter { apps[$0]?.memo?.status.pinned != nil && layout.readPin($0) == nil }.sorted()
        logger.critical(
            "\(message)", metadata: ["state_dir": "\(layout.root)", "lost_pins": "\(lostPins.joined(separator: ","))"])
        runner.context.metrics.stateDirLost()
    }

    /// The state dir's folders, and what a crash left between a temporary file's creation
    /// and its rename.
    func prepareStateDir() {
        for dir in [layout.appsDir, layout.requestsDir, layout.root + "/drift"] {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        // Tenants' private repositories and the locks: the daemon's user alone.
        for dir in [layout.cacheDir, layout.root + "/locks"] {
            try? FileManager.default.createDirectory(
                atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            chmod(dir, 0o700)
        }
        // Other shards share these folders and may be writing right now: theirs are left
        // alone (only what a crash left a while ago goes).
        let age: TimeInterval? = configuration.shards > 1 ? 600 : nil
        var stale =
            AtomicFile.removeTemporaries(in: layout.requestsDir, olderThan: age)
            + AtomicFile.removeTemporaries(in: configuration.appsDir, olderThan: age)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.appsDir)) ?? [] {
            stale += AtomicFile.removeTemporaries(in: layout.appDir(name), olderThan: age)
        }
        if stale > 0 { logger.info("removed temporary files left by a crash", metadata: ["count": "\(stale)"]) }
        logger.info(
            "starting",
            metadata: [
                "apps_dir": "\(configuration.appsDir)", "state_dir": "\(layout.root)",
                "concurrency": "\(runner.context.syncSlots.total)",
            ])
    }
}
