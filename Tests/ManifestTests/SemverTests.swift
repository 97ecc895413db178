import Manifest
import Testing

/// Version ranges over tags, as npm and Flux read them.
@Suite struct SemverTests {
    static let tags = [
        "v0.9.0", "v1.0.0", "1.2.0", "v1.2.5", "v1.3.0-rc.1", "v1.3.0", "v2.0.0", "v2.1.0-beta.2", "release-3",
        "latest", "v10.0.0",
    ]

    @Test(arguments: [
        (">=1.0.0 <2.0.0", "v1.3.0"),
        ("^1.2", "v1.3.0"),
        ("~1.2.0", "v1.2.5"),
        ("~1.2", "v1.2.5"),
        ("1.x", "v1.3.0"),
        ("1.2.*", "v1.2.5"),
        ("*", "v10.0.0"),
        ("=1.2.0", "1.2.0"),
        ("1.0.0", "v1.0.0"),
        ("<1.0.0", "v0.9.0"),
        (">1.3.0 <10", "v2.0.0"),
        ("<=1.2", "v1.2.5"),
        ("^0.9", "v0.9.0"),
        ("^1.3.0-rc.0", "v1.3.0"),
        (">=1.3.0-rc.0 <1.3.0", "v1.3.0-rc.1"),
        ("^2.1.0-beta.1", "v2.1.0-beta.2"),
        ("1.x || >=10", "v10.0.0"),
        (">= 1.0.0 < 1.2.1", "1.2.0"),
    ])
    func theHighestMatchingTagWins(range: String, expected: String) throws {
        let parsed = try SemverRange.parse(range).get()
        #expect(parsed.best(of: Self.tags)?.tag == expected, "\(range)")
    }

    @Test func preReleasesOnlyWhenTheRangeAsksAndNothingMatchesIsNil() throws {
        #expect(try SemverRange.parse(">=2.0.0").get().best(of: Self.tags)?.tag == "v10.0.0")
        #expect(try SemverRange.parse(">=2.1.0-0 <2.2.0").get().best(of: Self.tags)?.tag == "v2.1.0-beta.2")
        #expect(try SemverRange.parse("^2.1").get().best(of: ["v2.1.0-beta.2"]) == nil)
        #expect(try SemverRange.parse(">=3").get().best(of: ["v2.0.0", "release-3"]) == nil)
    }

    @Test(arguments: ["", "latest", ">=", "1.2.3.4", ">=1.2.x.y", "!1.0", "1..2", "||", "^v", "1.2.3-", "99999999999"])
    func malformedRangesAreRefused(text: String) {
        #expect(throws: RangeProblem.self) { try SemverRange.parse(text).get() }
    }

    @Test func versionsOrderAsSemverSays() throws {
        let ordered = [
            "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
            "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0",
        ]
        let versions = try ordered.map { try #require(SemanticVersion.parse($0)) }
        #expect(versions == versions.sorted())
        #expect(SemanticVersion.parse("v1.2.3+build.5") == SemanticVersion(1, 2, 3))
        #expect(SemanticVersion.parse("1.2") == nil)
    }
}
