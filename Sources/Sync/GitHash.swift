import Crypto

/// Git's ids for content, so that inline code and files from the tree compare alike.
public enum GitHash {
    /// The id git gives a blob of these bytes (`git hash-object`), by swift-crypto's SHA-1
    /// (git's object naming, not a security decision).
    public static func blobID(_ bytes: [UInt8]) -> String {
        var hasher = Insecure.SHA1()
        hasher.update(data: Array("blob \(bytes.count)\0".utf8))
        hasher.update(data: bytes)
        return hex(Array(hasher.finalize()))
    }

    static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: digest.count * 2) { buffer in
            for (i, b) in digest.enumerated() {
                buffer[2 * i] = digits[Int(b >> 4)]
                buffer[2 * i + 1] = digits[Int(b & 15)]
            }
            return digest.count * 2
        }
    }
}
