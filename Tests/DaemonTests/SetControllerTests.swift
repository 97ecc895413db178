import Foundation
import Manifest
import State
import TestSupport
import Testing
import Toolkit

@testable import Daemon

/// The application sets' bookkeeping, by moving time: when generators list, what a
/// webhook may make a forge do, what a failure keeps.
@Suite struct SetControllerTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    static let text = """
        apiVersion: zerverless.io/v1
        kind: ApplicationSet
        metadata: {name: previews, namespace: shop}
        spec:
          interval: 10m
          generators:
            - gitBranches: {repoURL: "https://git.example.com/alice/shop", pattern: "feature/*"}
            - pullRequests: {forge: github, apiURL: "https://api.github.com", repo: alice/shop, tokenFile: gh}
          template:
            name: "shop-{{branch.slug}}"
            source: {repoURL: "https://git.example.com/alice/shop", branch: "{{branch}}"}
            pathPrefix: "/preview/{{branch.slug}}"

        """

    func controller(_ dir: TempDir, text: String = Self.text) -> (SetController, StateLayout) {
        var c = SetController(settings: .init(minInterval: 60, maxPerSet: 100, maxPerNamespace: 200, publicURL: nil))
        let layout = StateLayout(root: dir.path)
        _ = c.update([AppsDir.readSet(Array(text.utf8), path: "apps.d/previews.yaml")], layout: layout, now: at(0))
        return (c, layout)
    }

    func listing(_ elements: [ApplicationSet.Element]) -> Result<SetLister.Listing, SetLister.Failure> {
        .success(SetLister.Listing(elements: elements, skipped: []))
    }

    @Test func theForgeIsListedAtMostOncePerIntervalWhateverTheWebhooksSay() throws {
        let dir = try TempDir("zg-sets")
        var (c, _) = controller(dir)
        let first = c.due(now: at(0))
        #expect(first.map(\.indexes) == [[0, 1]])
        c.finished(first[0], [0: listing([.branch("feature/a")]), 1: listing([])], now: at(1))
        #expect(c.wake() == at(601))
        // A webhook a minute later: the branches list at once, the forge waits for its interval.
        // (Webhooks within 2 s of a listing wait for those 2 s.)
        c.request("previews", now: at(60))
        let second = c.due(now: at(60))
        #expect(second.map(\.indexes) == [[0]])
        c.finished(second[0], [0: listing([.branch("feature/a"), .branch("feature/b")])], now: at(61))
        // Ten more webhooks: still no forge listing before its interval since the last one.
        for s in 62..<72 { c.request("previews", now: at(Double(s))) }
        var jobs = c.due(now: at(72))
        #expect(jobs.map(\.indexes) == [[0]])
        c.finished(jobs[0], [0: listing([.branch("feature/a")])], now: at(73))
        // The forge's turn comes at its interval after it was last asked (0 + 600 s).
        #expect(c.wake() == at(600))
        #expect(c.due(now: at(599)).isEmpty)
        jobs = c.due(now: at(600))
        #expect(jobs.map(\.indexes) == [[0, 1]])
        c.finished(jobs[0], [0: listing([]), 1: .failure(.init("github: 500"))], now: at(601))
        // A failing forge is not asked again before its interval either.
        c.request("previews", now: at(620))
        #expect(c.due(now: at(620)).map(\.indexes) == [[0]])
    }

    @Test func aFailingGeneratorKeepsItsListingAndTheApplicationsItMade() throws {
        let dir = try TempDir("zg-sets")
        var (c, _) = controller(dir)
        let job = c.due(now: at(0))[0]
        c.finished(job, [0: listing([.branch("feature/a"), .branch("feature/b")]), 1: listing([])], now: at(1))
        #expect(c.resolve(files: [:]).keys.sorted() == ["shop-feature-a", "shop-feature-b"])
        let next = c.due(now: at(601))[0]
        c.finished(
            next, [0: .failure(.init("spec.generators[0].gitBranches: connection refused")), 1: listing([])],
            now: at(602))
        #expect(c.resolve(files: [:]).keys.sorted() == ["shop-feature-a", "shop-feature-b"])
        let status = c.status("previews", c.entries["previews"]!, now: at(602))
        #expect(
            status.error
                == "spec.generators[0].gitBranches: connection refused; the set keeps the applications it made")
        #expect(status.generators.map(\.elements) == [2, 0])
        #expect(status.generated == ["shop-feature-a", "shop-feature-b"])
    }

    @Test func anIntervalShorterThanTheOperatorsFloorIsRaised() throws {
        let dir = try TempDir("zg-sets")
        var (c, _) = controller(dir, text: Self.text.replacingOccurrences(of: "interval: 10m", with: "interval: 5s"))
        let job = c.due(now: at(0))[0]
        c.finished(job, [0: listing([]), 1: listing([])], now: at(0))
        #expect(c.wake() == at(60))
        #expect(c.status("previews", c.entries["previews"]!, now: at(0)).interval == 60)
    }

    @Test func aPreviewOfAPullRequestAnnouncesItselfOnTheGeneratorsProject() throws {
        let dir = try TempDir("zg-sets")
        var (c, _) = controller(dir)
        c.settings.publicURL = "https://zerverless.example"
        let job = c.due(now: at(0))[0]
        let pr = ApplicationSet.Element.pullRequest(
            number: 7, headSHA: String(repeating: "a", count: 40), branch: "fix")
        c.finished(job, [0: listing([]), 1: listing([pr])], now: at(1))
        guard case .valid(let registration, let file, _)? = c.resolve(files: [:])["shop-fix"] else {
            Issue.record("no application made")
            return
        }
        #expect(file == "apps.d/previews.yaml")
        #expect(
            registration.isPreview && registration.pathPrefix == "/preview/fix"
                && registration.generatedBy == "previews")
        guard case .commitStatus(let status)? = registration.notify.last else {
            Issue.record("no commit status")
            return
        }
        #expect(status.project == "alice/shop")
        #expect(status.targetURL == "https://zerverless.example/static/shop/preview/fix/index.html")
    }

    /// A tenant's set whose file sorts first cannot take the name another set made, nor a
    /// name whose state is another namespace's.
    @Test func aSetNeverTakesAnotherSetsApplicationNorAnotherNamespacesName() throws {
        let dir = try TempDir("zg-sets")
        var (c, layout) = controller(dir)
        let job = c.due(now: at(0))[0]
        c.finished(job, [0: listing([.branch("x")]), 1: listing([])], now: at(1))
        #expect(c.resolve(files: [:]).keys.sorted() == ["shop-x"])
        let bob = Self.text.replacingOccurrences(
            of: "name: previews, namespace: shop", with: "name: bobs, namespace: bob")
        _ = c.update(
            [
                AppsDir.readSet(Array(Self.text.utf8), path: "apps.d/previews.yaml"),
                AppsDir.readSet(Array(bob.utf8), path: "apps.d/0-bob.yaml"),
            ], layout: layout, now: at(2))
        let bobJob = try #require(c.due(now: at(2)).first { $0.name == "bobs" })
        c.finished(bobJob, [0: listing([.branch("x"), .branch("y")]), 1: listing([])], now: at(3))
        let made = c.resolve(files: [:], namespaceOf: { $0 == "shop-y" ? "carol" : nil })
        guard case .valid(let x, _, _)? = made["shop-x"] else {
            Issue.record("shop-x is gone")
            return
        }
        #expect(x.namespace == "shop" && x.generatedBy == "previews")
        #expect(made["shop-y"] == nil)
        #expect(
            c.entries["bobs"]?.skipped.map(\.message) == [
                "\"shop-x\" is an application of the set previews",
                "\"shop-y\" is an application of another namespace (or its state, until its removal ends)",
            ])
    }
}
