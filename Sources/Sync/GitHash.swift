import Crypto
import State
import Toolkit

/// Git's ids for content, so that inline code and files from the tree compare alike.
public enum GitHash {
    /// The id git gives a blob of these bytes (`git hash-object`), by swift-crypto's SHA-1
    /// (git's object naming, not a security decision).
    public static func blobID(_ bytes: [UInt8]) -> String {
        var hasher = Insecure.SHA1()
        hasher.update(data: Array("blob \(bytes.count)\0".utf8))
        hasher.update(data: bytes)
        return hasher.finalize().hexString
    }
}
