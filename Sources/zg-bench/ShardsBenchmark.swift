import Foundation
import Manifest

/// The ownership simulation: 10,000 applications over 10 shards, with one namespace per
/// application and with skewed namespaces (10 of 500 applications beside 5,000 of one),
/// rendezvous hashing of the namespace against Argo CD's `fnv32a(key) % replicas` on the
/// same input (keyed by namespace too, so both keep a namespace on one shard): the
/// balance (max / mean applications per shard) and the share of namespaces that move on
/// a resize 10 -> 11 and 10 -> 9 (ideal: 1/11 = 9.1% and 1/10 = 10%).
enum ShardsBenchmark {
    static func run() {
        let uniform = (0..<10_000).map { ("ns-\($0)", 1) }
        let skewed = (0..<10).map { ("big-\($0)", 500) } + (0..<5_000).map { ("ns-\($0)", 1) }
        print("ownership of 10,000 applications over 10 shards")
        print("  " + pad("input, scheme", 66) + pad("max/mean", 10) + pad("moved 10->11", 14) + "moved 10->9")
        for (label, input) in [("10,000 namespaces of 1 app", uniform), ("10 namespaces of 500 + 5,000 of 1", skewed)] {
            for (scheme, owner) in [
                ("rendezvous (ours)", { (ns: String, n: Int) in Sharding.owner(namespace: ns, shards: n) }),
                ("fnv32a % replicas (Argo CD)", { (ns: String, n: Int) in fnv32aModulo(ns, shards: n) }),
            ] {
                var load = [Int](repeating: 0, count: 10)
                var moved11 = 0
                var moved9 = 0
                for (ns, apps) in input {
                    let o = owner(ns, 10)
                    load[o] += apps
                    if owner(ns, 11) != o { moved11 += 1 }
                    if owner(ns, 9) != o { moved9 += 1 }
                }
                let mean = Double(load.reduce(0, +)) / 10
                let share = { (x: Int) in String(format: "%.1f%%", 100 * Double(x) / Double(input.count)) }
                print(
                    "  " + pad("\(label), \(scheme)", 66) + pad(String(format: "%.2f", Double(load.max()!) / mean), 10)
                        + pad(share(moved11), 14) + share(moved9))
            }
        }
    }

    /// Argo CD's legacy sharding, for comparison only: FNV-1a 32 of the key, modulo the
    /// number of replicas.
    static func fnv32aModulo(_ key: String, shards: Int) -> Int {
        var h: UInt32 = 0x811c_9dc5
        for b in key.utf8 {
            h ^= UInt32(b)
            h = h &* 0x0100_0193
        }
        return Int(h % UInt32(max(1, shards)))
    }
}
