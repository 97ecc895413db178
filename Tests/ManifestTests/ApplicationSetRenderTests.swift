import Manifest
import Testing

/// A set of namespace `alice` from the spec's text (indented as under `spec:`).
private func decodeSet(_ spec: String) throws -> ApplicationSet {
    try Validator.applicationSet(Array(set(spec).utf8), file: "apps.d/t.yaml").get()
}

private let branches = """
    generators: [{gitBranches: {repoURL: "https://h/o/r", pattern: "**"}}]
    """

private let previews = try! decodeSet(
    branches + """

        template:
          name: "r-{{branch.slug}}"
          source: {repoURL: "https://h/o/r", branch: "{{branch}}", path: deploy/./x/}
          pathPrefix: /p/{{branch.slug}}
        """)

@Test func theContractExampleRendersWhatEachElementGives() throws {
    let s = try Validator.applicationSet(Array(contractApplicationSet.utf8), file: "f").get()
    #expect(s.name == "shop-previews" && s.namespace == "alice")
    #expect(s.interval == 300 && s.maxApplications == 20 && s.generators.count == 4)
    #expect(s.secretFiles.map(\.field) == ["spec.generators[3].pullRequests.tokenFile"])
    let elements =
        s.listElements + [
            .directory(path: "services/cart", branch: "main"), .branch("feature/x"),
            .pullRequest(number: 12, headSHA: String(repeating: "a", count: 40), branch: "fix/y"),
        ]
    let r = s.render(elements)
    // The template uses {{branch.slug}} and {{path}}: list elements give no branch,
    // branches and pull requests no path.
    #expect(
        r.skipped.map(\.problem.description) == [
            "spec.template.name: {{branch.slug}} has no value for this element (it has name, path, path.basename)",
            "spec.template.name: {{branch.slug}} has no value for this element (it has name, path, path.basename)",
            "spec.template.source.path: {{path}} has no value for this element (it has branch, branch.slug)",
            "spec.template.source.path: {{path}} has no value for this element (it has branch, branch.slug, pr.number, pr.headSHA, pr.branch)",
        ])
    #expect(r.skipped.map(\.element.description).first == "{name: api, path: services/api}")
    let app = try #require(r.generated.first)
    #expect(r.generated.count == 1)
    #expect(app.setName == "shop-previews" && app.pathPrefix == "/preview/main")
    #expect(app.registration.name == "shop-main" && app.registration.namespace == "alice")
    #expect(app.registration.source.ref == .branch("main") && app.registration.source.path == "services/cart")
    #expect(app.registration.source.repoURL.raw == "https://git.example.com/alice/shop")
    #expect(app.element == .directory(path: "services/cart", branch: "main"))
}

@Test func aRenderedApplicationIsTheRegistrationItsFileWouldBe() throws {
    let s = try decodeSet(
        """
        generators:
          - pullRequests: {forge: github, apiURL: "https://api.github.com", repo: alice/shop, tokenFile: gh.token}
        template:
          name: shop-pr-{{pr.number}}
          labels: {preview: "true"}
          source:
            repoURL: https://github.com/alice/shop
            branch: "{{pr.branch}}"
            path: deploy
            auth: {tokenFile: gh.token}
          pathPrefix: /preview/pr-{{pr.number}}
          pollInterval: 2m
          syncPolicy: {prune: false, selfHeal: correct}
          notify: [{commitStatus: github, apiURL: "https://api.github.com", tokenFile: gh.token}]
        """)
    let app = try s.render(.pullRequest(number: 7, headSHA: String(repeating: "b", count: 40), branch: "fix/login"))
        .get()
    #expect(app.pathPrefix == "/preview/pr-7")
    let file = """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata: {name: shop-pr-7, namespace: alice, labels: {preview: "true"}}
        spec:
          source: {repoURL: "https://github.com/alice/shop", branch: fix/login, path: deploy, auth: {tokenFile: gh.token}}
          pollInterval: 2m
          syncPolicy: {prune: false, selfHeal: correct}
          notify: [{commitStatus: github, apiURL: "https://api.github.com", tokenFile: gh.token}]
        """
    var made = app.registration
    #expect(made.generatedBy == s.name && made.pathPrefix == "/preview/pr-7")
    (made.generatedBy, made.pathPrefix) = (nil, nil)
    #expect(try Validator.registration(Array(file.utf8), file: "f").get() == made)
    #expect(
        s.secretFiles.map(\.field) == [
            "spec.generators[0].pullRequests.tokenFile", "spec.template.source.auth.tokenFile",
            "spec.template.notify[0].tokenFile",
        ])
}

@Test func namesAreSlugsOfTheParameters() throws {
    let app = try previews.render(.branch("Feature/JIRA-123_Fix")).get()
    #expect(app.registration.name == "r-feature-jira-123-fix")
    #expect(app.registration.source.ref == .branch("Feature/JIRA-123_Fix"))
    #expect(app.registration.source.path == "deploy/x")
    #expect(app.pathPrefix == "/p/feature-jira-123-fix")
}

@Test func aLongBranchIsCutWithItsHash() throws {
    let branch = "feature/" + String(repeating: "very-long-", count: 6) + "name"
    let slug = Slug.make(branch)
    // Cut to 33, without the '-' that ended the cut, then '-' and the hash.
    #expect(slug == "feature-very-long-very-long-very-" + Slug.shortHash(branch) && slug.count == 39)
    let app = try previews.render(.branch(branch)).get()
    #expect(app.registration.name == "r-" + slug)
    // A long fixed text: the whole name is cut to 63 with the hash of the name.
    let long = try decodeSet(
        branches + """

            template: {name: "a-fixed-text-that-takes-some-room-{{branch.slug}}", source: {repoURL: "https://h/o/r"}}
            """)
    let name = try long.render(.branch(branch)).get().registration.name
    #expect(name.count == 63 && Rules.dnsLabelProblem(name) == nil)
    #expect(
        name == "a-fixed-text-that-takes-some-room-feature-very-long-very-"
            + Slug.shortHash("a-fixed-text-that-takes-some-room-" + slug))
}

@Test func branchesWhoseSlugsCollideGetHashes() throws {
    let elements: [ApplicationSet.Element] = [.branch("feature/a"), .branch("feature-a"), .branch("Feature/A")]
    for order in [elements, elements.reversed()] {
        let r = previews.render(order)
        #expect(r.skipped.isEmpty)
        let names = Dictionary(uniqueKeysWithValues: r.generated.map { ($0.element[.branch]!, $0.registration.name) })
        #expect(
            names == ["feature-a": "r-feature-a", "feature/a": "r-feature-a-951d42", "Feature/A": "r-feature-a-5914af"])
        let prefixes = Set(r.generated.compactMap(\.pathPrefix))
        #expect(prefixes == ["/p/feature-a", "/p/feature-a-951d42", "/p/feature-a-5914af"])
    }
}

@Test func namesThatCollideOtherwiseGetTheHashOfTheElement() throws {
    let dirs = try decodeSet(
        """
        generators: [{gitDirectories: {repoURL: "https://h/o/r", pattern: "*/api"}}]
        template: {name: "{{path.basename}}", source: {repoURL: "https://h/o/r", path: "{{path}}"}}
        """)
    let r = dirs.render([.directory(path: "a/api", branch: "main"), .directory(path: "b/api", branch: "main")])
    #expect(r.generated.map(\.registration.name) == ["api-bd2a95", "api-33280a"])
    // One element whose value is its own slug keeps the name.
    let list = try decodeSet(
        """
        generators: [{list: {elements: [{name: api}, {name: API}, {name: api}]}}]
        template: {name: "svc-{{name}}", source: {repoURL: "https://h/o/r"}}
        """)
    #expect(list.render(list.listElements).generated.map(\.registration.name) == ["svc-api", "svc-api-813486"])
}

@Test func equalPrefixesKeepOneElement() throws {
    let dirs = try decodeSet(
        """
        generators: [{gitDirectories: {repoURL: "https://h/o/r", pattern: "services/*"}}]
        template:
          name: "{{path.basename}}"
          source: {repoURL: "https://h/o/r", path: "{{path}}"}
          pathPrefix: /preview/{{branch.slug}}
        """)
    let r = dirs.render([
        .directory(path: "services/web", branch: "main"), .directory(path: "services/api", branch: "main"),
    ])
    #expect(r.generated.map(\.registration.name) == ["api"])
    #expect(
        r.skipped.map(\.problem.description) == [
            "spec.template.pathPrefix: \"/preview/main\" is the prefix of {path: services/api, branch: main} too"
        ])
}

@Test func theLimitKeepsWhatTheSetMadeBefore() throws {
    var s = previews
    s.maxApplications = 2
    let elements: [ApplicationSet.Element] = [.branch("a"), .branch("b"), .branch("c"), .branch("a")]
    let first = s.render(elements)
    #expect(first.generated.map(\.registration.name) == ["r-a", "r-b"])
    #expect(
        first.skipped.map(\.problem.description) == [
            "spec.limits.maxApplications: the set makes at most 2 applications"
        ])
    let again = s.render(elements, previous: ["r-c", "r-b"])
    #expect(again.generated.map(\.registration.name) == ["r-b", "r-c"])
    #expect(again.skipped.map(\.element) == [.branch("a")])
}

@Test func valuesThatBreakARuleSkipTheirElement() throws {
    let raw = try decodeSet(
        branches + """

            template:
              name: "r-{{branch.slug}}"
              source: {repoURL: "https://h/o/r", branch: "{{branch}}", path: "{{branch}}"}
              pathPrefix: /p/{{branch}}
            """)
    let problems = [ApplicationSet.Element.branch("Feature/X"), .branch("a..b"), .branch("日本")].map {
        raw.render($0).map(\.registration.name)
    }
    #expect(
        problems == [
            .failure(
                RenderProblem(
                    field: "spec.template.pathPrefix",
                    message:
                        "\"/p/Feature/X\" has the segment \"Feature\"; each segment is a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63)"
                )),
            .failure(
                RenderProblem(field: "spec.template.source.branch", message: "\"a..b\" is not a valid branch name")),
            .failure(
                RenderProblem(
                    field: "spec.template.pathPrefix",
                    message:
                        "\"/p/日本\" has the segment \"日本\"; each segment is a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63)"
                )),
        ])
    #expect(try previews.render(.branch("日本")).get().registration.name == "r-cf2abf")
}

@Test func elementsDeriveTheirParameters() {
    let dir = ApplicationSet.Element.directory(path: "./services/api/", branch: "release/1.2")
    #expect(
        dir.values == [.path: "services/api", .pathBasename: "api", .branch: "release/1.2", .branchSlug: "release-1-2"])
    let pr = ApplicationSet.Element.pullRequest(number: 42, headSHA: "c0ffee", branch: "fix/Login")
    #expect(pr[.prNumber] == "42" && pr[.prBranch] == "fix/Login" && pr[.branchSlug] == "fix-login")
    #expect(pr.description == "{branch: fix/Login, pr.number: 42, pr.headSHA: c0ffee, pr.branch: fix/Login}")
    // Derived values cannot be given.
    #expect(ApplicationSet.Element([.branch: "a", .branchSlug: "b"])[.branchSlug] == "a")
}

@Test func slugs() {
    #expect(Slug.make("Feature/JIRA-123_Fix") == "feature-jira-123-fix")
    #expect(Slug.make("--a--b__c--") == "a-b-c")
    #expect(Slug.make("日本") == "cf2abf")
    #expect(Slug.shortHash("feature/a") == "951d42")
    for value in ["main", "release/1.2", String(repeating: "x", count: 80), "日本", "A_b"] {
        let slug = Slug.make(value)
        #expect(Slug.make(slug) == slug && slug.count <= 40 && Rules.dnsLabelProblem(slug) == nil, "\(value)")
    }
}

/// Whatever a forge or a repository lists, what is made is a DNS label, unique, and its
/// prefix a valid one; elements the rules refuse are skipped with a reason.
@Test func randomValuesMakeValidUniqueNames() throws {
    var rng = SplitMix64(state: 0xA5E7)
    let alphabet = Array(String(repeating: "abcdefghijklmnopqrstuvwxyz", count: 3) + "ABC0123-_/.é日 ~\u{0}\u{7F}")
    var elements: [ApplicationSet.Element] = []
    for _ in 0..<2000 {
        let length = Int.random(in: 1...70, using: &rng)
        elements.append(.branch(String((0..<length).map { _ in alphabet.randomElement(using: &rng)! })))
    }
    var s = previews
    s.maxApplications = 1000
    let r = s.render(elements)
    #expect(r.generated.count + r.skipped.count == Set(elements).count)
    #expect(Set(r.generated.map(\.registration.name)).count == r.generated.count)
    #expect(Set(r.generated.compactMap(\.pathPrefix)).count == r.generated.count)
    for app in r.generated {
        #expect(Rules.dnsLabelProblem(app.registration.name) == nil, "\(app.element)")
        #expect(app.element[.branchSlug].map { $0.count <= 40 && Rules.dnsLabelProblem($0) == nil } == true)
        #expect(app.pathPrefix.flatMap(Rules.pathPrefixProblem) == nil)
    }
    // Git's rules refuse many random names; nothing else may.
    #expect(Set(r.skipped.map(\.problem.field)) == ["spec.template.source.branch"])
    #expect(r.generated.count >= 300)
}

/// A prefix inside another's would deploy into it: the outer one keeps its place, in
/// whatever order the elements come.
@Test func aPrefixInsideAnothersIsSkipped() throws {
    let s = try decodeSet(
        """
        generators: [{list: {elements: [{name: b, path: a/b}, {name: a, path: a}, {name: c, path: c}]}}]
        template:
          name: "r-{{name}}"
          source: {repoURL: "https://h/o/r", path: "{{path}}"}
          pathPrefix: "/p/{{path}}"
        """)
    for elements in [s.listElements, s.listElements.reversed()] {
        let r = s.render(elements)
        #expect(r.generated.map(\.registration.name).sorted() == ["r-a", "r-c"])
        #expect(
            r.skipped.map(\.problem.description) == [
                "spec.template.pathPrefix: \"/p/a/b\" is inside the prefix \"/p/a\" of another element; they would deploy into each other"
            ])
    }
}
