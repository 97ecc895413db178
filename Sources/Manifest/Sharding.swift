/// Which shard owns a namespace: rendezvous (highest-random-weight) hashing over the shard
/// indexes `0..<shards`. All applications of a namespace have one owner (they share its
/// static storage and the conflict rules), and going from N to N+1 shards moves only the
/// namespaces the new shard wins (about 1/(N+1)); going to N-1 moves only the removed
/// shard's.
///
/// The weight of shard `i` for namespace `ns`, so that other tools can compute it:
///
///     key    = UTF-8 bytes of ns, one 0x00 byte, UTF-8 bytes of i in decimal ("0", "1", ...)
///     h      = FNV-1a 64 of key (offset basis 0xcbf29ce484222325, prime 0x100000001b3)
///     weight = splitmix64 finalizer of h:
///              z = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9      (wrapping 64-bit arithmetic)
///              z = (z ^ (z >> 27)) * 0x94d049bb133111eb
///              weight = z ^ (z >> 31)
///
/// The owner is the index of the highest weight (the lowest index on a tie).
public enum Sharding {
    public static func weight(namespace: String, shard: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func add(_ byte: UInt8) {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        for b in namespace.utf8 { add(b) }
        add(0)
        for b in String(shard).utf8 { add(b) }
        var z = h
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// The shard that owns `namespace` among `shards` (>= 1).
    public static func owner(namespace: String, shards: Int) -> Int {
        var best = 0
        var bestWeight = weight(namespace: namespace, shard: 0)
        for i in 1..<max(1, shards) {
            let w = weight(namespace: namespace, shard: i)
            if w > bestWeight {
                best = i
                bestWeight = w
            }
        }
        return best
    }

    /// `--shard-index auto`: the trailing `-K` of a StatefulSet pod's host name
    /// (`zerverless-gitops-2` -> 2); nil when there is none.
    public static func index(fromHostName host: String) -> Int? {
        let name = host.split(separator: ".").first.map(String.init) ?? host
        guard let dash = name.lastIndex(of: "-") else { return nil }
        let digits = name[name.index(after: dash)...]
        guard !digits.isEmpty, digits.count <= 6, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }
}
