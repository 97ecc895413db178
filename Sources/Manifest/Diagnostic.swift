import YAML

/// One problem found in a file, compiler style:
/// `apps.d/blog.yaml:7:12: error: spec.functions[2].runtime: unknown runtime "node9"; expected one of lua, python, js, docker`
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable {
        case error, warning
    }

    public var file: String
    public var line: Int
    public var column: Int
    public var severity: Severity
    /// The field path (`spec.functions[2].runtime`); nil for problems of the file itself.
    public var field: String?
    public var message: String

    public init(file: String, mark: Mark, severity: Severity = .error, field: String?, message: String) {
        self.file = file
        self.line = mark.line
        self.column = mark.column
        self.severity = severity
        self.field = field
        self.message = message
    }

    public var mark: Mark { Mark(line: line, column: column) }

    public var description: String {
        let where_ = "\(file):\(line):\(column): \(severity.rawValue): "
        if let field, !field.isEmpty { return where_ + "\(field): \(message)" }
        return where_ + message
    }
}

/// The source text behind diagnostics, for a caret snippet under the offending line.
public enum DiagnosticRenderer {
    /// `description` followed by the source line and a caret under the column.
    public static func render(_ diagnostic: Diagnostic, source: [UInt8]?) -> String {
        var out = diagnostic.description
        guard let source, let line = sourceLine(diagnostic.line, in: source) else { return out }
        let shown = String(Redact.line(line).map { $0 == "\t" ? " " : $0 })
        let caretColumn = max(1, min(diagnostic.column, shown.count + 1))
        out += "\n    \(shown)\n    " + String(repeating: " ", count: caretColumn - 1) + "^"
        return out
    }

    static func sourceLine(_ number: Int, in source: [UInt8]) -> String? {
        guard number >= 1 else { return nil }
        var current = 1
        var start = 0
        for (i, b) in source.enumerated() where b == UInt8(ascii: "\n") {
            if current == number {
                return clip(String(decoding: source[start..<i], as: UTF8.self))
            }
            current += 1
            start = i + 1
        }
        if current == number && start <= source.count {
            return clip(String(decoding: source[start...], as: UTF8.self))
        }
        return nil
    }

    private static func clip(_ line: String) -> String? {
        let trimmed = line.hasSuffix("\r") ? String(line.dropLast()) : line
        if trimmed.count > 200 { return String(trimmed.prefix(200)) + "…" }
        return trimmed
    }
}

/// Keeps secrets out of anything shown: URL credentials and the values of secret-looking keys.
public enum Redact {
    static let secretKeys: Set<String> = ["token", "password", "sshkey", "privatekey", "key", "secret", "apikey", "passphrase"]

    /// A source line with `scheme://user:pass@` and `token: value` values replaced by `***`.
    public static func line(_ line: String) -> String {
        var out = urls(in: line)
        let trimmed = out.drop { $0 == " " || $0 == "\t" || $0 == "-" }
        if let colon = trimmed.firstIndex(of: ":") {
            let key = trimmed[..<colon].trimmingCharacters(in: " \"'").lowercased()
            if secretKeys.contains(key) {
                out = String(out[..<colon]) + ": ***"
            }
        }
        return out
    }

    /// Every `scheme://userinfo@host` in a text becomes `scheme://***@host`.
    public static func urls(in text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let r = rest.firstRange(of: "://") {
            result += rest[..<r.upperBound]
            rest = rest[r.upperBound...]
            let end = rest.firstIndex { $0 == "/" || $0 == " " || $0 == "\"" || $0 == "'" } ?? rest.endIndex
            if let at = rest[..<end].lastIndex(of: "@") {
                result += "***"
                rest = rest[at...]
            }
        }
        return result + rest
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
