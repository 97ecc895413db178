import Foundation

/// Whether this process may create files in a folder: the REST API answers 405 with the
/// reason when the operator made the apps dir or the secrets dir read-only for the daemon
/// (a Kubernetes ConfigMap or Secret volume, systemd's ProtectSystem=strict, file modes).
public enum WritableFolder {
    /// nil when `path` is writable (or does not exist yet: creating it is the writer's
    /// job and reports its own error); otherwise why not, in words.
    public static func problem(_ path: String) -> String? {
        if access(path, W_OK) == 0 { return nil }
        switch errno {
        case EROFS:
            return
                "\(path) is on a read-only file system for the daemon (a ConfigMap or Secret volume, or systemd's ProtectSystem)"
        case EACCES, EPERM: return "\(path) is not writable by the daemon's user (uid \(getuid()))"
        default: return nil
        }
    }
}
