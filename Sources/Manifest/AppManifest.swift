import YAML

/// The application manifest, `zerverless.yaml` in the repository.
public struct AppManifest: Sendable, Hashable, Codable {
    public enum Runtime: String, Sendable, Hashable, Codable, CaseIterable {
        case lua, python, js, docker
    }

    public enum Code: Sendable, Hashable, Codable {
        /// Inline `code`.
        case inline(String)
        /// `codeFile`, normalized, relative to the application's folder.
        case file(String)
        /// `dockerfile` and `context` (normalized, relative to the application's folder) and `port`.
        case docker(dockerfile: String, context: String, port: Int)
    }

    public struct Function: Sendable, Hashable, Codable {
        public var path: String
        public var runtime: Runtime
        public var code: Code
        /// Where the function's entry starts in zerverless.yaml (for status errors).
        public var line: Int
        public var column: Int
        /// Where inline code is in zerverless.yaml (for the line of a syntax error).
        public var codePlace: CodePlace? = nil
        /// `health`: the request that says the function works (none: not checked).
        public var health: FunctionHealth? = nil
    }

    /// Where inline code starts in zerverless.yaml. In a block scalar (`code: |`) each line
    /// of the code is a line of the file, from the one after the indicator; a quoted or
    /// plain scalar is one line of the file whatever it holds.
    public struct CodePlace: Sendable, Hashable, Codable {
        public var line: Int
        public var block: Bool

        public init(line: Int, block: Bool) {
            self.line = line
            self.block = block
        }

        /// The line of zerverless.yaml that holds the code's line `codeLine` (1-based).
        public func fileLine(ofCodeLine codeLine: Int) -> Int { block ? line + max(codeLine, 1) - 1 : line }
    }

    public struct Static: Sendable, Hashable, Codable {
        /// As written (`./static`), for the status document.
        public var dirAsWritten: String
        /// Normalized, relative to the application's folder (`static`, or `.`).
        public var dir: String
        /// `health`: files of the tree that must answer 200 (normalized, relative to it).
        public var health: [String]? = nil
    }

    public var name: String
    public var namespace: String
    public var functions: [Function]
    public var staticFiles: Static?
    /// `spec.health`: when checks run after a deploy (nil: the defaults).
    public var health: HealthPolicy? = nil

    /// Whether anything is checked (a function's `health` or `spec.static.health`).
    public var hasHealthChecks: Bool {
        functions.contains { $0.health != nil } || !(staticFiles?.health ?? []).isEmpty
    }

    public static let fileName = "zerverless.yaml"
}

extension AppManifest {
    static let rootKeys = ["apiVersion", "kind", "metadata", "spec"]
    static let specKeys = ["source", "functions", "static", "health"]
    static let sourceKeys = ["repoURL", "branch", "path"]
    static let functionKeys = ["path", "runtime", "code", "codeFile", "dockerfile", "context", "port", "health"]
    static let staticKeys = ["dir", "health"]
    static let runtimeAliases = [
        "javascript": "js", "node": "js", "nodejs": "js", "py": "python", "python3": "python", "luajit": "lua",
    ]

    static func decode(_ root: Node, reader r: FieldReader) -> AppManifest? {
        guard
            let top = r.fields(
                root, "", allowed: rootKeys, required: ["apiVersion", "kind", "metadata", "spec"], at: root.mark)
        else { return nil }
        Registration.checkHeader(top, r)
        var name: String?
        var namespace: String?
        if let meta = top["metadata"],
            let m = r.fields(
                meta, "metadata", allowed: Registration.metadataKeys, required: ["name", "namespace"],
                at: top.keyMark("metadata")!)
        {
            name = m["name"].flatMap { Registration.dnsLabel($0, m.path("name"), r) }
            namespace = m["namespace"].flatMap { Registration.dnsLabel($0, m.path("namespace"), r) }
            Registration.checkStringMap(m, "labels", r)
            Registration.checkStringMap(m, "annotations", r)
        }
        var functions: [Function] = []
        var staticFiles: Static?
        var health: HealthPolicy?
        var specOK = false
        if let specNode = top["spec"],
            let spec = r.fields(specNode, "spec", allowed: specKeys, at: top.keyMark("spec")!)
        {
            specOK = true
            if let src = spec["source"], !src.isNull,
                let s = r.fields(src, "spec.source", allowed: sourceKeys, at: spec.keyMark("source")!)
            {
                for key in sourceKeys { if let n = s[key] { _ = r.string(n, s.path(key)) } }
            }
            if let list = spec["functions"], let items = r.list(list, "spec.functions") {
                var seen: [String: (index: Int, line: Int)] = [:]
                for (i, item) in items.enumerated() {
                    // Uniqueness is judged on the path as written, even when the entry has
                    // other problems, so that every diagnostic comes out at once.
                    if let pathNode = item["path"], let text = pathNode.scalar, !text.isEmpty {
                        if let first = seen[text] {
                            r.error(
                                pathNode.mark, "spec.functions[\(i)].path",
                                "\"\(text)\" is already used by spec.functions[\(first.index)] (line \(first.line)); each path may appear once"
                            )
                            _ = decodeFunction(item, "spec.functions[\(i)]", r)
                            continue
                        }
                        seen[text] = (i, item.mark.line)
                    }
                    if let f = decodeFunction(item, "spec.functions[\(i)]", r) { functions.append(f) }
                }
            }
            if let st = spec["static"], !st.isNull,
                let s = r.fields(
                    st, "spec.static", allowed: staticKeys, required: ["dir"], at: spec.keyMark("static")!),
                let n = s["dir"], let dir = r.string(n, "spec.static.dir")
            {
                let files = s["health"].flatMap { decodeStaticHealth($0, "spec.static.health", r) }
                if let problem = Rules.repoRelativePathProblem(dir) {
                    r.error(n.mark, "spec.static.dir", problem)
                } else {
                    staticFiles = Static(
                        dirAsWritten: dir, dir: Rules.normalizeRelative(dir) ?? ".",
                        health: files?.isEmpty == false ? files : nil)
                }
            }
            if let n = spec["health"], !n.isNull {
                health = decodeHealthPolicy(n, "spec.health", at: spec.keyMark("health")!, r)
            }
        }
        let checks = functions.count { $0.health != nil } + (staticFiles?.health?.count ?? 0)
        if checks > maxHealthChecks, let spec = top["spec"] {
            r.error(
                spec.mark, "spec",
                "declares \(checks) health checks (functions' and static files' together); at most \(maxHealthChecks)")
        }
        guard let name, let namespace, specOK else { return nil }
        return AppManifest(
            name: name, namespace: namespace, functions: functions, staticFiles: staticFiles, health: health)
    }

    private static func decodeFunction(_ node: Node, _ path: String, _ r: FieldReader) -> Function? {
        guard let f = r.fields(node, path, allowed: functionKeys, required: ["path", "runtime"], at: node.mark) else {
            return nil
        }
        var fpath: String?
        if let n = f["path"], let text = r.string(n, f.path("path")) {
            if let problem = Rules.functionPathProblem(text) {
                r.error(n.mark, f.path("path"), problem)
            } else {
                fpath = text
            }
        }
        var runtime: Runtime?
        if let n = f["runtime"], let text = r.string(n, f.path("runtime")) {
            if let rt = Runtime(rawValue: text) {
                runtime = rt
            } else {
                let all = Runtime.allCases.map(\.rawValue).joined(separator: ", ")
                if let alias = runtimeAliases[text.lowercased()]
                    ?? Suggest.nearest(text, in: Runtime.allCases.map(\.rawValue))
                {
                    r.error(
                        n.mark, f.path("runtime"),
                        "unknown runtime \"\(text)\"; did you mean \"\(alias)\"? expected one of \(all)")
                } else {
                    r.error(n.mark, f.path("runtime"), "unknown runtime \"\(text)\"; expected one of \(all)")
                }
            }
        }
        guard let runtime else {
            // Still check the rest for more diagnostics, without runtime-specific rules.
            for key in ["codeFile", "dockerfile", "context"] { _ = relativePath(f, key, r) }
            if let n = f["health"], !n.isNull {
                _ = decodeFunctionHealth(n, f.path("health"), at: f.keyMark("health")!, r)
            }
            return nil
        }
        let code: Code?
        var codePlace: CodePlace?
        if runtime == .docker {
            for key in ["code", "codeFile"] {
                if let m = f.keyMark(key) {
                    r.error(
                        m, f.path(key),
                        "a docker function is built from its dockerfile; code and codeFile are for lua, python and js")
                }
            }
            var port = 80
            if let n = f["port"] { port = r.integer(n, f.path("port"), range: 1...65535) ?? 80 }
            if f["dockerfile"] == nil {
                r.error(node.mark, path, "missing required field \"dockerfile\" (a docker function is built from it)")
                code = nil
            } else {
                // Check both paths, so that both problems are reported at once.
                let dockerfile = relativePath(f, "dockerfile", r)
                let explicitContext = f["context"] == nil ? nil : relativePath(f, "context", r)
                if let dockerfile, f["context"] == nil || explicitContext != nil {
                    let context = explicitContext ?? dockerfile.split(separator: "/").dropLast().joined(separator: "/")
                    code = .docker(dockerfile: dockerfile, context: context.isEmpty ? "." : context, port: port)
                } else {
                    code = nil
                }
            }
        } else {
            for key in ["dockerfile", "context", "port"] {
                if let m = f.keyMark(key) {
                    r.error(
                        m, f.path(key), "is only for runtime docker; this function's runtime is \(runtime.rawValue)")
                }
            }
            switch (f["code"], f["codeFile"]) {
            case (nil, nil):
                r.error(node.mark, path, "needs its code: set code (inline) or codeFile (a file in the repository)")
                code = nil
            case (.some, .some):
                r.error(f.keyMark("codeFile")!, f.path("codeFile"), "set code or codeFile, not both")
                code = nil
            case (.some(let n), nil):
                if case .scalar(let text, let style) = n.content, !n.isNull, !text.allSatisfy(\.isWhitespace) {
                    code = .inline(text)
                    let block = style == .literal || style == .folded
                    codePlace = CodePlace(line: block ? n.mark.line + 1 : n.mark.line, block: block)
                } else if n.scalar != nil {
                    r.error(n.mark, f.path("code"), "must not be empty")
                    code = nil
                } else {
                    r.error(
                        n.mark, f.path("code"),
                        "expected the code as a string (use `code: |` for several lines), found \(r.describe(n))")
                    code = nil
                }
            case (nil, .some):
                code = relativePath(f, "codeFile", r).map { .file($0) }
            }
        }
        let health = f["health"].flatMap { n in
            n.isNull ? nil : decodeFunctionHealth(n, f.path("health"), at: f.keyMark("health")!, r)
        }
        guard let fpath, let code else { return nil }
        return Function(
            path: fpath, runtime: runtime, code: code, line: node.mark.line, column: node.mark.column,
            codePlace: codePlace, health: health)
    }

    private static func relativePath(_ f: Fields, _ key: String, _ r: FieldReader) -> String? {
        guard let n = f[key], let text = r.string(n, f.path(key)) else { return nil }
        if let problem = Rules.repoRelativePathProblem(text) {
            r.error(n.mark, f.path(key), problem)
            return nil
        }
        return Rules.normalizeRelative(text)
    }
}
