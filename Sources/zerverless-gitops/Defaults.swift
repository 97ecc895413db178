import Foundation

/// `/etc/default/zerverless-gitops`: the service's options as `ZG_*` variables. The
/// commands read it too (a variable already in the environment wins), so that `status`,
/// `sync` or `rollback` run on the host see the apps dir, state dir and secrets dir the
/// service uses without flags. `ZG_DEFAULTS_FILE` names another file (`none`: no file).
enum Defaults {
    static let file = "/etc/default/zerverless-gitops"

    /// Sets each `ZG_*` variable the file gives and the environment does not have.
    static func apply() {
        let path = env("ZG_DEFAULTS_FILE") ?? file
        guard path != "none", let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        for (key, value) in parse(text) where ProcessInfo.processInfo.environment[key] == nil {
            setenv(key, value, 0)
        }
    }

    /// `KEY=VALUE` lines as systemd's EnvironmentFile= reads them (comments, `export`,
    /// single or double quotes); only `ZG_` keys.
    static func parse(_ text: String) -> [(String, String)] {
        var out: [(String, String)] = []
        for raw in text.split(whereSeparator: \.isNewline) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst("export ".count)) }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q {
                value = String(value.dropFirst().dropLast())
            }
            guard key.hasPrefix("ZG_"), key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { continue }
            out.append((key, value))
        }
        return out
    }
}

/// Run as root on the state dir of a service that runs as another user: the command acts
/// as that user (effective ids), so that what it writes there (requests, pins,
/// suspensions, fetched objects) belongs to the service, which must be able to remove it.
func actAsStateDirOwner(_ root: String) {
    guard geteuid() == 0 else { return }
    var st = stat()
    guard stat(root, &st) == 0, st.st_uid != 0 else { return }
    var groups = [st.st_gid]
    if setgroups(1, &groups) != 0 || setegid(st.st_gid) != 0 || seteuid(st.st_uid) != 0 {
        printErr(
            "warning: cannot act as the owner of \(root) (uid \(st.st_uid)): \(String(cString: strerror(errno))); files written there belong to root"
        )
    }
}
