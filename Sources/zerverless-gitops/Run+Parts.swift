import ArgumentParser
import Daemon
import Foundation
import GitSource
import HTTPFacade
import Hummingbird
import Logging
import Manifest
import Notify
import CoreMetrics
import Prometheus
import ServiceLifecycle
import UnixSignals
import State
import Sync

extension Run {
    /// With shards, a rescan every 2 s at most: inotify does not see another host's writes
    /// on a network file system.
    func supervisorConfiguration(_ scheduling: Scheduler.Configuration, rescan: Int, sharding: ShardSettings) -> Supervisor.Configuration {
        var c = Supervisor.Configuration(appsDir: (appsDir as NSString).standardizingPath, scheduler: scheduling,
                                         rescanInterval: sharding.shards > 1 ? min(Double(rescan), 2) : Double(rescan))
        c.shards = sharding.shards
        c.shardIndex = sharding.index
        return c
    }

    func makeTarget(_ layout: StateLayout) throws -> (any DeployTarget, String) {
        if target == "local" || target.hasPrefix("local:") {
            let dir = target == "local" ? layout.publishedDir : String(target.dropFirst("local:".count))
            guard !dir.isEmpty else { throw usage("--target local: needs a folder after the colon") }
            let root = (dir as NSString).standardizingPath
            return (LocalTarget(root: root), "local:" + root)
        }
        guard target.hasPrefix("http://") || target.hasPrefix("https://"), URL(string: target)?.host != nil else {
            throw usage("--target: \"\(target)\"; expected local, local:DIR, or http(s)://HOST:PORT")
        }
        var token: String?
        if let file = targetTokenFile {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw usage("--target-token-file: cannot read \(file)")
            }
            token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return (HTTPTarget(base: target, token: token), target)
    }
}
