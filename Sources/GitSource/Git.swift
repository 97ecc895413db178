import CGit2
import CGitStream
import Foundation

/// libgit2's process-wide set-up, done once: no host configuration leaks in (system and
/// global gitconfig, url.insteadOf rewrites, credential helpers), and every socket goes
/// through the deadline-aware stream.
enum Git {
    static let initialized: Bool = {
        git_libgit2_init()
        // Read no gitconfig but the repository's own: nothing from /etc/gitconfig or ~.
        for level in [
            GIT_CONFIG_LEVEL_PROGRAMDATA, GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL,
        ] {
            _ = zg_git_opts_search_path(Int32(level.rawValue), "")
        }
        // The caches are the agent's own; ownership checks only get in the way of root.
        _ = zg_git_opts_int(Int32(GIT_OPT_SET_OWNER_VALIDATION.rawValue), 0)
        _ = zg_git_opts_user_agent("zerverless-gitops/0.1")
        _ = zg_stream_register()
        return true
    }()

    static func ensureInitialized() { _ = initialized }

    /// Trust store for https: a PEM bundle that replaces the system's (tests, private CAs).
    static func setCAFile(_ path: String) {
        ensureInitialized()
        _ = zg_git_opts_cert_locations(path, nil)
    }

    /// libgit2's last error as (class name, message).
    static func lastError() -> (klass: String, message: String, classCode: Int32) {
        guard let e = git_error_last() else { return ("unknown", "no error message", 0) }
        let message = e.pointee.message.map { String(cString: $0) } ?? "no error message"
        return (className(e.pointee.klass), message, e.pointee.klass)
    }

    static func className(_ klass: Int32) -> String {
        switch git_error_t(rawValue: UInt32(klass)) {
        case GIT_ERROR_NOMEMORY: return "nomemory"
        case GIT_ERROR_OS: return "os"
        case GIT_ERROR_INVALID: return "invalid"
        case GIT_ERROR_REFERENCE: return "reference"
        case GIT_ERROR_ZLIB: return "zlib"
        case GIT_ERROR_REPOSITORY: return "repository"
        case GIT_ERROR_CONFIG: return "config"
        case GIT_ERROR_ODB: return "odb"
        case GIT_ERROR_INDEX: return "index"
        case GIT_ERROR_OBJECT: return "object"
        case GIT_ERROR_NET: return "net"
        case GIT_ERROR_TREE: return "tree"
        case GIT_ERROR_INDEXER: return "indexer"
        case GIT_ERROR_SSL: return "ssl"
        case GIT_ERROR_CHECKOUT: return "checkout"
        case GIT_ERROR_FETCHHEAD: return "fetchhead"
        case GIT_ERROR_SSH: return "ssh"
        case GIT_ERROR_CALLBACK: return "callback"
        case GIT_ERROR_HTTP: return "http"
        case GIT_ERROR_FILESYSTEM: return "filesystem"
        default: return "class \(klass)"
        }
    }

    static func hex(_ oid: UnsafePointer<git_oid>) -> String {
        String(unsafeUninitializedCapacity: 40) { out in
            let digits: StaticString = "0123456789abcdef"
            return withUnsafeBytes(of: oid.pointee.id) { id in
                for (i, byte) in id.prefix(20).enumerated() {
                    out[2 * i] = digits.utf8Start[Int(byte >> 4)]
                    out[2 * i + 1] = digits.utf8Start[Int(byte & 0x0f)]
                }
                return 40
            }
        }
    }

    static func oid(_ hex: String) -> git_oid? {
        var oid = git_oid()
        guard hex.utf8.count == 40, git_oid_fromstr(&oid, hex) == 0 else { return nil }
        return oid
    }
}
