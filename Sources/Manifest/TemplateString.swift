/// A text with `{{parameter}}` places (spaces inside the braces allowed: `{{ branch }}`).
public struct TemplateString: Sendable, Hashable, Codable, CustomStringConvertible {
    public typealias Parameter = ApplicationSet.Parameter

    public enum Part: Sendable, Hashable, Codable {
        case text(String)
        case parameter(Parameter)
    }

    /// As written.
    public let text: String
    public let parts: [Part]

    public var description: String { text }

    /// The parameters it uses, in order of appearance, each once.
    public var parameters: [Parameter] {
        var seen = Set<Parameter>()
        return parts.compactMap {
            if case .parameter(let p) = $0, seen.insert(p).inserted { return p }
            return nil
        }
    }

    /// The text with every parameter replaced by `value(parameter)`; the first parameter
    /// without a value fails.
    public func render(_ value: (Parameter) -> String?) -> Result<String, MissingParameter> {
        var out = ""
        for part in parts {
            switch part {
            case .text(let t): out += t
            case .parameter(let p):
                guard let v = value(p) else { return .failure(MissingParameter(parameter: p)) }
                out += v
            }
        }
        return .success(out)
    }

    /// Every parameter replaced by `x`: what the fixed text is checked with.
    func sample() -> String {
        (try? render { _ in "x" }.get()) ?? text
    }

    public struct MissingParameter: Error, Sendable, Hashable {
        public var parameter: Parameter
    }

    /// A problem of the text, at a character offset (Unicode scalars from its start).
    struct Problem: Sendable, Hashable {
        var offset: Int
        var message: String
    }

    /// The parsed text (nil when it has problems), where each known parameter stands, and
    /// every problem.
    static func parse(_ text: String) -> (
        template: TemplateString?, placed: [(Parameter, offset: Int)], problems: [Problem]
    ) {
        let scalars = Array(text.unicodeScalars)
        var parts: [Part] = []
        var placed: [(Parameter, offset: Int)] = []
        var problems: [Problem] = []
        var literal = String.UnicodeScalarView()
        var i = 0
        func at(_ j: Int, _ c: Unicode.Scalar) -> Bool { j < scalars.count && scalars[j] == c }
        while i < scalars.count {
            guard at(i, "{"), at(i + 1, "{") else {
                literal.append(scalars[i])
                i += 1
                continue
            }
            var end = i + 2
            while end < scalars.count, !(at(end, "}") && at(end + 1, "}")) { end += 1 }
            guard end < scalars.count else {
                problems.append(Problem(offset: i, message: "'{{' is not closed by '}}'"))
                break
            }
            let inside = String(String.UnicodeScalarView(scalars[(i + 2)..<end]))
            let name = inside.trimmingSpaces
            if !literal.isEmpty {
                parts.append(.text(String(literal)))
                literal = String.UnicodeScalarView()
            }
            if let p = Parameter(rawValue: name) {
                parts.append(.parameter(p))
                placed.append((p, i))
            } else {
                problems.append(Problem(offset: i, message: unknown(name)))
            }
            i = end + 2
        }
        if !literal.isEmpty { parts.append(.text(String(literal))) }
        return (problems.isEmpty ? TemplateString(text: text, parts: parts) : nil, placed, problems)
    }

    static func unknown(_ name: String) -> String {
        let all = Parameter.allCases.map(\.rawValue)
        if name.isEmpty { return "'{{}}' names no parameter; expected one of \(all.joined(separator: ", "))" }
        if let near = Suggest.nearest(name, in: all) {
            return "unknown parameter \"\(name)\"; did you mean \"\(near)\"?"
        }
        return "unknown parameter \"\(name)\"; expected one of \(all.joined(separator: ", "))"
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
