/// A semantic version as npm's `semver.valid` reads one: `1.2.3`, `v1.2.3`, `1.2.3-rc.1`,
/// `1.2.3+build.5` (build metadata is dropped: semver ignores it in comparisons). Numbers
/// have no leading zeros and are at most 2^53 - 1 (JavaScript's safe integers, as npm).
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int
    /// Dot-separated identifiers after `-`; empty for a release.
    public var prerelease: [String]

    public init(_ major: Int, _ minor: Int, _ patch: Int, prerelease: [String] = []) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
    }

    /// The largest number npm accepts in a version (`Number.MAX_SAFE_INTEGER`).
    static let maxNumber = 9_007_199_254_740_991
    /// The longest version npm accepts.
    static let maxLength = 256

    /// nil unless `text` is a whole version (three numbers), with an optional `v`.
    public static func parse(_ text: String) -> SemanticVersion? {
        guard text.utf8.count <= maxLength else { return nil }
        var body = Substring(text)
        if body.first == "v" { body = body.dropFirst() }
        if let plus = body.firstIndex(of: "+") {
            let build = body[body.index(after: plus)...].split(separator: ".", omittingEmptySubsequences: false)
            guard build.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isIdentifierByte) }) else { return nil }
            body = body[..<plus]
        }
        var pre: [String] = []
        if let dash = body.firstIndex(of: "-") {
            let ids = body[body.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false)
            guard ids.allSatisfy(isPrereleaseIdentifier) else { return nil }
            pre = ids.map(String.init)
            body = body[..<dash]
        }
        let numbers = body.split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3, let a = number(numbers[0]), let b = number(numbers[1]), let c = number(numbers[2])
        else { return nil }
        return SemanticVersion(a, b, c, prerelease: pre)
    }

    /// A number as semver writes one: `0`, or digits without a leading zero; nil when it is
    /// not one or is larger than `maxNumber`.
    static func number<S: StringProtocol>(_ text: S) -> Int? {
        guard isNumeric(text), text == "0" || text.first != "0", text.utf8.count <= 16,
            let value = Int(text), value <= maxNumber
        else { return nil }
        return value
    }

    static func isNumeric<S: StringProtocol>(_ text: S) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// `[0-9A-Za-z-]`
    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == 0x2D
    }

    /// A number without a leading zero, or an identifier with a letter or `-` in it.
    static func isPrereleaseIdentifier(_ id: Substring) -> Bool {
        guard !id.isEmpty, id.utf8.allSatisfy(isIdentifierByte) else { return false }
        return !isNumeric(id) || id == "0" || id.first != "0"
    }

    public var isPrerelease: Bool { !prerelease.isEmpty }

    public var description: String {
        "\(major).\(minor).\(patch)" + (prerelease.isEmpty ? "" : "-" + prerelease.joined(separator: "."))
    }

    public static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        if (a.major, a.minor, a.patch) != (b.major, b.minor, b.patch) {
            return (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
        }
        // A release is above its pre-releases; identifiers compare as numbers when both are
        // numbers, a number is below a word, words compare as ASCII.
        if a.prerelease.isEmpty || b.prerelease.isEmpty { return !a.prerelease.isEmpty && b.prerelease.isEmpty }
        for (x, y) in zip(a.prerelease, b.prerelease) where x != y {
            switch (isNumeric(x), isNumeric(y)) {
            case (true, true): return x.count != y.count ? x.count < y.count : x < y
            case (true, false): return true
            case (false, true): return false
            case (false, false): return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
            }
        }
        return a.prerelease.count < b.prerelease.count
    }
}

/// Why a text is not a version range, in words an operator can act on.
public struct RangeProblem: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// `text` without spaces and tabs at either end.
func trim(_ text: String) -> String {
    String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
}
