/// A range of versions in npm's grammar, with npm's answers (node-semver 7, the default
/// options: `includePrerelease` and `loose` off):
///
/// - comparators separated by spaces all hold (`>=1.2.0 <2.0.0`), `||` separates
///   alternatives, an empty range is any version;
/// - `<`, `<=`, `>`, `>=`, `=` or nothing before a version, with any spaces between
///   (`>= 1.2.3`); versions may be partial (`>1.2` is `>=1.3.0`, `<=1.2` is `<1.3.0-0`, `1.2`
///   is `>=1.2.0 <1.3.0-0`) and take `v`/`=` prefixes;
/// - `x`, `X` and `*` wildcards anywhere (`1.x`, `1.2.*`, `*`, `^1.x`, `~1.2.x`);
/// - `^`: the leftmost non-zero number stays (`^1.2.3` is `<2.0.0-0`, `^0.2.3` `<0.3.0-0`,
///   `^0.0.3` `<0.0.4-0`); `~` and `~>`: the minor stays (`~1.2.3` is `<1.3.0-0`, `~1` `<2.0.0-0`);
/// - hyphen ranges `1.2.3 - 2.3.4` (`>=1.2.3 <=2.3.4`) with partial ends (`1.2 - 2.3.4` is
///   `>=1.2.0 <=2.3.4`, `1.2.3 - 2.3` is `>=1.2.3 <2.4.0-0`);
/// - a pre-release version matches only when a comparator of the same alternative names a
///   pre-release of the same `major.minor.patch`; build metadata is ignored.
///
/// The range is desugared the way node-semver's `Range` does it, step by step and with the
/// same regular expressions (`SemverRange+Desugar.swift`), so that odd spellings get npm's
/// answer too; `SemverTests` hold a table of cases, `SemverNodeTests` ask node-semver itself.
public struct SemverRange: Sendable, Hashable, CustomStringConvertible {
    struct Comparator: Sendable, Hashable, CustomStringConvertible {
        enum Op: String, Sendable {
            case lt = "<"
            case le = "<="
            case gt = ">"
            case ge = ">="
            case eq = ""
        }
        var op: Op
        /// nil: any version (npm's `ANY`, from `*` or an empty range).
        var version: SemanticVersion?

        func holds(_ v: SemanticVersion) -> Bool {
            guard let version else { return true }
            switch op {
            case .lt: return v < version
            case .le: return v <= version
            case .gt: return v > version
            case .ge: return v >= version
            case .eq: return v == version
            }
        }

        /// npm's `Comparator.value`: `>=1.2.0`, `<2.0.0-0`, `1.2.3`, `` for any.
        var description: String { version.map { op.rawValue + $0.description } ?? "" }

        /// `<0.0.0-0`: no version at all (`>*`, `<*`).
        var isNothing: Bool { op == .lt && version == SemanticVersion(0, 0, 0, prerelease: ["0"]) }
    }

    /// The range as written, without spaces at either end.
    public let description: String
    let alternatives: [[Comparator]]

    /// The desugared range as npm prints it (`Range.range`): `>=1.2.0 <2.0.0-0||>=3.0.0`.
    public var normalized: String {
        alternatives.map { $0.map(\.description).joined(separator: " ") }.joined(separator: "||")
    }

    /// The longest range accepted (npm sets none). The desugaring's expressions take time
    /// quadratic in the length for some texts (`v v v ...`: 0.2 s at 256 characters in a
    /// debug build, 2 s at 1,000), and registrations come from tenants through the REST API.
    public static let maxLength = 256

    /// The range, or the reason it is not one.
    public static func parse(_ text: String) -> Result<SemverRange, RangeProblem> {
        // As npm: whitespace runs become one space, and `||` splits before anything else.
        let raw = jsWords(text).joined(separator: " ")
        guard raw.utf8.count <= maxLength else {
            return .failure(RangeProblem("a range of \(raw.utf8.count) characters: at most \(maxLength) are allowed"))
        }
        var sets: [[Comparator]] = []
        for part in split(raw, on: "||") {
            switch Desugar.comparators(of: trimSpaces(part)) {
            case .success(let set): sets.append(set)
            case .failure(let problem): return .failure(problem)
            }
        }
        // npm drops alternatives that allow nothing, and an alternative that allows anything
        // swallows the others: neither changes an answer, both shape `normalized`.
        if sets.count > 1 {
            let some = sets.filter { !($0.first?.isNothing ?? false) }
            sets = some.isEmpty ? [sets[0]] : some
            if sets.count > 1, let any = sets.first(where: { $0.count == 1 && $0[0].version == nil }) { sets = [any] }
        }
        return .success(SemverRange(description: trim(text), alternatives: sets))
    }

    /// Whether `version` is in the range (npm's `satisfies`).
    public func contains(_ version: SemanticVersion) -> Bool {
        alternatives.contains { comparators in
            guard comparators.allSatisfy({ $0.holds(version) }) else { return false }
            if !version.isPrerelease { return true }
            return comparators.contains {
                guard let v = $0.version, v.isPrerelease else { return false }
                return (v.major, v.minor, v.patch) == (version.major, version.minor, version.patch)
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
}

/// JavaScript's `\s`: what `trim()` and `split(/\s+/)` take for whitespace in node-semver.
func isJSWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x09...0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
        return true
    default:
        return false
    }
}

/// `text.trim().split(/\s+/)`, without the one empty word of an empty text.
func jsWords(_ text: String) -> [String] {
    var words: [String] = []
    var current = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        if isJSWhitespace(scalar) {
            if !current.isEmpty { words.append(String(current)) }
            current = String.UnicodeScalarView()
        } else {
            current.append(scalar)
        }
    }
    if !current.isEmpty { words.append(String(current)) }
    return words
}

/// `text.split(separator)` as JavaScript does it: every occurrence, left to right, empty
/// parts kept.
func split(_ text: String, on separator: String) -> [String] {
    var parts: [String] = []
    var rest = Substring(text)
    while let found = rest.firstRange(of: separator) {
        parts.append(String(rest[..<found.lowerBound]))
        rest = rest[found.upperBound...]
    }
    parts.append(String(rest))
    return parts
}

/// `text` without spaces at either end (the only whitespace left once words are joined).
func trimSpaces<S: StringProtocol>(_ text: S) -> String {
    String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
}
