import Manifest
import Testing

struct GlobCase: CustomTestStringConvertible, Sendable {
    let pattern: String
    let name: String
    let matches: Bool
    init(_ pattern: String, _ name: String, _ matches: Bool) {
        self.pattern = pattern
        self.name = name
        self.matches = matches
    }
    var testDescription: String { "\(pattern) \(matches ? "matches" : "does not match") \(name)" }
}

let globCases: [GlobCase] = [
    GlobCase("services/*", "services/api", true),
    GlobCase("services/*", "services/api/v2", false),
    GlobCase("services/*", "services", false),
    GlobCase("services/*", "other/api", false),
    GlobCase("feature/*", "feature/login", true),
    GlobCase("feature/*", "Feature/login", false),
    GlobCase("feature/*", "feature/team/login", false),
    GlobCase("feature/**", "feature/team/login", true),
    GlobCase("feature/**", "feature", true),
    GlobCase("**", "a/b/c", true),
    GlobCase("services/**/api", "services/api", true),
    GlobCase("services/**/api", "services/x/y/api", true),
    GlobCase("services/**/api", "services/x/y/web", false),
    GlobCase("**/**/a", "a", true),
    GlobCase("release-?", "release-1", true),
    GlobCase("release-?", "release-10", false),
    GlobCase("release-?", "release-", false),
    GlobCase("[a-c]*", "beta", true),
    GlobCase("[!a-c]*", "beta", false),
    GlobCase("[^a-c]*", "delta", true),
    GlobCase("v[0-9].[0-9]", "v1.2", true),
    GlobCase("[]]", "]", true),
    GlobCase("[!]]", "a", true),
    GlobCase("a\\*", "a*", true),
    GlobCase("a\\*", "ab", false),
    GlobCase("*.yaml", ".yaml", true),
    GlobCase("*a*b*c", "xaybzc", true),
    GlobCase("*a*b*c", "xaybz", false),
    GlobCase("*", "", true),
    GlobCase("é?", "éa", true),
    GlobCase("?", "日", true),
    GlobCase("main", "main", true),
    GlobCase("main", "mainline", false),
]

@Test(arguments: globCases)
func glob(_ c: GlobCase) throws {
    let glob = try Glob.parse(c.pattern).get()
    #expect(glob.matches(c.name) == c.matches)
}

@Test(arguments: [
    ("", "the pattern is empty"),
    ("a//b", "the pattern has an empty segment ('//', or '/' at the start or end)"),
    ("feature/", "the pattern has an empty segment ('//', or '/' at the start or end)"),
    ("[a", "'[' is not closed by ']'; write '\\[' for the character itself"),
    ("a]", "']' closes no '['; write '\\]' for the character itself"),
    ("a**", "'**' must be a whole segment (as in a/**/b); use '*' inside a name"),
    ("[z-a]", "the range 'z-a' is reversed; write 'a-z'"),
    ("a\\", "a '\\' at the end of a segment escapes nothing; write '\\\\' for a backslash"),
    (String(repeating: "a", count: 257), "the pattern is 257 bytes; at most 256 are allowed"),
])
func badGlob(_ pattern: String, _ message: String) {
    guard case .failure(let error) = Glob.parse(pattern) else {
        Issue.record("\(pattern) parsed")
        return
    }
    #expect(error.message == message)
}

@Test func globLiteralSegments() throws {
    #expect(try Glob.parse("services/*/x").get().literalSegments == ["services"])
    #expect(try Glob.parse("a/b").get().isLiteral)
    #expect(try !Glob.parse("a/b?").get().isLiteral)
    #expect(try Glob.parse("**/x").get().literalSegments == [])
}
