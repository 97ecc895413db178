/// A label selector as `kubectl -l` reads it: requirements separated by commas, all of
/// which must hold. `key=value` (or `==`), `key!=value` (true when the key is absent too),
/// `key` (present), `!key` (absent), `key in (a,b)`, `key notin (a,b)`.
public struct LabelSelector: Sendable, Hashable {
    public enum Requirement: Sendable, Hashable {
        case equals(String, String)
        case notEquals(String, String)
        case exists(String)
        case absent(String)
        case `in`(String, Set<String>)
        case notIn(String, Set<String>)
    }

    public var requirements: [Requirement]

    /// Parses `text`; the error names the requirement that is wrong and why.
    public init(parsing text: String) throws(LabelSelectorError) {
        requirements = []
        for part in Self.split(text) {
            let item = part.trimmed
            if item.isEmpty { throw LabelSelectorError("an empty requirement in \"\(text)\"") }
            requirements.append(try Self.requirement(item))
        }
    }

    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { r in
            switch r {
            case .equals(let k, let v): labels[k] == v
            case .notEquals(let k, let v): labels[k] != v
            case .exists(let k): labels[k] != nil
            case .absent(let k): labels[k] == nil
            case .in(let k, let values): labels[k].map(values.contains) ?? false
            case .notIn(let k, let values): !(labels[k].map(values.contains) ?? false)
            }
        }
    }

    /// Commas outside parentheses separate requirements.
    static func split(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for c in text {
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1 }
            if c == ",", depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(current)
        return parts
    }

    static func requirement(_ item: String) throws(LabelSelectorError) -> Requirement {
        func key(_ k: Substring) throws(LabelSelectorError) -> String {
            let k = k.trimmed
            if let problem = Rules.labelKeyProblem(k) { throw LabelSelectorError("\"\(item)\": \(problem)") }
            return k
        }
        func value(_ v: Substring) throws(LabelSelectorError) -> String {
            let v = v.trimmed
            if let problem = Rules.labelValueProblem(v) { throw LabelSelectorError("\"\(item)\": \(problem)") }
            return v
        }
        if let r = item.firstRange(of: "!=") {
            return .notEquals(try key(item[..<r.lowerBound]), try value(item[r.upperBound...]))
        }
        if let r = item.firstRange(of: "==") ?? item.firstRange(of: "=") {
            return .equals(try key(item[..<r.lowerBound]), try value(item[r.upperBound...]))
        }
        for (word, negated) in [(" notin ", true), (" in ", false)] {
            guard let r = item.firstRange(of: word) else { continue }
            let list = item[r.upperBound...].trimmed
            guard list.hasPrefix("("), list.hasSuffix(")") else {
                throw LabelSelectorError(
                    "\"\(item)\": expected a list in parentheses after \(word.trimmed), as in `team in (web,api)`")
            }
            var values = Set<String>()
            for v in list.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false) {
                values.insert(try value(v))
            }
            let k = try key(item[..<r.lowerBound])
            return negated ? .notIn(k, values) : .in(k, values)
        }
        if item.hasPrefix("!") { return .absent(try key(item.dropFirst())) }
        return .exists(try key(Substring(item)))
    }
}

public struct LabelSelectorError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = "label selector " + description }
}

extension StringProtocol {
    /// Without spaces and tabs at either end.
    fileprivate var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
