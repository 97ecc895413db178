import YAML

/// `spec.source` and its `auth`: decoding and validation.
extension Registration {
    static func decodeSource(_ node: Node, _ path: String, at anchor: Mark, _ r: FieldReader) -> Source? {
        guard
            let s = r.fields(
                node, path, allowed: sourceKeys, required: ["repoURL"], inlineSecrets: sourceSecrets, at: anchor)
        else { return nil }
        var url: RepositoryURL?
        if let n = s["repoURL"], let text = r.string(n, s.path("repoURL")) {
            switch RepositoryURL.parse(text) {
            case .success(let u): url = u
            case .failure(let problem):
                let shown = RepositoryURL.redactForMessage(text)
                r.error(n.mark, s.path("repoURL"), "\"\(shown)\" \(problem.message)")
            }
        }
        var ref = Ref.branch(defaultBranch)
        let given = ["branch", "tag", "semver", "commit"].filter { s[$0] != nil }
        if given.count > 1, let second = s.keyMark(given[1]) {
            r.error(
                second, s.path(given[1]),
                "give exactly one of branch, tag, semver and commit (this source has \(given.joined(separator: " and ")))"
            )
        }
        if let n = s["branch"], let text = r.string(n, s.path("branch")) {
            if let problem = Rules.branchProblem(text) {
                r.error(n.mark, s.path("branch"), problem)
            } else {
                ref = .branch(text)
            }
        }
        if let n = s["tag"], let text = r.string(n, s.path("tag")) {
            if let problem = Rules.branchProblem(text) {
                r.error(
                    n.mark, s.path("tag"),
                    String(problem.split(separator: ";")[0]).split(separator: " ").map { $0 == "branch" ? "tag" : $0 }
                        .joined(separator: " "))
            } else {
                ref = .tag(text)
            }
        }
        if let n = s["semver"], let text = r.string(n, s.path("semver")) {
            switch SemverRange.parse(text) {
            case .success: ref = .semver(trim(text))
            case .failure(let problem): r.error(n.mark, s.path("semver"), "\(problem)")
            }
        }
        if let n = s["commit"], let text = r.string(n, s.path("commit")) {
            if text.count == 40, text.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
                ref = .commit(text)
            } else {
                r.error(
                    n.mark, s.path("commit"),
                    "\"\(text)\" is not a full commit id (40 lowercase hex digits; abbreviations are ambiguous)")
            }
        }
        var folder = "."
        if let n = s["path"], let text = r.string(n, s.path("path")) {
            if let problem = Rules.repoRelativePathProblem(text) {
                r.error(n.mark, s.path("path"), problem)
            } else {
                folder = Rules.normalizeRelative(text) ?? "."
            }
        }
        var auth: Auth?
        if let n = s["auth"], !n.isNull {
            auth = decodeAuth(n, s.path("auth"), at: s.keyMark("auth")!, url: url, r)
        }
        var verify: Verify?
        if let n = s["verify"], !n.isNull,
            let v = r.fields(
                n, s.path("verify"), allowed: verifyKeys, required: ["mode", "publicKeysFile"], at: s.keyMark("verify")!
            )
        {
            var mode: Verify.Mode?
            if let m = v["mode"], let text = r.string(m, v.path("mode")) {
                mode = Verify.Mode(rawValue: text)
                if mode == nil { r.error(m.mark, v.path("mode"), "\"\(text)\" is not a mode; expected commit or tag") }
                if mode == .tag, !ref.followsTags {
                    r.error(
                        m.mark, v.path("mode"),
                        "tag verifies an annotated tag: it needs source.tag or source.semver (this source follows \(ref.kind)); use mode: commit"
                    )
                }
            }
            var keys: String?
            if let k = v["publicKeysFile"], let text = r.string(k, v.path("publicKeysFile")) {
                keys = secretFileName(text, at: k.mark, v.path("publicKeysFile"), r, kind: "key")
            }
            if let mode, let keys { verify = Verify(mode: mode, publicKeysFile: keys) }
        }
        var webhookSecret: String?
        if let n = s["webhookSecretFile"], let text = r.string(n, s.path("webhookSecretFile")) {
            webhookSecret = secretFileName(text, at: n.mark, s.path("webhookSecretFile"), r)
        }
        guard let url else { return nil }
        return Source(
            repoURL: url, ref: ref, verify: verify, path: folder, auth: auth, webhookSecretFile: webhookSecret)
    }

    static func decodeAuth(_ node: Node, _ path: String, at anchor: Mark, url: RepositoryURL?, _ r: FieldReader)
        -> Auth?
    {
        guard let a = r.fields(node, path, allowed: authKeys, inlineSecrets: authSecrets, at: anchor) else {
            return nil
        }
        var auth = Auth()
        func file(_ key: String) -> String? {
            guard let n = a[key], let text = r.string(n, a.path(key)) else { return nil }
            return secretFileName(text, at: n.mark, a.path(key), r)
        }
        if let n = a["username"] { auth.username = r.string(n, a.path("username")) }
        auth.tokenFile = file("tokenFile")
        auth.sshKeyFile = file("sshKeyFile")
        auth.knownHostsFile = file("knownHostsFile")
        auth.caFile = file("caFile")
        if auth.tokenFile != nil && auth.sshKeyFile != nil, let m = a.keyMark("sshKeyFile") {
            r.error(m, a.path("sshKeyFile"), "set tokenFile (for https) or sshKeyFile (for ssh), not both")
        }
        if let url {
            switch url.scheme {
            case .https, .http:
                for key in ["sshKeyFile", "knownHostsFile"] {
                    if let m = a.keyMark(key) {
                        r.error(
                            m, a.path(key),
                            "is for ssh repository URLs; this one is \(url.scheme.rawValue) (use tokenFile)")
                    }
                }
            case .ssh, .scp:
                for key in ["tokenFile", "caFile"] {
                    if let m = a.keyMark(key) {
                        r.error(m, a.path(key), "is for https repository URLs; this one is ssh (use sshKeyFile)")
                    }
                }
            case .git, .file, .path:
                r.error(
                    anchor, path,
                    "\(url.scheme == .git ? "git://" : "local") repositories take no credentials; remove auth")
            }
        }
        return auth
    }
}
