/// A semantic version as tags spell it: `1.2.3`, `v1.2.3`, `1.2.3-rc.1` (build metadata
/// after `+` is ignored, as semver says).
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

    /// nil unless `text` is a full version (three numbers), with an optional `v`.
    public static func parse(_ text: String) -> SemanticVersion? {
        var body = Substring(text)
        if body.first == "v" || body.first == "V" { body = body.dropFirst() }
        if let plus = body.firstIndex(of: "+") { body = body[..<plus] }
        var pre: [String] = []
        if let dash = body.firstIndex(of: "-") {
            pre = body[body.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false).map(
                String.init)
            guard !pre.isEmpty,
                pre.allSatisfy({
                    !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
                })
            else { return nil }
            body = body[..<dash]
        }
        let numbers = body.split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3, let a = number(numbers[0]), let b = number(numbers[1]), let c = number(numbers[2])
        else { return nil }
        return SemanticVersion(a, b, c, prerelease: pre)
    }

    static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 9, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    public var isPrerelease: Bool { !prerelease.isEmpty }

    public var description: String {
        "\(major).\(minor).\(patch)" + (prerelease.isEmpty ? "" : "-" + prerelease.joined(separator: "."))
    }

    public static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        if (a.major, a.minor, a.patch) != (b.major, b.minor, b.patch) {
            return (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
        }
        // A release is above its pre-releases; identifiers compare numerically when both are numbers.
        if a.prerelease.isEmpty || b.prerelease.isEmpty { return !a.prerelease.isEmpty && b.prerelease.isEmpty }
        for (x, y) in zip(a.prerelease, b.prerelease) where x != y {
            switch (Int(x), Int(y)) {
            case (let i?, let j?): return i < j
            case (.some, nil): return true
            case (nil, .some): return false
            default: return x < y
            }
        }
        return a.prerelease.count < b.prerelease.count
    }
}

/// A range of versions over tags, as npm and Flux write them: comparators separated by
/// spaces (all must hold: `>=1.2.0 <2.0.0`), alternatives separated by `||`; `^1.2`,
/// `~1.2.3`, `1.x`, `1.2.*`, `*`, `=1.2.3`, `1.2.3`. Pre-releases match only when a
/// comparator of the alternative names a pre-release of the same `major.minor.patch`.
public struct SemverRange: Sendable, Hashable, CustomStringConvertible {
    struct Comparator: Sendable, Hashable {
        enum Op: String, Sendable {
            case lt = "<"
            case le = "<="
            case gt = ">"
            case ge = ">="
            case eq = "="
        }
        var op: Op
        var version: SemanticVersion
        func holds(_ v: SemanticVersion) -> Bool {
            switch op {
            case .lt: return v < version
            case .le: return v <= version
            case .gt: return v > version
            case .ge: return v >= version
            case .eq: return v == version
            }
        }
    }

    public let description: String
    let alternatives: [[Comparator]]

    /// The range, or the reason it is not one.
    public static func parse(_ text: String) -> Result<SemverRange, RangeProblem> {
        let trimmed = trim(text)
        guard !trimmed.isEmpty else {
            return .failure(RangeProblem("an empty range; write one like \">=1.2.0 <2.0.0\" or \"^1.2\""))
        }
        var alternatives: [[Comparator]] = []
        for part in alternativesOf(trimmed) {
            var comparators: [Comparator] = []
            // `>= 1.2` is `>=1.2`: glue an operator to the version after it.
            var words: [String] = []
            for word in part.split(separator: " ").map(String.init) {
                if let last = words.last, ["<", "<=", ">", ">=", "=", "^", "~"].contains(last) {
                    words[words.count - 1] = last + word
                } else {
                    words.append(word)
                }
            }
            guard !words.isEmpty else { return .failure(RangeProblem("an empty alternative around ||")) }
            for word in words {
                switch comparatorsFor(word) {
                case .success(let more): comparators += more
                case .failure(let problem): return .failure(problem)
                }
            }
            alternatives.append(comparators)
        }
        return .success(SemverRange(description: trimmed, alternatives: alternatives))
    }

    /// Whether `version` is in the range.
    public func contains(_ version: SemanticVersion) -> Bool {
        alternatives.contains { comparators in
            guard comparators.allSatisfy({ $0.holds(version) }) else { return false }
            if !version.isPrerelease { return true }
            return comparators.contains {
                $0.version.isPrerelease
                    && ($0.version.major, $0.version.minor, $0.version.patch) == (
                        version.major, version.minor, version.patch
                    )
            }
        }
    }

    /// The highest of `tags` in the range: its name and version.
    public func best(of tags: [String]) -> (tag: String, version: SemanticVersion)? {
        var best: (tag: String, version: SemanticVersion)?
        for tag in tags {
            guard let v = SemanticVersion.parse(tag), contains(v) else { continue }
            if best == nil || best!.version < v || (best!.version == v && tag < best!.tag) { best = (tag, v) }
        }
        return best
    }

    /// One word: an operator and a (possibly partial) version.
    private static func comparatorsFor(_ word: String) -> Result<[Comparator], RangeProblem> {
        var op = ""
        var rest = Substring(word)
        while let c = rest.first, "<>=^~".contains(c) {
            op.append(c)
            rest = rest.dropFirst()
        }
        if rest.first == "v" || rest.first == "V" { rest = rest.dropFirst() }
        if ["*", "x", "X"].contains(rest), op.isEmpty || op == "=" || op == ">=" { return .success([]) }
        guard let partial = Partial.parse(rest) else {
            return .failure(
                RangeProblem("\"\(word)\" is not a version or a comparator (like >=1.2.0, <2, ^1.4, ~1.2.3, 1.x)"))
        }
        let low = partial.low
        switch op {
        case "", "=":
            guard partial.missing > 0 else { return .success([Comparator(op: .eq, version: low)]) }
            return .success([Comparator(op: .ge, version: low), Comparator(op: .lt, version: partial.next)])
        case ">=": return .success([Comparator(op: .ge, version: low)])
        case ">":
            return .success([
                partial.missing > 0 ? Comparator(op: .ge, version: partial.next) : Comparator(op: .gt, version: low)
            ])
        case "<": return .success([Comparator(op: .lt, version: low)])
        case "<=":
            return .success([
                partial.missing > 0 ? Comparator(op: .lt, version: partial.next) : Comparator(op: .le, version: low)
            ])
        case "~":
            // ~1.2.3: >=1.2.3 <1.3.0; ~1: >=1.0.0 <2.0.0
            let upper =
                partial.missing >= 2
                ? SemanticVersion(low.major + 1, 0, 0) : SemanticVersion(low.major, low.minor + 1, 0)
            return .success([Comparator(op: .ge, version: low), Comparator(op: .lt, version: upper)])
        case "^":
            // The leftmost non-zero number stays: ^1.2.3 <2.0.0, ^0.2.3 <0.3.0, ^0.0.3 <0.0.4
            let upper: SemanticVersion
            if low.major > 0 || partial.missing >= 2 {
                upper = SemanticVersion(low.major + 1, 0, 0)
            } else if low.minor > 0 || partial.missing == 1 {
                upper = SemanticVersion(0, low.minor + 1, 0)
            } else {
                upper = SemanticVersion(0, 0, low.patch + 1)
            }
            return .success([Comparator(op: .ge, version: low), Comparator(op: .lt, version: upper)])
        default:
            return .failure(RangeProblem("\"\(op)\" is not an operator (use <, <=, >, >=, =, ^ or ~)"))
        }
    }

    /// `1`, `1.2`, `1.2.3`, `1.x`, `1.2.*`, with a pre-release on full versions.
    private struct Partial {
        var low: SemanticVersion
        /// How many of minor and patch were left out (or written x / *).
        var missing: Int
        /// The first version above everything the partial covers.
        var next: SemanticVersion {
            missing >= 2 ? SemanticVersion(low.major + 1, 0, 0) : SemanticVersion(low.major, low.minor + 1, 0)
        }

        static func parse(_ text: Substring) -> Partial? {
            if let full = SemanticVersion.parse(String(text)) { return Partial(low: full, missing: 0) }
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...3).contains(parts.count), let major = SemanticVersion.number(parts[0]) else { return nil }
            var numbers = [major]
            var wildcard = false
            for part in parts.dropFirst() {
                if ["x", "X", "*"].contains(part) {
                    wildcard = true
                    continue
                }
                guard !wildcard, let n = SemanticVersion.number(part) else { return nil }
                numbers.append(n)
            }
            let missing = 3 - numbers.count
            guard missing > 0 else { return nil }
            return Partial(low: SemanticVersion(numbers[0], numbers.count > 1 ? numbers[1] : 0, 0), missing: missing)
        }
    }
}

/// `text` without spaces and tabs at either end.
func trim(_ text: String) -> String {
    String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
}

/// The parts of a range between `||`s.
private func alternativesOf(_ text: String) -> [String] {
    var parts: [String] = []
    var current = ""
    var chars = Array(text)[...]
    while let c = chars.first {
        if c == "|", chars.dropFirst().first == "|" {
            parts.append(current)
            current = ""
            chars = chars.dropFirst(2)
        } else {
            current.append(c)
            chars = chars.dropFirst()
        }
    }
    parts.append(current)
    return parts
}

public struct RangeProblem: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
