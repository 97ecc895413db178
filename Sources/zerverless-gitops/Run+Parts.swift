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

    /// `--api-hostname` (repeatable, or comma-separated), `--api-max-streams` and
    /// `--api-max-streams-per-token`: the streams' budget stays below the connection cap,
    /// so probes, webhooks and other calls always find a connection.
    func apiSettings(maxConnections: Int) throws -> (hostnames: [String], streams: StreamBudget) {
        let names = apiHostname.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for name in names {
            if let problem = HostPolicy.nameProblem(name) { throw usage("--api-hostname: \(problem)") }
        }
        // Not given: 64, or half the connection cap when that is lower.
        var total = min(64, max(1, maxConnections / 2))
        if let apiMaxStreams {
            guard let given = Int(apiMaxStreams), given >= 1 else {
                throw usage("--api-max-streams: \"\(apiMaxStreams)\" is not a number of at least 1")
            }
            guard given < maxConnections else {
                throw usage("--api-max-streams \(given) must be below --api-max-connections \(maxConnections): the other calls (probes, webhooks) need connections too")
            }
            total = given
        }
        guard let perToken = Int(apiMaxStreamsPerToken), perToken >= 1 else {
            throw usage("--api-max-streams-per-token: \"\(apiMaxStreamsPerToken)\" is not a number of at least 1")
        }
        return (names, StreamBudget(total: total, perKey: perToken))
    }
}
