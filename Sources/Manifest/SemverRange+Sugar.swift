/// The replacements of node-semver's `Range` (classes/range.js, `includePrerelease` off):
/// each turns one matched spelling into plain comparators, as text. The groups are those of
/// the expressions in `Desugar.init`; a group that took no part is nil, and a nil or `x`,
/// `X`, `*` number is a wildcard.
extension Desugar {
    static func isX(_ id: String?) -> Bool { id == nil || id == "x" || id == "X" || id == "*" }

    /// `n + 1` on decimal text (npm's `+n + 1`; a number past 2^53 - 1 fails later, as in npm).
    static func next(_ n: String?) -> String {
        var digits = Array((n ?? "0").utf8)
        var i = digits.count - 1
        while i >= 0, digits[i] == UInt8(ascii: "9") {
            digits[i] = UInt8(ascii: "0")
            i -= 1
        }
        if i >= 0 { digits[i] += 1 } else { digits.insert(UInt8(ascii: "1"), at: 0) }
        return String(decoding: digits, as: UTF8.self)
    }

    /// `^1.2.3` => `>=1.2.3 <2.0.0-0`; `^0.2.3` => `>=0.2.3 <0.3.0-0`; `^0.0.3` => `>=0.0.3 <0.0.4-0`;
    /// `^1.x` => `>=1.0.0 <2.0.0-0`; `^0.0` => `>=0.0.0 <0.1.0-0`; `^*` => any.
    static func caretReplace(_ g: AnyRegexOutput) -> String {
        let (major, minor, patch, pre) = (g[1].text, g[2].text, g[3].text, g[4].text)
        guard !isX(major), let ma = major else { return "" }
        guard !isX(minor), let mi = minor else { return ">=\(ma).0.0 <\(next(ma)).0.0-0" }
        guard !isX(patch), let pa = patch else {
            return ma == "0" ? ">=\(ma).\(mi).0 <\(ma).\(next(mi)).0-0" : ">=\(ma).\(mi).0 <\(next(ma)).0.0-0"
        }
        let low = ">=\(ma).\(mi).\(pa)" + (pre.map { "-\($0)" } ?? "")
        if ma != "0" { return "\(low) <\(next(ma)).0.0-0" }
        return mi == "0" ? "\(low) <\(ma).\(mi).\(next(pa))-0" : "\(low) <\(ma).\(next(mi)).0-0"
    }

    /// `~1.2.3` and `~>1.2.3` => `>=1.2.3 <1.3.0-0`; `~1.2` => `>=1.2.0 <1.3.0-0`; `~1` =>
    /// `>=1.0.0 <2.0.0-0`; `~*` => any.
    static func tildeReplace(_ g: AnyRegexOutput) -> String {
        let (major, minor, patch, pre) = (g[1].text, g[2].text, g[3].text, g[4].text)
        guard !isX(major), let ma = major else { return "" }
        guard !isX(minor), let mi = minor else { return ">=\(ma).0.0 <\(next(ma)).0.0-0" }
        guard !isX(patch), let pa = patch else { return ">=\(ma).\(mi).0 <\(ma).\(next(mi)).0-0" }
        return ">=\(ma).\(mi).\(pa)" + (pre.map { "-\($0)" } ?? "") + " <\(ma).\(next(mi)).0-0"
    }

    /// Partial versions and wildcards with an operator: `1.2` => `>=1.2.0 <1.3.0-0`, `>1.2` =>
    /// `>=1.3.0`, `<=1.2` => `<1.3.0-0`, `<1.2` => `<1.2.0-0`, `>*` => `<0.0.0-0` (nothing),
    /// `*` => `*` (dropped afterwards: any). A whole version is left as it is.
    static func xRangeReplace(_ g: AnyRegexOutput) -> String {
        var op = g[1].text ?? ""
        let (major, minor, patch) = (g[2].text, g[3].text, g[4].text)
        let xMajor = isX(major)
        let xMinor = xMajor || isX(minor)
        let xPatch = xMinor || isX(patch)
        if op == "=" && xPatch { op = "" }
        if xMajor { return op == ">" || op == "<" ? "<0.0.0-0" : "*" }
        let ma = major!
        if !op.isEmpty && xPatch {
            var (outMajor, outMinor, outPatch) = (ma, xMinor ? "0" : minor!, "0")
            if op == ">" {
                op = ">="
                if xMinor { (outMajor, outMinor) = (next(ma), "0") } else { outMinor = next(minor) }
            } else if op == "<=" {
                op = "<"
                if xMinor { outMajor = next(ma) } else { outMinor = next(minor) }
            }
            return "\(op)\(outMajor).\(outMinor).\(outPatch)" + (op == "<" ? "-0" : "")
        }
        if xMinor { return ">=\(ma).0.0 <\(next(ma)).0.0-0" }
        if xPatch { return ">=\(ma).\(minor!).0 <\(ma).\(next(minor)).0-0" }
        return g[0].text ?? ""
    }

    /// Hyphen ranges: `1.2.3 - 2.3.4` => `>=1.2.3 <=2.3.4`, `1.2 - 2.3.4` => `>=1.2.0 <=2.3.4`,
    /// `1.2.3 - 2.3` => `>=1.2.3 <2.4.0-0`, `1.2.3 - 2` => `>=1.2.3 <3.0.0-0`, `* - 2` => `<3.0.0-0`.
    /// A whole version on either side is kept as written (with its `v`; an `=` there is refused later, as in npm).
    static func hyphenReplace(_ g: AnyRegexOutput) -> String {
        let (fromMajor, fromMinor, fromPatch) = (g[2].text, g[3].text, g[4].text)
        let (toMajor, toMinor, toPatch, toPre) = (g[8].text, g[9].text, g[10].text, g[11].text)
        let from: String
        if isX(fromMajor) {
            from = ""
        } else if isX(fromMinor) {
            from = ">=\(fromMajor!).0.0"
        } else if isX(fromPatch) {
            from = ">=\(fromMajor!).\(fromMinor!).0"
        } else {
            from = ">=" + (g[1].text ?? "")
        }
        let to: String
        if isX(toMajor) {
            to = ""
        } else if isX(toMinor) {
            to = "<\(next(toMajor)).0.0-0"
        } else if isX(toPatch) {
            to = "<\(toMajor!).\(next(toMinor)).0-0"
        } else if let toPre {
            to = "<=\(toMajor!).\(toMinor!).\(toPatch!)-\(toPre)"
        } else {
            to = "<=" + (g[7].text ?? "")
        }
        return trimSpaces(from + " " + to)
    }

    // MARK: - What is wrong, for the error message

    static let forms = "(like >=1.2.0, <2, ^1.4, ~1.2.3, 1.x)"

    /// Why one word of a range is not a comparator.
    static func wordProblem(_ word: String) -> String {
        let base = "\"\(word)\" is not a version or a comparator"
        if word == "|" { return "a single \"|\": alternatives are separated by \"||\"" }
        if word == "-" {
            return "a \"-\" that is not part of a hyphen range (VERSION - VERSION)"
        }
        if ["<", "<=", ">", ">=", "=", "^", "~", "~>"].contains(word) {
            return "\"\(word)\" has no version after it"
        }
        let version = word.drop { "<>=~^v".contains($0) }.prefix { $0 != "+" }
        guard let first = version.first, first.isASCII, first.isNumber else { return "\(base) \(forms)" }
        let dash = version.firstIndex(of: "-") ?? version.endIndex
        let ids =
            version[..<dash].split(separator: ".", omittingEmptySubsequences: false)
            + (dash < version.endIndex
                ? version[version.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false) : [])
        let numbers = ids.filter { SemanticVersion.isNumeric($0) }
        if let big = numbers.first(where: { $0.count > 16 || Int($0)! > SemanticVersion.maxNumber }) {
            return "\(base): \(big) is larger than \(SemanticVersion.maxNumber), the largest version number"
        }
        if let zero = numbers.first(where: { $0.count > 1 && $0.first == "0" }) {
            return "\(base): \(zero) has a leading zero"
        }
        if ids.contains(where: \.isEmpty) && !version.isEmpty {
            return "\(base): an empty part (between dots, or after \"-\")"
        }
        return "\(base) \(forms)"
    }

    static func hyphenProblem(_ part: String) -> String {
        "\"\(part)\" is not a hyphen range: its ends are versions like 1.2.3, v1.2.3, 1.2 or 1.x, without an operator"
    }
}
