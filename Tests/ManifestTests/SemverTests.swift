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

    @Test(arguments: semverCases) func theTableOfNpmAnswers(_ c: SemverCase) throws {
        let range = try SemverRange.parse(c.range).get()
        let version = try #require(SemanticVersion.parse(c.version))
        #expect(range.contains(version) == c.expected, "normalized: \(range.normalized)")
    }

    @Test func theTableCoversEveryRuleWithEnoughCases() {
        #expect(semverCases.count >= 150)
        #expect(Set(semverCases.map(\.range)).count >= 100)
    }

    @Test(arguments: invalidSemverRanges) func whatNpmRefusesIsRefused(_ text: String) {
        #expect(throws: RangeProblem.self) { try SemverRange.parse(text).get() }
    }

    @Test(arguments: [
        (">=1.2.x.y", #"">=1.2.x.y" is not a version or a comparator (like >=1.2.0, <2, ^1.4, ~1.2.3, 1.x)"#),
        ("1.2.3 | 1.2.4", #"a single "|": alternatives are separated by "||""#),
        (">=1.0.0 <", #""<" has no version after it"#),
        ("1.2.3-", #""1.2.3-" is not a version or a comparator: an empty part (between dots, or after "-")"#),
        ("^01.2", #""^01.2" is not a version or a comparator: 01 has a leading zero"#),
        (
            "99999999999999999999",
            #""99999999999999999999" is not a version or a comparator: 99999999999999999999 is larger than 9007199254740991, the largest version number"#
        ),
        (
            "=1.2.3 - 2",
            #""=1.2.3 - 2" is not a hyphen range: its ends are versions like 1.2.3, v1.2.3, 1.2 or 1.x, without an operator"#
        ),
        ("1.2.3 -2", #""-2" is not a version or a comparator (like >=1.2.0, <2, ^1.4, ~1.2.3, 1.x)"#),
        ("1.2.3 - ", #"a "-" that is not part of a hyphen range (VERSION - VERSION)"#),
    ])
    func problemsNameWhatIsWrong(text: String, message: String) {
        guard case .failure(let problem) = SemverRange.parse(text) else {
            Issue.record("\(text) parsed")
            return
        }
        #expect(problem.description == message)
    }

    /// The expressions are shared by every parse (`Desugar.shared`): parses on many threads
    /// at once give the answers one thread gives.
    @Test func parsesAtOnceAgreeWithOneAtATime() async {
        let texts = semverCases.map(\.range) + invalidSemverRanges
        let expected = texts.map { (try? SemverRange.parse($0).get())?.normalized }
        let results = await withTaskGroup(of: [String?].self) { group in
            for _ in 0..<8 { group.addTask { texts.map { (try? SemverRange.parse($0).get())?.normalized } } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 8 && results.allSatisfy { $0 == expected })
    }

    @Test func longRangesAreRefusedAndTheSlowestTextsStayQuick() throws {
        let long = String(repeating: "1.2.3 || ", count: 40) + "2"
        #expect(throws: RangeProblem.self) { try SemverRange.parse(long).get() }
        // The texts the expressions take longest on, at the longest length accepted (about
        // 0.2 s each in a debug build; the bound is generous, for a busy machine).
        let clock = ContinuousClock()
        for unit in ["v ", "=", "~ ", "^ ", " - 1", ">= v"] {
            let text = String(String(repeating: unit, count: SemverRange.maxLength).prefix(SemverRange.maxLength))
            let took = clock.measure { _ = SemverRange.parse(text) }
            #expect(took < .seconds(5), "\(unit): \(took)")
        }
    }

    @Test(arguments: [
        ("1.2.3 - 2.3.4", ">=1.2.3 <=2.3.4"), ("1.2 - 2.3.4", ">=1.2.0 <=2.3.4"), ("1.2.3 - 2.3", ">=1.2.3 <2.4.0-0"),
        ("^0.2.3", ">=0.2.3 <0.3.0-0"), ("^0.0.3", ">=0.0.3 <0.0.4-0"), ("^0.0", "<0.1.0-0"), (">1.2", ">=1.3.0"),
        ("<=1.2", "<1.3.0-0"), ("1.2", ">=1.2.0 <1.3.0-0"), ("~> 1.2.3", ">=1.2.3 <1.3.0-0"), ("^*", ""), ("", ""),
        (">* || 1.x", ">=1.0.0 <2.0.0-0"), ("* || 1.x", ""), (">=1.2.3 >=1.2.3", ">=1.2.3"),
        ("^1.2.3+build", ">=1.2.3 <2.0.0-0"), ("1.2.3 || <0.0.0-0 || 2", "1.2.3||>=2.0.0 <3.0.0-0"),
    ])
    func desugaredAsNpmPrintsIt(text: String, normalized: String) throws {
        #expect(try SemverRange.parse(text).get().normalized == normalized)
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
