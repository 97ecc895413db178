/// A glob pattern over `/`-separated names: repository folders (`services/*`) and branch
/// names (`feature/*`) of application set generators.
///
/// - `*` matches any run of characters (also none) inside one segment: never a `/`;
/// - `?` matches exactly one character other than `/`;
/// - `[abc]`, `[a-z0-9]`, `[!abc]` or `[^abc]` match one character of (or not of) a class;
///   a `]` right after `[` (or `[!`) belongs to the class; never a `/`;
/// - `**` written as a whole segment matches any number of segments, none included
///   (`services/**/api` matches `services/api` and `services/a/b/api`);
/// - `\` makes the next character literal (`/` cannot be escaped: it always separates).
///
/// Characters are Unicode scalars. Matching is case-sensitive, as git's names are.
public struct Glob: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String
    private let segments: [Segment]

    enum Segment: Sendable, Hashable {
        case anySegments
        case tokens([Token])
    }

    enum Token: Sendable, Hashable {
        case literal(Unicode.Scalar)
        case one
        case star
        case set([ClosedRange<Unicode.Scalar>], negated: Bool)
    }

    public static let maxLength = 256

    /// The pattern parsed, or the problem as "what is wrong; what is allowed".
    public static func parse(_ pattern: String) -> Result<Glob, GlobError> {
        if pattern.isEmpty { return .failure(GlobError("the pattern is empty")) }
        if pattern.utf8.count > maxLength {
            return .failure(GlobError("the pattern is \(pattern.utf8.count) bytes; at most \(maxLength) are allowed"))
        }
        var segments: [Segment] = []
        for text in split(pattern) {
            if text.isEmpty {
                return .failure(GlobError("the pattern has an empty segment ('//', or '/' at the start or end)"))
            }
            if text == ["*", "*"] {
                if segments.last != .anySegments { segments.append(.anySegments) }
                continue
            }
            switch tokens(text) {
            case .success(let tokens): segments.append(.tokens(tokens))
            case .failure(let error): return .failure(error)
            }
        }
        return .success(Glob(pattern: pattern, segments: segments))
    }

    /// Whether the whole of `name` matches (not a prefix or a part of it).
    public func matches(_ name: String) -> Bool {
        let parts = name.unicodeScalars.split(separator: "/", omittingEmptySubsequences: false).map(Array.init)
        // reachable[j]: the pattern's segments so far can consume exactly parts[..<j].
        var reachable = [Bool](repeating: false, count: parts.count + 1)
        reachable[0] = true
        for segment in segments {
            var next = [Bool](repeating: false, count: parts.count + 1)
            switch segment {
            case .anySegments:
                var seen = false
                for j in 0...parts.count {
                    seen = seen || reachable[j]
                    next[j] = seen
                }
            case .tokens(let tokens):
                for j in 0..<parts.count where reachable[j] && Self.match(tokens, parts[j]) {
                    next[j + 1] = true
                }
            }
            reachable = next
        }
        return reachable[parts.count]
    }

    /// Whether the pattern has no wildcard at all (it matches its own text alone).
    public var isLiteral: Bool {
        segments.allSatisfy {
            if case .tokens(let tokens) = $0 {
                return tokens.allSatisfy { if case .literal = $0 { true } else { false } }
            }
            return false
        }
    }

    /// The leading segments without a wildcard: a folder walk can start below them.
    public var literalSegments: [String] {
        var out: [String] = []
        for segment in segments {
            guard case .tokens(let tokens) = segment else { break }
            var text = String.UnicodeScalarView()
            for token in tokens {
                guard case .literal(let c) = token else { return out }
                text.append(c)
            }
            out.append(String(text))
        }
        return out
    }

    public var description: String { pattern }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        switch Self.parse(text) {
        case .success(let glob): self = glob
        case .failure(let error):
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(pattern)
    }

    private init(pattern: String, segments: [Segment]) {
        self.pattern = pattern
        self.segments = segments
    }

    /// The pattern's segments: every `/` splits (a class or an escape cannot hold one).
    private static func split(_ pattern: String) -> [[Unicode.Scalar]] {
        pattern.unicodeScalars.split(separator: "/", omittingEmptySubsequences: false).map(Array.init)
    }

    private static func tokens(_ text: [Unicode.Scalar]) -> Result<[Token], GlobError> {
        var tokens: [Token] = []
        var i = 0
        while i < text.count {
            let c = text[i]
            switch c {
            case "\\":
                guard i + 1 < text.count else {
                    return .failure(
                        GlobError("a '\\' at the end of a segment escapes nothing; write '\\\\' for a backslash"))
                }
                tokens.append(.literal(text[i + 1]))
                i += 2
                continue
            case "?": tokens.append(.one)
            case "*":
                if i + 1 < text.count, text[i + 1] == "*" {
                    return .failure(GlobError("'**' must be a whole segment (as in a/**/b); use '*' inside a name"))
                }
                tokens.append(.star)
            case "[":
                switch set(text, from: i) {
                case .success(let (token, end)):
                    tokens.append(token)
                    i = end
                case .failure(let error): return .failure(error)
                }
            case "]": return .failure(GlobError("']' closes no '['; write '\\]' for the character itself"))
            default: tokens.append(.literal(c))
            }
            i += 1
        }
        return .success(tokens)
    }

    /// A class starting at `text[start]` (`[`): the token and the index of its `]`.
    private static func set(_ text: [Unicode.Scalar], from start: Int) -> Result<(Token, Int), GlobError> {
        var i = start + 1
        var negated = false
        if i < text.count, text[i] == "!" || text[i] == "^" {
            negated = true
            i += 1
        }
        var ranges: [ClosedRange<Unicode.Scalar>] = []
        var first = true
        while i < text.count {
            var c = text[i]
            if c == "]" && !first { return .success((.set(ranges, negated: negated), i)) }
            first = false
            if c == "\\", i + 1 < text.count {
                i += 1
                c = text[i]
            }
            if i + 2 < text.count, text[i + 1] == "-", text[i + 2] != "]" {
                var high = text[i + 2]
                if high == "\\", i + 3 < text.count {
                    i += 1
                    high = text[i + 2]
                }
                guard c <= high else {
                    return .failure(GlobError("the range '\(c)-\(high)' is reversed; write '\(high)-\(c)'"))
                }
                ranges.append(c...high)
                i += 3
            } else {
                ranges.append(c...c)
                i += 1
            }
        }
        return .failure(GlobError("'[' is not closed by ']'; write '\\[' for the character itself"))
    }

    /// One segment against one name part: `*` backtracks to its last position only
    /// (linear in practice, quadratic at worst).
    private static func match(_ tokens: [Token], _ name: [Unicode.Scalar]) -> Bool {
        var t = 0
        var n = 0
        var star: (token: Int, name: Int)?
        while n < name.count {
            if t < tokens.count, tokens[t] == .star {
                star = (t, n)
                t += 1
            } else if t < tokens.count, accepts(tokens[t], name[n]) {
                t += 1
                n += 1
            } else if let s = star {
                t = s.token + 1
                n = s.name + 1
                star = (s.token, s.name + 1)
            } else {
                return false
            }
        }
        while t < tokens.count, tokens[t] == .star { t += 1 }
        return t == tokens.count
    }

    private static func accepts(_ token: Token, _ c: Unicode.Scalar) -> Bool {
        switch token {
        case .literal(let l): return l == c
        case .one: return true
        case .star: return false
        case .set(let ranges, let negated): return ranges.contains { $0.contains(c) } != negated
        }
    }
}

/// Why a glob pattern cannot be used.
public struct GlobError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
