/// An application a set made from one element: an ordinary registration of the set's
/// namespace, and where it came from.
public struct GeneratedApplication: Sendable, Hashable, Codable {
    public var registration: Registration
    /// The set that made it (`generatedBy` in its status).
    public var setName: String
    public var element: ApplicationSet.Element
    /// Where its function paths and static files go (`/preview/feat-x`); nil: where the
    /// manifest says.
    public var pathPrefix: String?

    public init(registration: Registration, setName: String, element: ApplicationSet.Element, pathPrefix: String?) {
        self.registration = registration
        self.setName = setName
        self.element = element
        self.pathPrefix = pathPrefix
    }
}

/// Why one element makes no application: the template field and what is wrong with it
/// for this element.
public struct RenderProblem: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// `spec.template.name`, `spec.template.source.branch`... or `spec.limits.maxApplications`.
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

extension ApplicationSet {
    /// An element that made no application, and why (the set's `skipped`).
    public struct Skipped: Sendable, Hashable, Codable {
        public var element: Element
        public var problem: RenderProblem
    }

    /// What a listing of the generators makes.
    public struct Rendering: Sendable, Hashable, Codable {
        /// In the order of the elements; names unique.
        public var generated: [GeneratedApplication] = []
        public var skipped: [Skipped] = []
    }

    /// One element's application, alone: its name is not compared with the other
    /// elements' (`render(_:previous:)` does that).
    public func render(_ element: Element) -> Result<GeneratedApplication, RenderProblem> {
        renderOne(element).map(\.application)
    }

    /// Every element's application: an element listed twice counts once; names that
    /// collide are made unique; past `limits.maxApplications`, elements are skipped, the
    /// applications named in `previous` (what the set made before) kept first.
    ///
    /// Collisions: first `branch.slug` is made unique (`uniqueSlugs`). Then, among
    /// elements whose names still come out equal, the one element whose parameters in the
    /// name were their own slugs (`{{path}}` `api` rather than `API`) keeps the name, when
    /// there is exactly one; every other gets `-` and the short hash of its values. Two
    /// elements whose `pathPrefix` comes out equal would deploy to the same paths: the one
    /// with the smallest values (`Element.identity`) keeps it, the others are skipped.
    public func render(_ elements: [Element], previous: Set<String> = []) -> Rendering {
        var seen = Set<Element>()
        var out = Rendering()
        var made: [(application: GeneratedApplication, lossless: Bool)] = []
        for element in Self.uniqueSlugs(elements.filter { seen.insert($0).inserted }) {
            switch renderOne(element) {
            case .success(let one): made.append(one)
            case .failure(let problem): out.skipped.append(Skipped(element: element, problem: problem))
            }
        }
        var byName: [String: [Int]] = [:]
        for (i, one) in made.enumerated() { byName[one.application.registration.name, default: []].append(i) }
        for (name, group) in byName where group.count > 1 {
            let keeper = group.filter { made[$0].lossless }
            for i in group where keeper.count != 1 || keeper[0] != i {
                made[i].application.registration.name = Self.disambiguated(name, made[i].application.element)
            }
        }
        var prefixOwner: [String: Int] = [:]
        for (i, one) in made.enumerated() {
            guard let prefix = one.application.pathPrefix else { continue }
            if let j = prefixOwner[prefix], made[j].application.element.identity <= one.application.element.identity {
                continue
            }
            prefixOwner[prefix] = i
        }
        var kept: [GeneratedApplication] = []
        var taken: [String: Element] = [:]
        let prefixes = Set(made.compactMap(\.application.pathPrefix))
        for (i, one) in made.enumerated() {
            let app = one.application
            if let other = taken[app.registration.name] {
                out.skipped.append(
                    skip(app.element, "spec.template.name", "\"\(app.registration.name)\" is the name of \(other) too"))
                continue
            }
            if let prefix = app.pathPrefix, let owner = prefixOwner[prefix], owner != i {
                let other = made[owner].application.element
                out.skipped.append(
                    skip(app.element, "spec.template.pathPrefix", "\"\(prefix)\" is the prefix of \(other) too"))
                continue
            }
            // A prefix inside another's (`/preview/x/api` in `/preview/x`) would deploy into
            // it: the outer one keeps its place.
            if let prefix = app.pathPrefix, let outer = Self.ancestors(prefix).first(where: prefixes.contains) {
                out.skipped.append(
                    skip(
                        app.element, "spec.template.pathPrefix",
                        "\"\(prefix)\" is inside the prefix \"\(outer)\" of another element; they would deploy into each other"
                    ))
                continue
            }
            taken[app.registration.name] = app.element
            kept.append(app)
        }
        let first =
            kept.filter { previous.contains($0.registration.name) }
            + kept.filter { !previous.contains($0.registration.name) }
        let allowed = Set(first.prefix(maxApplications).map(\.registration.name))
        for app in kept {
            if allowed.contains(app.registration.name) {
                out.generated.append(app)
            } else {
                out.skipped.append(
                    skip(
                        app.element, "spec.limits.maxApplications",
                        "the set makes at most \(maxApplications) applications"))
            }
        }
        return out
    }

    /// Branches whose slugs come out equal (`feature/a`, `Feature/A`, `feature-a`): the one
    /// branch that is its own slug keeps it, every other gets `-` and the short hash of
    /// its branch name (cut to fit 40).
    static func uniqueSlugs(_ elements: [Element]) -> [Element] {
        var branches: [String: Set<String>] = [:]
        for e in elements {
            if let branch = e[.branch], let slug = e[.branchSlug] { branches[slug, default: []].insert(branch) }
        }
        return elements.map { e in
            guard let branch = e[.branch], let slug = e[.branchSlug], branch != slug,
                branches[slug, default: []].count > 1
            else { return e }
            return e.with(branchSlug: Slug.suffixed(slug, hashOf: branch, maxLength: Slug.maxLength))
        }
    }

    /// `/a/b/c` -> `/a/b`, `/a`.
    static func ancestors(_ prefix: String) -> [String] {
        var segments = prefix.split(separator: "/")
        var out: [String] = []
        while segments.count > 1 {
            segments.removeLast()
            out.append("/" + segments.joined(separator: "/"))
        }
        return out
    }

    private func skip(_ element: Element, _ field: String, _ message: String) -> Skipped {
        Skipped(element: element, problem: RenderProblem(field: field, message: message))
    }

    /// A colliding name with `-` and the short hash of the element's values, cut to fit 63.
    static func disambiguated(_ name: String, _ element: Element) -> String {
        Slug.suffixed(name, hashOf: element.identity, maxLength: 63)
    }

    /// The application and whether its name is lossless (every parameter in it was its own slug).
    private func renderOne(_ element: Element) -> Result<
        (application: GeneratedApplication, lossless: Bool), RenderProblem
    > {
        func field(_ template: TemplateString?, _ path: String, _ transform: (String) -> String = { $0 })
            throws(RenderProblem) -> String?
        {
            guard let template else { return nil }
            switch template.render({ element[$0].map(transform) }) {
            case .success(let text): return text
            case .failure(let missing):
                let has = element.values.keys.sorted().map(\.rawValue).joined(separator: ", ")
                throw RenderProblem(
                    field: "spec.template.\(path)",
                    message: "{{\(missing.parameter.rawValue)}} has no value for this element (it has \(has))")
            }
        }
        func check(_ value: String?, _ path: String, _ rule: (String) -> String?) throws(RenderProblem) {
            if let problem = value.flatMap(rule) {
                throw RenderProblem(field: "spec.template.\(path)", message: problem)
            }
        }
        do throws(RenderProblem) {
            var name = try field(template.name, "name", Slug.make) ?? ""
            if name.count > 63 { name = Slug.suffixed(name, hashOf: name, maxLength: 63) }
            let lossless = template.name.parameters.allSatisfy { element[$0].map { Slug.make($0) == $0 } ?? false }
            let branch = try field(template.branch, "source.branch")
            let folder = try field(template.path, "source.path")
            let prefix = try field(template.pathPrefix, "pathPrefix")
            try check(name, "name", Rules.dnsLabelProblem)
            try check(branch, "source.branch", Rules.branchProblem)
            try check(folder, "source.path", Rules.repoRelativePathProblem)
            try check(prefix, "pathPrefix", Rules.pathPrefixProblem)
            let source = Registration.Source(
                repoURL: template.repoURL, ref: .branch(branch ?? Registration.defaultBranch), verify: nil,
                path: folder.flatMap(Rules.normalizeRelative) ?? ".", auth: template.auth, webhookSecretFile: nil)
            var registration = Registration(
                form: .application, name: name, namespace: namespace, source: source,
                pollInterval: template.pollInterval, syncPolicy: template.syncPolicy, notify: template.notify,
                labels: template.labels)
            registration.generatedBy = self.name
            registration.pathPrefix = prefix
            let application = GeneratedApplication(
                registration: registration, setName: self.name, element: element, pathPrefix: prefix)
            return .success((application, lossless))
        } catch {
            return .failure(error)
        }
    }
}

extension ApplicationSet {
    /// What a generator reaches its repository as: a registration of the set's namespace
    /// with the generator's URL, branch and credentials (for the credential and secrets
    /// rules an application's source follows).
    public func sourceRegistration(repoURL: RepositoryURL, branch: String, auth: Registration.Auth?) -> Registration {
        Registration(
            form: .application, name: name, namespace: namespace,
            source: Registration.Source(
                repoURL: repoURL, ref: .branch(branch), verify: nil, path: ".", auth: auth, webhookSecretFile: nil),
            pollInterval: nil, syncPolicy: Registration.SyncPolicy(), notify: [], labels: [:])
    }
}

extension Registration {
    /// A pull-request preview (an application set's, with the commit status its
    /// generator's forge gets).
    public var isPreview: Bool {
        generatedBy != nil && notify.contains { if case .commitStatus(let c) = $0 { c.project != nil } else { false } }
    }
}
