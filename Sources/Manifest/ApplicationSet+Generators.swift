import YAML

/// The generators that read a repository or a forge: gitDirectories, gitBranches, pullRequests.
extension ApplicationSet {
    static func decodeDirectories(_ node: Node, _ path: String, at anchor: Mark, _ r: FieldReader) -> Generator? {
        let errors = r.diagnostics.count
        guard
            let f = r.fields(
                node, path, allowed: directoriesKeys, required: ["repoURL", "pattern"],
                inlineSecrets: Registration.sourceSecrets, at: anchor)
        else { return nil }
        let url = decodeRepoURL(f, r)
        var branch = Registration.defaultBranch
        if let n = f["branch"], let text = r.string(n, f.path("branch")) {
            if let problem = Rules.branchProblem(text) {
                r.error(n.mark, f.path("branch"), problem)
            } else {
                branch = text
            }
        }
        let pattern = f["pattern"].flatMap { decodePattern($0, f.path("pattern"), folders: true, r) }
        let auth = f["auth"].flatMap {
            $0.isNull ? nil : Registration.decodeAuth($0, f.path("auth"), at: f.keyMark("auth")!, url: url, r)
        }
        guard let url, let pattern, r.diagnostics.count == errors else { return nil }
        return .gitDirectories(.init(repoURL: url, branch: branch, pattern: pattern, auth: auth))
    }

    static func decodeBranches(_ node: Node, _ path: String, at anchor: Mark, _ r: FieldReader) -> Generator? {
        let errors = r.diagnostics.count
        guard
            let f = r.fields(
                node, path, allowed: branchesKeys, required: ["repoURL", "pattern"],
                inlineSecrets: Registration.sourceSecrets, at: anchor)
        else { return nil }
        let url = decodeRepoURL(f, r)
        let pattern = f["pattern"].flatMap { decodePattern($0, f.path("pattern"), folders: false, r) }
        let auth = f["auth"].flatMap {
            $0.isNull ? nil : Registration.decodeAuth($0, f.path("auth"), at: f.keyMark("auth")!, url: url, r)
        }
        guard let url, let pattern, r.diagnostics.count == errors else { return nil }
        return .gitBranches(.init(repoURL: url, pattern: pattern, auth: auth))
    }

    static func decodePullRequests(_ node: Node, _ path: String, at anchor: Mark, _ r: FieldReader) -> Generator? {
        let errors = r.diagnostics.count
        guard
            let f = r.fields(
                node, path, allowed: pullRequestKeys, required: ["forge", "apiURL", "repo", "tokenFile"],
                inlineSecrets: ["token": "inline secrets are not allowed; put the token in a file and set tokenFile"],
                at: anchor)
        else { return nil }
        var forge: Registration.Forge?
        if let n = f["forge"], let text = r.string(n, f.path("forge")) {
            forge = Registration.Forge(rawValue: text)
            if forge == nil {
                r.error(n.mark, f.path("forge"), "\"\(text)\" is not a forge; expected github, gitea or gitlab")
            }
        }
        var api: String?
        if let n = f["apiURL"], let text = r.string(n, f.path("apiURL")) {
            if let problem = Registration.endpointURLProblem(text) {
                r.error(n.mark, f.path("apiURL"), "\"\(Registration.endpointShown(text))\" \(problem)")
            } else {
                api = text
            }
        }
        var repo: String?
        if let n = f["repo"], let text = r.string(n, f.path("repo")) {
            if let problem = repoProblem(text, forge: forge) {
                r.error(n.mark, f.path("repo"), problem)
            } else {
                repo = text
            }
        }
        var token: String?
        if let n = f["tokenFile"], let text = r.string(n, f.path("tokenFile")) {
            token = Registration.secretFileName(text, at: n.mark, f.path("tokenFile"), r)
        }
        var labels: [String] = []
        if let n = f["labels"], let items = r.list(n, f.path("labels")) {
            if items.count > maxLabels {
                r.error(n.mark, f.path("labels"), "at most \(maxLabels) labels (this list has \(items.count))")
            }
            for (i, item) in items.enumerated() {
                if let label = r.string(item, "\(f.path("labels"))[\(i)]") { labels.append(label) }
            }
        }
        guard let forge, let api, let repo, let token, r.diagnostics.count == errors else { return nil }
        return .pullRequests(.init(forge: forge, apiURL: api, repo: repo, tokenFile: token, labels: labels))
    }

    /// `OWNER/REPO` as the forges' APIs name a repository (GitLab: `GROUP/.../PROJECT`).
    static func repoProblem(_ text: String, forge: Registration.Forge?) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._")
        let segments = text.split(separator: "/", omittingEmptySubsequences: false)
        let wellFormed = segments.allSatisfy {
            !$0.isEmpty && $0 != "." && $0 != ".." && $0.allSatisfy(allowed.contains)
        }
        if !wellFormed || segments.count < 2 {
            return
                "\"\(text)\" is not OWNER/REPO; write the repository's owner and name (letters, digits, '-', '_' and '.') with one '/' between"
        }
        if forge != .gitlab && segments.count != 2 {
            return
                "\"\(text)\" is not OWNER/REPO; \(forge?.rawValue ?? "this forge") names a repository by its owner and name alone (only gitlab takes GROUP/SUBGROUP/PROJECT)"
        }
        return nil
    }

    static func decodeRepoURL(_ f: Fields, _ r: FieldReader) -> RepositoryURL? {
        guard let n = f["repoURL"], let text = r.string(n, f.path("repoURL")) else { return nil }
        switch RepositoryURL.parse(text) {
        case .success(let url): return url
        case .failure(let problem):
            r.error(n.mark, f.path("repoURL"), "\"\(RepositoryURL.redactForMessage(text))\" \(problem.message)")
            return nil
        }
    }

    /// A generator's `pattern`: a glob of folders (relative to the repository root) or of
    /// branch names.
    static func decodePattern(_ node: Node, _ path: String, folders: Bool, _ r: FieldReader) -> Glob? {
        guard let text = r.string(node, path) else { return nil }
        let segments = text.split(separator: "/", omittingEmptySubsequences: false)
        if folders && text.hasPrefix("/") {
            r.error(
                node.mark, path,
                "\"\(text)\" is an absolute path; write the pattern relative to the repository root (services/*)")
            return nil
        }
        if folders, let dots = segments.first(where: { $0 == "." || $0 == ".." }) {
            r.error(
                node.mark, path,
                "\"\(text)\" has a '\(dots)' segment; write the folders as they are named from the repository root")
            return nil
        }
        if !folders && text.hasPrefix("refs/") {
            r.error(node.mark, path, "\"\(text)\" names refs; write the branch pattern alone (feature/*)")
            return nil
        }
        switch Glob.parse(text) {
        case .success(let glob): return glob
        case .failure(let error):
            r.error(node.mark, path, "\"\(text)\" is not a valid pattern: \(error.message)")
            return nil
        }
    }
}
