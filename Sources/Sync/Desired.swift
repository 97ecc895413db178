import Foundation
import GitSource
import Manifest
import State
import Toolkit

/// From the manifest and the tree of the application's folder at a commit (blob ids, no
/// file reads): what should be deployed. Pure. Every path the manifest names, and every
/// symlink under them, must resolve inside the application's folder, judged from the git
/// tree (symlink blobs), never by following links on disk.
public enum DesiredBuilder {
    public static func build(
        manifest: AppManifest, namespace: String, commit: String, tree: [TreeEntry],
        limits: SyncLimits = SyncLimits(), pathPrefix: String? = nil
    ) -> Result<DesiredState, SyncErrors> {
        switch buildUnprefixed(manifest: manifest, namespace: namespace, commit: commit, tree: tree, limits: limits) {
        case .failure(let errors): return .failure(errors)
        case .success(let desired): return .success(desired.prefixed(pathPrefix))
        }
    }

    static func buildUnprefixed(
        manifest: AppManifest, namespace: String, commit: String, tree: [TreeEntry], limits: SyncLimits
    ) -> Result<DesiredState, SyncErrors> {
        var errors: [SyncError] = []
        let file = AppManifest.fileName
        if manifest.namespace != namespace {
            return .failure(
                SyncErrors([
                    SyncError(
                        .manifest,
                        "metadata.namespace is \"\(manifest.namespace)\" but the application is registered in namespace \"\(namespace)\"; nothing is deployed. Use the registration's namespace",
                        file: file)
                ]))
        }
        let index = TreeIndex(tree)
        var functions: [FunctionSpec] = []
        for f in manifest.functions {
            func fail(_ message: String) {
                errors.append(
                    SyncError(.manifest, "function \(f.path): \(message)", file: file, line: f.line, column: f.column))
            }
            switch f.code {
            case .inline(let text):
                functions.append(
                    FunctionSpec(
                        path: f.path, runtime: f.runtime, code: .inline(text),
                        codeID: GitHash.blobID(Array(text.utf8)), image: nil, port: nil, line: f.line,
                        codePlace: f.codePlace))
            case .file(let text):
                let path = RepoPath.escape(text: text)
                switch index.resolveFile(path) {
                case .failure(let problem): fail("codeFile \(problem)")
                case .success(let entry):
                    if entry.size > limits.codeFileBytes {
                        fail("codeFile \(path) is \(entry.size) bytes, over the limit of \(limits.codeFileBytes)")
                    } else {
                        functions.append(
                            FunctionSpec(
                                path: f.path, runtime: f.runtime, code: .blob(path: path, id: entry.id),
                                codeID: entry.id, image: nil, port: nil, line: f.line))
                    }
                }
            case .docker(let dockerfile, let context, let port):
                let df = index.resolveFile(RepoPath.escape(text: dockerfile))
                let ctx = index.resolveDirectory(RepoPath.escape(text: context))
                if case .failure(let problem) = df { fail("dockerfile \(problem)") }
                if case .failure(let problem) = ctx { fail("context \(problem)") }
                guard case .success(let dfEntry) = df, case .success(let contextDir) = ctx else { continue }
                // Every symlink in the build context must stay inside the application's folder.
                var contextLines: [String] = []
                var contextOK = true
                let contextBytes = index.entries(under: contextDir).reduce(0) { $0 + $1.size }
                if contextBytes > limits.buildContextBytes {
                    fail(
                        "context \(context) holds \(contextBytes) bytes, over the limit of \(limits.buildContextBytes) for a build context"
                    )
                    continue
                }
                for entry in index.entries(under: contextDir) {
                    if entry.kind == .symlink, case .failure(let problem) = index.resolve(entry.path) {
                        fail("context \(problem)")
                        contextOK = false
                    }
                    contextLines.append("\(entry.kind.rawValue) \(entry.id) \(entry.path)")
                }
                guard contextOK else { continue }
                let digest = GitHash.blobID(
                    Array((contextLines.joined(separator: "\n") + "\ndockerfile \(dfEntry.id) \(dfEntry.path)").utf8))
                let slug = f.path.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
                // The namespace is a component of its own: `a` + `/b-c` and `a-b` + `/c` never share an image.
                let name = "zerverless/\(namespace)/\(String(slug.drop { $0 == "-" }))".replacingOccurrences(
                    of: "--", with: "-")
                functions.append(
                    FunctionSpec(
                        path: f.path, runtime: .docker,
                        code: .docker(dockerfile: dfEntry.path, dockerfileID: dfEntry.id, context: contextDir),
                        codeID: digest, image: "\(name):\(digest.prefix(12))", port: port, line: f.line))
            }
        }
        var files: [String: StaticFileSpec] = [:]
        var warnings: [String] = []
        if let st = manifest.staticFiles {
            switch index.resolveDirectory(RepoPath.escape(text: st.dir)) {
            case .failure(let problem):
                errors.append(SyncError(.static, "static.dir \(problem)", file: file))
            case .success(let dir):
                var total = 0
                for entry in index.entries(under: dir) {
                    let rel = dir == "." ? entry.path : String(entry.path.dropFirst(dir.count + 1))
                    switch entry.kind {
                    case .submodule:
                        warnings.append("static file \(rel) is a submodule; submodules are not fetched")
                        continue
                    case .symlink:
                        switch index.resolve(entry.path) {
                        case .failure(let problem):
                            errors.append(SyncError(.static, "\(problem)", file: entry.path))
                            continue
                        case .success(.directory):
                            warnings.append("static file \(rel) is a symlink to a folder; not published")
                            continue
                        case .success(.file(let target)):
                            files[rel] = StaticFileSpec(id: target.id, size: target.size)
                        }
                    case .file, .executable:
                        files[rel] = StaticFileSpec(id: entry.id, size: entry.size)
                    }
                    let size = files[rel]?.size ?? 0
                    total += size
                    if size > limits.staticFileBytes {
                        errors.append(
                            SyncError(
                                .static,
                                "\(rel) is \(size) bytes, over the limit of \(limits.staticFileBytes) for one static file",
                                file: entry.path))
                    }
                }
                if files.count > limits.staticFiles {
                    errors.append(
                        SyncError(
                            .static, "static.dir has \(files.count) files, over the limit of \(limits.staticFiles)",
                            file: file))
                }
                if total > limits.staticTotalBytes {
                    errors.append(
                        SyncError(
                            .static, "static.dir holds \(total) bytes, over the limit of \(limits.staticTotalBytes)",
                            file: file))
                }
            }
        }
        if !errors.isEmpty { return .failure(SyncErrors(errors)) }
        return .success(
            DesiredState(
                namespace: namespace, commit: commit, functions: functions, files: files,
                staticDir: manifest.staticFiles?.dirAsWritten, warnings: warnings))
    }
}

extension DesiredBuilder {
    /// The paths whose change the tree-diff fast path cannot judge: code files, Dockerfiles
    /// and contexts, and where the symlinks under static.dir point.
    public static func referencedPaths(manifest: AppManifest, tree: [TreeEntry]) -> [String] {
        var paths: [String] = []
        let index = TreeIndex(tree)
        // A path as written and where it resolves to: a codeFile reached through a symlink
        // changes when its target does.
        func add(_ text: String) {
            let written = RepoPath.escape(text: text)
            paths.append(written)
            switch index.resolve(written) {
            case .success(.file(let entry)): paths.append(entry.path)
            case .success(.directory(let dir)): paths.append(dir)
            case .failure: break
            }
        }
        for f in manifest.functions {
            switch f.code {
            case .inline: break
            case .file(let p): add(p)
            case .docker(let dockerfile, let context, _):
                add(dockerfile)
                add(context)
            }
        }
        if let text = manifest.staticFiles?.dir {
            let dir = RepoPath.escape(text: text)
            for entry in index.entries(under: dir) where entry.kind == .symlink {
                paths.append(entry.path)
                if case .success(.file(let target)) = index.resolve(entry.path) { paths.append(target.path) }
            }
        }
        return Array(Set(paths)).sorted()
    }
}

extension DesiredState {
    /// An application set's `pathPrefix` (`/preview/feat-x`) applied: function `/api/hello`
    /// at `/preview/feat-x/api/hello`, static file `index.html` at
    /// `preview/feat-x/index.html` (Docker images are named after the prefixed path).
    func prefixed(_ prefix: String?) -> DesiredState {
        guard let prefix, !prefix.isEmpty else { return self }
        var out = self
        for i in out.functions.indices {
            out.functions[i].path = prefix + out.functions[i].path
            if let image = out.functions[i].image, let colon = image.lastIndex(of: ":") {
                let slug = String(prefix.dropFirst()).replacingOccurrences(of: "/", with: "-")
                let repo = image[..<colon]
                let rest = repo.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
                if rest.count == 3 {
                    out.functions[i].image = "\(rest[0])/\(rest[1])/\(slug)-\(rest[2])\(image[colon...])"
                }
            }
        }
        out.files = Dictionary(
            uniqueKeysWithValues: out.files.map { (DesiredBuilder.filePrefix(prefix) + $0.key, $0.value) })
        return out
    }
}

extension DesiredBuilder {
    /// `/preview/feat-x` -> `preview/feat-x/`; nil -> "".
    public static func filePrefix(_ pathPrefix: String?) -> String {
        guard let pathPrefix, pathPrefix.count > 1 else { return "" }
        return String(pathPrefix.dropFirst()) + "/"
    }
}

/// Several sync errors found at once (all reported, none applied).
public struct SyncErrors: Error, Sendable, Hashable {
    public var errors: [SyncError]
    public init(_ errors: [SyncError]) { self.errors = errors }
}

/// The tree of the application's folder, for lexical path and symlink resolution. Every
/// path here is in `RepoPath`'s escaped form, so lookups compare bytes.
struct TreeIndex {
    enum Resolved {
        case file(TreeEntry)
        case directory(String)
    }

    let byPath: [String: TreeEntry]
    let directories: Set<String>
    let sorted: [TreeEntry]

    init(_ entries: [TreeEntry]) {
        var byPath: [String: TreeEntry] = [:]
        var dirs: Set<String> = ["."]
        for e in entries {
            byPath[e.path] = e
            var parts = e.path.split(separator: "/").dropLast()
            while !parts.isEmpty {
                dirs.insert(parts.joined(separator: "/"))
                parts = parts.dropLast()
            }
        }
        self.byPath = byPath
        directories = dirs
        sorted = entries.sorted { $0.path < $1.path }
    }

    func entries(under dir: String) -> [TreeEntry] {
        if dir == "." { return sorted }
        let prefix = dir + "/"
        return sorted.filter { $0.path.hasPrefix(prefix) }
    }

    /// Follows symlinks component by component, lexically, within the folder.
    func resolve(_ path: String) -> Result<Resolved, ResolveProblem> {
        guard var current = Rules.normalizeRelative(path) else {
            return .failure(ResolveProblem("\(path) leaves the application's folder"))
        }
        let original = path
        for _ in 0..<40 {
            if current == "." { return .success(.directory(".")) }
            let parts = current.split(separator: "/").map(String.init)
            var prefix: [String] = []
            var restarted = false
            for (i, part) in parts.enumerated() {
                prefix.append(part)
                let sub = prefix.joined(separator: "/")
                if let entry = byPath[sub] {
                    if entry.kind == .symlink {
                        let target = entry.symlinkTarget ?? ""
                        if target.hasPrefix("/") {
                            return .failure(
                                ResolveProblem(
                                    "\(sub) is a symlink to \"\(target)\", an absolute path outside the application's folder"
                                ))
                        }
                        let base = prefix.dropLast().joined(separator: "/")
                        let rest = parts[(i + 1)...].joined(separator: "/")
                        let joined = [base, target, rest].filter { !$0.isEmpty }.joined(separator: "/")
                        guard let next = Rules.normalizeRelative(joined) else {
                            return .failure(
                                ResolveProblem(
                                    "\(sub) is a symlink to \"\(target)\", which leaves the application's folder"))
                        }
                        current = next
                        restarted = true
                        break
                    }
                    if i == parts.count - 1 {
                        if entry.kind == .submodule {
                            return .failure(ResolveProblem("\(original) is a submodule; submodules are not fetched"))
                        }
                        return .success(.file(entry))
                    }
                    return .failure(ResolveProblem("\(original): \(sub) is a file, not a folder"))
                } else if directories.contains(sub) {
                    continue
                } else {
                    return .failure(ResolveProblem("\(original) does not exist in the repository"))
                }
            }
            if !restarted { return .success(.directory(current)) }
        }
        return .failure(ResolveProblem("\(original): too many levels of symlinks"))
    }

    func resolveFile(_ path: String) -> Result<TreeEntry, ResolveProblem> {
        switch resolve(path) {
        case .success(.file(let e)): return .success(e)
        case .success(.directory): return .failure(ResolveProblem("\(path) is a folder, not a file"))
        case .failure(let p): return .failure(p)
        }
    }

    func resolveDirectory(_ path: String) -> Result<String, ResolveProblem> {
        switch resolve(path) {
        case .success(.directory(let d)): return .success(d)
        case .success(.file): return .failure(ResolveProblem("\(path) is a file, not a folder"))
        case .failure(let p): return .failure(p)
        }
    }
}

struct ResolveProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
