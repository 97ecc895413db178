import YAML

/// `spec.template`: what each element becomes, checked as far as it can be without one.
extension ApplicationSet {
    static let templateKeys = [
        "name", "namespace", "labels", "source", "pathPrefix", "pollInterval", "syncPolicy", "notify",
    ]
    static let templateSourceKeys = ["repoURL", "branch", "path", "auth"]
    static let notRendered =
        "parameters are not rendered here; only name, source.branch, source.path and pathPrefix take them"

    static func decodeTemplate(
        _ node: Node, _ path: String, at anchor: Mark, namespace: String?, available: Set<Parameter>?,
        _ r: FieldReader
    ) -> Template? {
        let errors = r.diagnostics.count
        guard let t = r.fields(node, path, allowed: templateKeys, required: ["name", "source"], at: anchor) else {
            return nil
        }
        if let m = t.keyMark("namespace") {
            let own = namespace.map { " (\($0))" } ?? ""
            r.error(
                m, t.path("namespace"),
                "a template may not set a namespace: the applications of a set are always in the set's own namespace\(own); remove it"
            )
        }
        for key in ["labels", "pollInterval", "syncPolicy", "notify"] {
            if let n = t[key] { refuseParameters(n, t.path(key), r) }
        }
        func string(_ f: Fields, _ key: String) -> (TemplateString, Node)? {
            guard let n = f[key] else { return nil }
            return templateString(n, f.path(key), available: available, r).map { ($0, n) }
        }
        let name = string(t, "name")
        if let (name, node) = name { checkName(name, node, t.path("name"), r) }
        var source: (url: RepositoryURL?, branch: TemplateString?, path: TemplateString?, auth: Registration.Auth?)?
        if let n = t["source"],
            let s = r.fields(
                n, t.path("source"), allowed: templateSourceKeys, required: ["repoURL"],
                inlineSecrets: Registration.sourceSecrets, at: t.keyMark("source")!)
        {
            var url: RepositoryURL?
            if let u = s["repoURL"], u.scalar?.contains("{{") == true {
                r.error(u.mark, s.path("repoURL"), notRendered)
            } else {
                url = decodeRepoURL(s, r)
            }
            let branch = string(s, "branch")
            if let (branch, node) = branch {
                checkSample(branch, node, s.path("branch"), r, rule: Rules.branchProblem)
            }
            let folder = string(s, "path")
            if let (folder, node) = folder {
                checkSample(folder, node, s.path("path"), r, rule: Rules.repoRelativePathProblem)
            }
            var auth: Registration.Auth?
            if let a = s["auth"], !a.isNull {
                refuseParameters(a, s.path("auth"), r)
                auth = Registration.decodeAuth(a, s.path("auth"), at: s.keyMark("auth")!, url: url, r)
            }
            source = (url, branch?.0, folder?.0, auth)
        }
        let prefix = string(t, "pathPrefix")
        if let (prefix, node) = prefix {
            checkSample(prefix, node, t.path("pathPrefix"), r, rule: Rules.pathPrefixProblem)
        }
        let poll = Registration.decodePollInterval(t, r)
        let policy = Registration.decodeSyncPolicy(t, r)
        let notify = t["notify"].map { Registration.decodeNotify($0, t.path("notify"), url: source?.url, r) } ?? []
        let labels = Registration.decodeLabels(t, r)
        guard let name, let source, let url = source.url, r.diagnostics.count == errors else { return nil }
        return Template(
            name: name.0, repoURL: url, branch: source.branch, path: source.path, auth: source.auth,
            pathPrefix: prefix?.0, pollInterval: poll, syncPolicy: policy, notify: notify, labels: labels)
    }

    /// A string with parameters: each known, and given by one of the set's generators at
    /// least (`available`; nil when the generators could not be read).
    private static func templateString(_ node: Node, _ path: String, available: Set<Parameter>?, _ r: FieldReader)
        -> TemplateString?
    {
        guard let text = r.string(node, path) else { return nil }
        let parsed = TemplateString.parse(text)
        for p in parsed.problems { r.error(mark(in: node, offset: p.offset), path, p.message) }
        for (parameter, offset) in parsed.placed where available.map({ !$0.contains(parameter) }) ?? false {
            r.error(
                mark(in: node, offset: offset), path,
                "{{\(parameter.rawValue)}} is given by none of this set's generators; \(givers(parameter))")
        }
        return parsed.template
    }

    static func givers(_ parameter: Parameter) -> String {
        switch parameter {
        case .name: "list elements with a name give it"
        case .path, .pathBasename: "gitDirectories and list elements with a path give it"
        case .branch, .branchSlug: "gitBranches, gitDirectories, pullRequests and list elements with a branch give it"
        case .prNumber, .prHeadSHA, .prBranch: "pullRequests gives it"
        }
    }

    /// The name's fixed text: DNS-label characters, no '-' at either end, and a parameter
    /// (each application needs its own name).
    private static func checkName(_ name: TemplateString, _ node: Node, _ path: String, _ r: FieldReader) {
        if name.parameters.isEmpty {
            r.error(
                node.mark, path,
                "\"\(name.text)\" has no parameter; each application of the set needs its own name (such as \"\(name.text)-{{branch.slug}}\")"
            )
            return
        }
        if let (offset, c) = firstFixed(name.text, where: { !isNameScalar($0) }) {
            r.error(
                mark(in: node, offset: offset), path,
                "\"\(name.text)\" has \(Rules.describeScalar(c)) in its fixed text; a name takes lowercase letters, digits and '-' (parameters are replaced by their slugs)"
            )
            return
        }
        let sample = name.sample()
        if sample.hasPrefix("-") || sample.hasSuffix("-") {
            r.error(
                node.mark, path,
                "\"\(name.text)\" starts or ends with '-'; a name starts and ends with a letter or digit")
        }
    }

    private static func isNameScalar(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "-"
    }

    /// The first scalar outside the `{{...}}` places of a parsed text that fails `test`,
    /// and its offset in the written text.
    private static func firstFixed(_ text: String, where test: (Unicode.Scalar) -> Bool) -> (Int, Unicode.Scalar)? {
        let written = Array(text.unicodeScalars)
        var i = 0
        while i < written.count {
            if written[i] == "{", i + 1 < written.count, written[i + 1] == "{" {
                i += 2
                while i < written.count, !(written[i] == "}" && i + 1 < written.count && written[i + 1] == "}") {
                    i += 1
                }
                i += 2
                continue
            }
            if test(written[i]) { return (i, written[i]) }
            i += 1
        }
        return nil
    }

    /// A rule checked on the text with every parameter replaced by `x`: what the fixed
    /// text alone gets wrong. Messages show the text as written.
    private static func checkSample(
        _ template: TemplateString, _ node: Node, _ path: String, _ r: FieldReader, rule: (String) -> String?
    ) {
        let sample = template.sample()
        guard let problem = rule(sample) else { return }
        r.error(node.mark, path, problem.replacing("\"\(sample)\"", with: "\"\(template.text)\""))
    }

    /// A part of the template that is taken as written: no `{{` in any of its scalars.
    private static func refuseParameters(_ node: Node, _ path: String, _ r: FieldReader) {
        switch node.content {
        case .scalar(let text, _):
            if text.contains("{{") { r.error(node.mark, path, notRendered) }
        case .sequence(let items):
            for (i, item) in items.enumerated() { refuseParameters(item, "\(path)[\(i)]", r) }
        case .mapping(let pairs):
            for pair in pairs { refuseParameters(pair.value, join(path, pair.key.scalar ?? ""), r) }
        }
    }

    /// The mark of the scalar `offset` characters into a scalar node's text, when the text
    /// stands in the file as it reads (one line; quotes without quote or escape inside);
    /// otherwise the node's own mark.
    static func mark(in node: Node, offset: Int) -> Mark {
        guard case .scalar(let text, let style) = node.content, !text.contains("\n") else { return node.mark }
        let shift: Int
        switch style {
        case .plain: shift = 0
        case .singleQuoted where !text.contains("'"): shift = 1
        case .doubleQuoted where !text.contains("\"") && !text.contains("\\"): shift = 1
        default: return node.mark
        }
        return Mark(line: node.mark.line, column: node.mark.column + shift + offset)
    }
}
