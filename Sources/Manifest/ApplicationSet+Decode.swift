import YAML

/// Decoding and validation of an application set file; every problem is a diagnostic.
extension ApplicationSet {
    static let topKeys = ["apiVersion", "kind", "metadata", "spec"]
    static let specKeys = ["generators", "interval", "limits", "template"]
    static let limitsKeys = ["maxApplications"]
    static let generatorKinds = ["list", "gitDirectories", "gitBranches", "pullRequests"]
    static let directoriesKeys = ["repoURL", "branch", "pattern", "auth"]
    static let branchesKeys = ["repoURL", "pattern", "auth"]
    static let pullRequestKeys = ["forge", "apiURL", "repo", "tokenFile", "labels"]

    static func decode(_ root: Node, reader r: FieldReader) -> ApplicationSet? {
        guard root.pairs != nil else {
            r.error(
                root.mark, nil,
                "expected a mapping (apiVersion, kind, metadata, spec) at the top of the file, found \(r.describe(root))"
            )
            return nil
        }
        guard let top = r.fields(root, "", allowed: topKeys, required: topKeys, at: root.mark) else { return nil }
        if let v = top["apiVersion"], let text = r.string(v, "apiVersion"), text != Registration.apiVersion {
            r.error(v.mark, "apiVersion", "unsupported apiVersion \"\(text)\"; expected \"\(Registration.apiVersion)\"")
        }
        if let k = top["kind"], let text = r.string(k, "kind"), text != kind {
            r.error(k.mark, "kind", "unsupported kind \"\(text)\"; expected \"\(kind)\"")
        }
        var name: String?
        var namespace: String?
        var labels: [String: String] = [:]
        if let meta = top["metadata"],
            let m = r.fields(
                meta, "metadata", allowed: Registration.metadataKeys, required: ["name", "namespace"],
                at: top.keyMark("metadata")!)
        {
            name = m["name"].flatMap { Registration.dnsLabel($0, m.path("name"), r) }
            namespace = m["namespace"].flatMap { Registration.dnsLabel($0, m.path("namespace"), r) }
            labels = Registration.decodeLabels(m, r)
            Registration.checkStringMap(m, "annotations", r)
        }
        guard let specNode = top["spec"],
            let spec = r.fields(
                specNode, "spec", allowed: specKeys, required: ["generators", "template"], at: top.keyMark("spec")!)
        else { return nil }
        let generators = spec["generators"].flatMap { decodeGenerators($0, spec.path("generators"), r) }
        let interval = decodeInterval(spec, r)
        var maxApplications = defaultMaxApplications
        if let node = spec["limits"], !node.isNull,
            let l = r.fields(node, spec.path("limits"), allowed: limitsKeys, at: spec.keyMark("limits")!),
            let n = l["maxApplications"],
            let v = r.integer(n, l.path("maxApplications"), range: maxApplicationsRange)
        {
            maxApplications = v
        }
        let available = generators.map { Set($0.flatMap(\.parameters)) }
        let template = spec["template"].flatMap {
            decodeTemplate(
                $0, spec.path("template"), at: spec.keyMark("template")!, namespace: namespace, available: available, r)
        }
        guard let name, let namespace, let generators, let interval, let template else { return nil }
        return ApplicationSet(
            name: name, namespace: namespace, labels: labels, generators: generators, interval: interval,
            maxApplications: maxApplications, template: template)
    }

    /// `interval`: a duration from 1m to 24h, default 5m.
    private static func decodeInterval(_ spec: Fields, _ r: FieldReader) -> Int? {
        guard let node = spec["interval"] else { return defaultInterval }
        guard let text = r.string(node, spec.path("interval")) else { return nil }
        guard let seconds = Rules.parseDuration(text) else {
            r.error(
                node.mark, spec.path("interval"), "\"\(text)\" is not a duration; write it like 90s, 5m, 1h or 1h30m")
            return nil
        }
        guard intervalRange.contains(seconds) else {
            r.error(
                node.mark, spec.path("interval"),
                "\(text) is out of range; expected 1s to 24h (the daemon raises it to its --set-min-interval, 1m by default)"
            )
            return nil
        }
        return seconds
    }

    /// `spec.generators`; nil when any of them is wrong (then the template's parameters
    /// are not compared with what the generators give).
    private static func decodeGenerators(_ node: Node, _ path: String, _ r: FieldReader) -> [Generator]? {
        guard let items = r.list(node, path) else { return nil }
        if items.isEmpty {
            r.error(node.mark, path, "needs at least one generator (list, gitDirectories, gitBranches or pullRequests)")
            return nil
        }
        if items.count > maxGenerators {
            r.error(node.mark, path, "at most \(maxGenerators) generators (this list has \(items.count))")
            return nil
        }
        var out: [Generator] = []
        var complete = true
        for (i, item) in items.enumerated() {
            let itemPath = "\(path)[\(i)]"
            guard let f = r.fields(item, itemPath, allowed: generatorKinds, at: item.mark) else {
                complete = false
                continue
            }
            let given = generatorKinds.filter { f[$0] != nil }
            guard given.count == 1 else {
                if given.isEmpty, item.pairs?.isEmpty == true {
                    r.error(
                        item.mark, itemPath,
                        "give one of \(generatorKinds.joined(separator: ", ")) (this entry is empty)")
                } else if given.count > 1 {
                    r.error(
                        f.keyMark(given[1])!, f.path(given[1]),
                        "give exactly one generator per entry (this entry has \(given.joined(separator: " and "))); write each as its own entry"
                    )
                }
                complete = false
                continue
            }
            let kind = given[0]
            let generator: Generator?
            switch kind {
            case "list": generator = decodeList(f[kind]!, f.path(kind), at: f.keyMark(kind)!, r)
            case "gitDirectories": generator = decodeDirectories(f[kind]!, f.path(kind), at: f.keyMark(kind)!, r)
            case "gitBranches": generator = decodeBranches(f[kind]!, f.path(kind), at: f.keyMark(kind)!, r)
            default: generator = decodePullRequests(f[kind]!, f.path(kind), at: f.keyMark(kind)!, r)
            }
            if let generator { out.append(generator) } else { complete = false }
        }
        return complete ? out : nil
    }

    static let elementHints: [String: String] = {
        var hints: [String: String] = [:]
        for p in Parameter.allCases where !Parameter.settable.contains(p) {
            let source = p.derivedFrom.map { "is derived from \($0.rawValue)" } ?? "comes from a pullRequests generator"
            hints[p.rawValue] = "\(source); a list element sets name, path and branch"
        }
        return hints
    }()

    private static func decodeList(_ node: Node, _ path: String, at anchor: Mark, _ r: FieldReader) -> Generator? {
        guard let f = r.fields(node, path, allowed: ["elements"], required: ["elements"], at: anchor),
            let listNode = f["elements"], let items = r.list(listNode, f.path("elements"))
        else { return nil }
        if items.isEmpty {
            r.error(listNode.mark, f.path("elements"), "has no elements; write at least one, such as {name: api}")
            return nil
        }
        if items.count > maxListElements {
            r.error(
                listNode.mark, f.path("elements"), "at most \(maxListElements) elements (this list has \(items.count))")
            return nil
        }
        var elements: [Element] = []
        var complete = true
        for (j, item) in items.enumerated() {
            let itemPath = "\(f.path("elements"))[\(j)]"
            let allowed = Parameter.settable.map(\.rawValue)
            guard let e = r.fields(item, itemPath, allowed: allowed, inlineSecrets: elementHints, at: item.mark) else {
                complete = false
                continue
            }
            var values: [Parameter: String] = [:]
            for p in Parameter.settable {
                guard let n = e[p.rawValue] else { continue }
                guard let text = r.string(n, e.path(p.rawValue)) else {
                    complete = false
                    continue
                }
                let problem: String? =
                    switch p {
                    case .path: Rules.repoRelativePathProblem(text)
                    case .branch: Rules.branchProblem(text)
                    default: nil
                    }
                if let problem {
                    r.error(n.mark, e.path(p.rawValue), problem)
                    complete = false
                } else {
                    values[p] = p == .path ? Rules.normalizeRelative(text) ?? text : text
                }
            }
            if item.pairs?.isEmpty == true {
                r.error(item.mark, itemPath, "an element sets at least one of name, path and branch")
                complete = false
            }
            elements.append(Element(values))
        }
        return complete ? .list(elements) : nil
    }
}
