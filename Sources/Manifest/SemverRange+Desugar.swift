/// One alternative of a range (between `||`s) into comparators: node-semver's
/// `Range.parseRange` (classes/range.js, 7.x), step by step, on the regular expressions of
/// its internal/re.js (strict forms; `\d` written `[0-9]` because Swift's `\d` is any
/// Unicode digit). Keeping the steps and the expressions makes odd spellings (`~ > 1.2`,
/// `1.2 - 2.x`, `>= =1.2`) come out as npm's; a hand-written grammar would differ from npm at
/// its edges, and `SemverNodeTests` compare answers with node-semver itself.
///
/// `Regex` is not declared `Sendable`, but one may be matched from several threads at once:
/// it compiles its program once and publishes it atomically, and each match keeps its state
/// to itself. The expressions are therefore built once, for every parse.
struct Desugar {
    nonisolated(unsafe) static let shared = Desugar()

    let hyphen: Regex<AnyRegexOutput>
    let comparatorTrim: Regex<AnyRegexOutput>
    let tildeTrim: Regex<AnyRegexOutput>
    let caretTrim: Regex<AnyRegexOutput>
    let caret: Regex<AnyRegexOutput>
    let tilde: Regex<AnyRegexOutput>
    let xRange: Regex<AnyRegexOutput>
    let star: Regex<AnyRegexOutput>
    let gte0: Regex<AnyRegexOutput>
    let comparator: Regex<AnyRegexOutput>

    init() {
        let numeric = "0|[1-9][0-9]*"
        let nonNumeric = "[0-9]*[a-zA-Z-][a-zA-Z0-9-]*"
        let main = "(\(numeric))\\.(\(numeric))\\.(\(numeric))"
        let mainLoose = "([0-9]+)\\.([0-9]+)\\.([0-9]+)"
        let preId = "(?:\(numeric)|\(nonNumeric))"
        let preIdLoose = "(?:[0-9]+|\(nonNumeric))"
        let pre = "(?:-(\(preId)(?:\\.\(preId))*))"
        let preLoose = "(?:-?(\(preIdLoose)(?:\\.\(preIdLoose))*))"
        let build = "(?:\\+([a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)*))"
        let fullPlain = "v?\(main)\(pre)?\(build)?"
        let loosePlain = "[v=\\s]*\(mainLoose)\(preLoose)?\(build)?"
        let gtlt = "((?:<|>)?=?)"
        let xId = "\(numeric)|x|X|\\*"
        let xPlain = "[v=\\s]*(\(xId))(?:\\.(\(xId))(?:\\.(\(xId))(?:\(pre))?\(build)?)?)?"
        func regex(_ source: String) -> Regex<AnyRegexOutput> {
            // Force-tried: the sources are constants, and a test parses every kind of range.
            try! Regex(source).matchingSemantics(.unicodeScalar).asciiOnlyWhitespace()
        }
        hyphen = regex("^\\s*(\(xPlain))\\s+-\\s+(\(xPlain))\\s*$")
        comparatorTrim = regex("(\\s*)\(gtlt)\\s*(\(loosePlain)|\(xPlain))")
        tildeTrim = regex("(\\s*)(?:~>?)\\s+")
        caretTrim = regex("(\\s*)(?:\\^)\\s+")
        tilde = regex("^(?:~>?)\(xPlain)$")
        caret = regex("^(?:\\^)\(xPlain)$")
        xRange = regex("^\(gtlt)\\s*\(xPlain)$")
        star = regex("(<|>)?=?\\s*\\*")
        gte0 = regex("^\\s*>=\\s*0\\.0\\.0\\s*$")
        comparator = regex("^\(gtlt)\\s*(\(fullPlain))$|^$")
    }

    /// The comparators of one alternative (`part` trimmed, single spaces), or what is wrong.
    static func comparators(of part: String) -> Result<[SemverRange.Comparator], RangeProblem> {
        let d = shared
        var range = part
        // `1.2.3 - 2.3.4` => `>=1.2.3 <=2.3.4`
        let isHyphen = range.wholeMatch(of: d.hyphen).map { range = hyphenReplace($0.output) } != nil
        // `> 1.2.3` => `>1.2.3`, `~ 1.2.3` => `~1.2.3`, `^ 1.2.3` => `^1.2.3`
        range = range.replacing(d.comparatorTrim) { m in
            (m.output[1].text ?? "") + m.output[2].text! + m.output[3].text!
        }
        range = range.replacing(d.tildeTrim) { m in (m.output[1].text ?? "") + "~" }
        range = range.replacing(d.caretTrim) { m in (m.output[1].text ?? "") + "^" }
        var set: [SemverRange.Comparator] = []
        for word in range.split(separator: " ").map(String.init) {
            for text in d.desugar(word).split(separator: " ") where d.replaceGTE0(String(text)) != "" {
                guard let comparator = d.parseComparator(d.replaceGTE0(String(text))) else {
                    return .failure(RangeProblem(isHyphen ? hyphenProblem(part) : wordProblem(word)))
                }
                if !set.contains(comparator) { set.append(comparator) }  // repeats count once
            }
        }
        // Nothing matches `<0.0.0-0`: the alternative is that alone (once every word is valid).
        if let nothing = set.first(where: \.isNothing) { return .success([nothing]) }
        return .success(set.isEmpty ? [SemverRange.Comparator(op: .eq, version: nil)] : set)
    }

    /// npm's `parseComparator`: carets, tildes, x-ranges, stars, in that order.
    func desugar(_ word: String) -> String {
        var comp = word.firstMatch(of: caret).map { Self.caretReplace($0.output) } ?? word
        comp = comp.split(separator: " ").map { String($0) }.map { w in
            w.wholeMatch(of: tilde).map { Self.tildeReplace($0.output) } ?? w
        }.joined(separator: " ")
        comp = comp.split(separator: " ").map { String($0) }.map { w in
            w.wholeMatch(of: xRange).map { Self.xRangeReplace($0.output) } ?? w
        }.joined(separator: " ")
        // A star left anywhere is dropped, with the operator before it: `*` alone is any.
        if let found = comp.firstMatch(of: star) { comp.replaceSubrange(found.range, with: "") }
        return trimSpaces(comp)
    }

    /// `>=0.0.0` is any version.
    func replaceGTE0(_ text: String) -> String { text.wholeMatch(of: gte0) != nil ? "" : text }

    /// A comparator npm's `Comparator` accepts: an operator and a whole version.
    func parseComparator(_ text: String) -> SemverRange.Comparator? {
        guard let m = text.wholeMatch(of: comparator) else { return nil }
        guard let versionText = m.output[2].text else { return SemverRange.Comparator(op: .eq, version: nil) }
        guard let version = SemanticVersion.parse(versionText) else { return nil }
        let op = SemverRange.Comparator.Op(rawValue: m.output[1].text == "=" ? "" : m.output[1].text ?? "")!
        return SemverRange.Comparator(op: op, version: version)
    }
}

extension AnyRegexOutput.Element {
    /// The group's text; nil when it took no part in the match (JavaScript's `undefined`).
    var text: String? { substring.map(String.init) }
}
