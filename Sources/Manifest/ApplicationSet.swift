/// An application set (`kind: ApplicationSet` in `APPS_DIR`): generators list elements
/// (list entries, repository folders, branches, pull requests) and a template makes one
/// ordinary application of the set's namespace from each.
public struct ApplicationSet: Sendable, Hashable, Codable {
    public var name: String
    public var namespace: String
    /// `metadata.labels`: the set's own (a template's `labels` go to its applications).
    public var labels: [String: String] = [:]
    /// One or more; their elements are combined as a union.
    public var generators: [Generator]
    /// Seconds between two listings of the generators.
    public var interval: Int
    /// `limits.maxApplications`: at most this many applications; further elements are skipped.
    public var maxApplications: Int
    public var template: Template

    public static let kind = "ApplicationSet"
    public static let defaultInterval = 300
    public static let intervalRange = 1...(24 * 3600)
    public static let defaultMaxApplications = 50
    public static let maxApplicationsRange = 1...1000
    public static let maxGenerators = 10
    public static let maxListElements = 1000
    public static let maxLabels = 20

    /// A template parameter: what `{{...}}` names.
    public enum Parameter: String, Sendable, Hashable, Codable, CaseIterable, CodingKeyRepresentable, Comparable {
        case name
        case path
        case pathBasename = "path.basename"
        case branch
        case branchSlug = "branch.slug"
        case prNumber = "pr.number"
        case prHeadSHA = "pr.headSHA"
        case prBranch = "pr.branch"

        /// What a list element may set itself (the others are derived or come from a forge).
        public static let settable: [Parameter] = [.name, .path, .branch]

        /// The parameter another one is derived from.
        var derivedFrom: Parameter? {
            switch self {
            case .pathBasename: .path
            case .branchSlug: .branch
            default: nil
            }
        }

        public static func < (a: Self, b: Self) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    /// One thing a generator listed: the values of its parameters.
    public struct Element: Sendable, Hashable, Codable, CustomStringConvertible {
        /// Every parameter this element has a value for, derived ones included.
        public private(set) var values: [Parameter: String]

        /// From the values a generator gives (`name`, `path`, `branch`, `pr.*`);
        /// `path.basename` and `branch.slug` are derived here.
        public init(_ given: [Parameter: String]) {
            var values = given.filter { $0.key.derivedFrom == nil }
            if let path = values[.path] {
                values[.pathBasename] = path.split(separator: "/").last.map(String.init) ?? path
            }
            if let branch = values[.branch] { values[.branchSlug] = Slug.make(branch) }
            self.values = values
        }

        /// A `gitDirectories` folder (relative to the repository root; normalized here) on
        /// its branch.
        public static func directory(path: String, branch: String) -> Element {
            Element([.path: Rules.normalizeRelative(path) ?? path, .branch: branch])
        }

        /// A `gitBranches` branch.
        public static func branch(_ name: String) -> Element { Element([.branch: name]) }

        /// A `pullRequests` pull request: `branch` is its head branch (also `{{branch}}`).
        public static func pullRequest(number: Int, headSHA: String, branch: String) -> Element {
            Element([.prNumber: String(number), .prHeadSHA: headSHA, .prBranch: branch, .branch: branch])
        }

        public subscript(_ parameter: Parameter) -> String? { values[parameter] }

        /// The element with another `branch.slug` (one made unique among a listing's).
        func with(branchSlug: String) -> Element {
            var copy = self
            copy.values[.branchSlug] = branchSlug
            return copy
        }

        /// The element's given values, in parameter order: `{name: api, path: services/api}`.
        public var description: String {
            let given = values.keys.filter { $0.derivedFrom == nil }.sorted()
            return "{" + given.map { "\($0.rawValue): \(values[$0]!)" }.joined(separator: ", ") + "}"
        }

        /// What the element is, for hashing: its given values, one `key=value` a line.
        var identity: String {
            values.keys.filter { $0.derivedFrom == nil }.sorted().map { "\($0.rawValue)=\(values[$0]!)\n" }.joined()
        }
    }

    /// One entry of `spec.generators`.
    public enum Generator: Sendable, Hashable, Codable {
        /// Fixed elements written in the file.
        case list([Element])
        /// The folders of a branch whose path matches the pattern (and that hold a zerverless.yaml).
        case gitDirectories(GitDirectories)
        /// The branches of a repository whose name matches the pattern.
        case gitBranches(GitBranches)
        /// The open pull requests of a forge's repository (with every label listed, if any).
        case pullRequests(PullRequests)

        public struct GitDirectories: Sendable, Hashable, Codable {
            public var repoURL: RepositoryURL
            public var branch: String
            public var pattern: Glob
            public var auth: Registration.Auth?
        }

        public struct GitBranches: Sendable, Hashable, Codable {
            public var repoURL: RepositoryURL
            public var pattern: Glob
            public var auth: Registration.Auth?
        }

        public struct PullRequests: Sendable, Hashable, Codable {
            public var forge: Registration.Forge
            /// The forge's API base URL (`https://api.github.com`).
            public var apiURL: String
            /// `OWNER/REPO` (GitLab: the project's whole path).
            public var repo: String
            /// The forge token (secrets rule): lists pull requests, sets commit statuses.
            public var tokenFile: String
            /// Only pull requests carrying every one of these labels; empty: all.
            public var labels: [String]
        }

        /// The key it is written with.
        public var kind: String {
            switch self {
            case .list: "list"
            case .gitDirectories: "gitDirectories"
            case .gitBranches: "gitBranches"
            case .pullRequests: "pullRequests"
            }
        }

        /// The parameters its elements have (a list: those any of its elements has).
        public var parameters: Set<Parameter> {
            switch self {
            case .list(let elements): Set(elements.flatMap { $0.values.keys })
            case .gitDirectories: [.path, .pathBasename, .branch, .branchSlug]
            case .gitBranches: [.branch, .branchSlug]
            case .pullRequests: [.branch, .branchSlug, .prNumber, .prHeadSHA, .prBranch]
            }
        }
    }

    /// `spec.template`: what each element becomes. Only `name`, `source.branch`,
    /// `source.path` and `pathPrefix` take parameters.
    public struct Template: Sendable, Hashable, Codable {
        /// Rendered with every parameter's slug, then a DNS label (see `render`).
        public var name: TemplateString
        public var repoURL: RepositoryURL
        /// nil: the registration's default branch (main).
        public var branch: TemplateString?
        /// nil: the repository root.
        public var path: TemplateString?
        public var auth: Registration.Auth?
        /// Every function path and static file of the application goes under it.
        public var pathPrefix: TemplateString?
        public var pollInterval: Int?
        public var syncPolicy: Registration.SyncPolicy
        public var notify: [Registration.Notify]
        public var labels: [String: String]
    }

    /// The elements of the set's list generators, in order: what needs no listing.
    public var listElements: [Element] {
        generators.flatMap { generator -> [Element] in
            if case .list(let elements) = generator { return elements }
            return []
        }
    }

    /// Every secret file the set names, with its field: all must lead into `SECRETS_DIR/NAMESPACE/`.
    public var secretFiles: [(field: String, name: String)] {
        var out: [(String, String?)] = []
        for (i, generator) in generators.enumerated() {
            let place = "spec.generators[\(i)].\(generator.kind)"
            switch generator {
            case .list: break
            case .gitDirectories(let g): out += Self.authFiles(g.auth, "\(place).auth")
            case .gitBranches(let g): out += Self.authFiles(g.auth, "\(place).auth")
            case .pullRequests(let p): out.append(("\(place).tokenFile", p.tokenFile))
            }
        }
        out += Self.authFiles(template.auth, "spec.template.source.auth")
        for (i, entry) in template.notify.enumerated() {
            switch entry {
            case .webhook(let w): out.append(("spec.template.notify[\(i)].secretFile", w.secretFile))
            case .commitStatus(let c): out.append(("spec.template.notify[\(i)].tokenFile", c.tokenFile))
            }
        }
        return out.compactMap { field, name in name.map { (field, $0) } }
    }

    private static func authFiles(_ auth: Registration.Auth?, _ place: String) -> [(String, String?)] {
        [
            ("\(place).tokenFile", auth?.tokenFile), ("\(place).sshKeyFile", auth?.sshKeyFile),
            ("\(place).knownHostsFile", auth?.knownHostsFile), ("\(place).caFile", auth?.caFile),
        ]
    }
}
