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
        let place = "\(file):\(line):\(column): \(severity.rawValue): "
        if let field, !field.isEmpty { return place + "\(field): \(message)" }
        return place + message
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
    static let secretKeys: Set<String> = [
        "token", "password", "sshkey", "privatekey", "key", "secret", "apikey", "passphrase",
    ]

    /// A source line with `scheme://user:pass@` and the values of secret keys (`token: x`,
    /// also inside flow mappings: `{token: x, a: b}`) replaced by `***`.
    public static func line(_ line: String) -> String {
        let chars = Array(urls(in: line))
        var out = ""
        var i = 0
        while i < chars.count {
            let boundary = i == 0 || " \t{,-\"'".contains(chars[i - 1])
            guard boundary, chars[i].isLetter else {
                out.append(chars[i])
                i += 1
                continue
            }
            var j = i
            while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
            let word = String(chars[i..<j])
            var k = j
            if k < chars.count, chars[k] == "\"" || chars[k] == "'" { k += 1 }
            out += word
            if k < chars.count, chars[k] == ":", secretKeys.contains(word.lowercased()) {
                out += String(chars[j...k]) + " ***"
                var v = k + 1
                while v < chars.count, chars[v] == " " { v += 1 }
                if v < chars.count, chars[v] == "\"" || chars[v] == "'" {
                    let quote = chars[v]
                    v += 1
                    while v < chars.count, chars[v] != quote { v += chars[v] == "\\" ? 2 : 1 }
                    v = min(v + 1, chars.count)
                } else {
                    while v < chars.count, chars[v] != ",", chars[v] != "}" { v += 1 }
                }
                i = v
            } else {
                i = j
            }
        }
        return out
    }

    /// Every `scheme://userinfo@host` in a text becomes `scheme://***@host`, any other
    /// word shaped like `user:secret@host` (a mistyped URL) becomes `***@host`, and every
    /// query value of a URL (`?private_token=...`, a presigned URL's signature) becomes `***`.
    public static func urls(in text: String) -> String {
        words(in: userinfo(in: schemeURLs(in: text)), queryValues)
    }

    /// `https://h/p?a=1&token=x` -> `https://h/p?a=***&token=***`: query values are where
    /// forges and presigned URLs put credentials, and a repository URL needs none shown.
    public static func queryValues(_ word: String) -> String {
        guard word.contains("://"), let q = word.firstIndex(of: "?") else { return word }
        let fragment = word[q...].firstIndex(of: "#")
        let query = word[word.index(after: q)..<(fragment ?? word.endIndex)]
        let masked = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            if pair.isEmpty { return "" }
            guard let eq = pair.firstIndex(of: "=") else { return "***" }
            return String(pair[...eq]) + "***"
        }.joined(separator: "&")
        return String(word[...q]) + masked + (fragment.map { String(word[$0...]) } ?? "")
    }

    static func words(in text: String, _ transform: (String) -> String) -> String {
        var out = ""
        var word = ""
        for c in text {
            if c == " " || c == "\t" || c == "\"" || c == "'" || c == "\n" {
                out += transform(word)
                word = ""
                out.append(c)
            } else {
                word.append(c)
            }
        }
        return out + transform(word)
    }

    static func userinfo(in text: String) -> String {
        var out = ""
        var word = ""
        func flush() {
            if let at = word.lastIndex(of: "@"), let colon = word.firstIndex(of: ":"), colon < at,
                !word[..<at].hasSuffix("***")
            {
                let schemeEnd = word.firstRange(of: "://")?.upperBound ?? word.startIndex
                let start = schemeEnd < at ? schemeEnd : word.startIndex
                word = String(word[..<start]) + "***" + word[at...]
            }
            out += word
            word = ""
        }
        for c in text {
            if c == " " || c == "\t" || c == "\"" || c == "'" {
                flush()
                out.append(c)
            } else {
                word.append(c)
            }
        }
        flush()
        return out
    }

    static func schemeURLs(in text: String) -> String {
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
