import YAML

/// Reads typed fields out of YAML nodes and collects every problem as a `Diagnostic`
/// instead of stopping at the first.
final class FieldReader {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) {
        self.file = file
    }

    func error(_ mark: Mark, _ field: String?, _ message: String) {
        diagnostics.append(Diagnostic(file: file, mark: mark, field: field, message: message))
    }

    /// A mapping's fields by key, after checking that the node is a mapping, that every key is
    /// known and that the required ones are there. `at` is where a missing field is reported.
    func fields(
        _ node: Node, _ path: String, allowed: [String], required: [String] = [],
        inlineSecrets: [String: String] = [:], at anchor: Mark
    ) -> Fields? {
        guard let pairs = node.pairs else {
            error(node.mark, path.isEmpty ? nil : path, "expected a mapping, found \(describe(node))")
            return nil
        }
        var entries: [String: Node.Pair] = [:]
        for pair in pairs {
            let key = pair.key.scalar ?? ""
            let keyPath = join(path, key)
            if allowed.contains(key) {
                entries[key] = pair
            } else if let hint = inlineSecrets[key] {
                error(pair.key.mark, keyPath, hint)
            } else if key == "<<" {
                error(pair.key.mark, keyPath, "merge keys (<<) are not supported; write the fields out")
            } else if let near = Suggest.nearest(key, in: allowed) {
                error(pair.key.mark, keyPath, "unknown field \"\(key)\"; did you mean \"\(near)\"?")
            } else {
                error(
                    pair.key.mark, keyPath,
                    "unknown field \"\(key)\"; expected one of \(allowed.joined(separator: ", "))")
            }
        }
        for name in required where entries[name] == nil {
            error(
                anchor, path.isEmpty ? name : path,
                path.isEmpty
                    ? "required field is missing"
                    : "missing required field \"\(name)\"")
        }
        return Fields(path: path, entries: entries)
    }

    /// A non-empty string scalar. Reports a collection, a null or an empty string.
    func string(_ node: Node, _ path: String) -> String? {
        guard case .scalar(let text, _) = node.content else {
            error(node.mark, path, "expected a string, found \(describe(node))")
            return nil
        }
        if node.isNull || text.isEmpty {
            error(node.mark, path, "must not be empty")
            return nil
        }
        return text
    }

    /// A boolean written `true` or `false` without quotes (YAML 1.2 core schema); `yes`,
    /// `on` and quoted strings are refused rather than guessed at.
    func bool(_ node: Node, _ path: String) -> Bool? {
        guard case .scalar(let text, let style) = node.content else {
            error(node.mark, path, "expected true or false, found \(describe(node))")
            return nil
        }
        // YAML 1.2's core schema: true|True|TRUE, false|False|FALSE (what Jinja renders).
        if style == .plain {
            switch text {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        let shown = style.isQuoted ? "the string \"\(text)\"" : "\"\(text)\""
        error(node.mark, path, "expected true or false (unquoted), found \(shown)")
        return nil
    }

    /// A whole number written in decimal without quotes or a leading zero.
    func integer(_ node: Node, _ path: String, range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let text, let style) = node.content, !node.isNull else {
            error(
                node.mark, path,
                "expected a number from \(range.lowerBound) to \(range.upperBound), found \(describe(node))")
            return nil
        }
        if style != .plain {
            error(node.mark, path, "expected a number, found the string \"\(text)\"; remove the quotes")
            return nil
        }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), text.utf8.count <= 9 else {
            error(
                node.mark, path,
                "expected a whole number from \(range.lowerBound) to \(range.upperBound), found \"\(text)\"")
            return nil
        }
        if text.count > 1 && text.hasPrefix("0") {
            error(
                node.mark, path, "\"\(text)\" has a leading zero (YAML 1.1 reads it as octal); write \(Int(text) ?? 0)")
            return nil
        }
        let value = Int(text)!
        guard range.contains(value) else {
            error(node.mark, path, "\(value) is out of range; expected \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    /// A list's items, or nil (reported) when the node is not a list.
    func list(_ node: Node, _ path: String) -> [Node]? {
        if node.isNull { return [] }
        guard let items = node.items else {
            error(node.mark, path, "expected a list, found \(describe(node))")
            return nil
        }
        return items
    }

    func describe(_ node: Node) -> String {
        switch node.content {
        case .scalar(let text, let style):
            if node.isNull { return "nothing (null)" }
            let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
            return style.isQuoted ? "the string \"\(shown)\"" : "\"\(shown)\""
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

func join(_ path: String, _ key: String) -> String {
    path.isEmpty ? key : "\(path).\(key)"
}

/// The fields of one mapping, by key.
struct Fields {
    let path: String
    let entries: [String: Node.Pair]

    subscript(key: String) -> Node? {
        guard let pair = entries[key] else { return nil }
        return pair.value
    }

    func path(_ key: String) -> String { join(path, key) }

    func keyMark(_ key: String) -> Mark? { entries[key]?.key.mark }
}

/// "did you mean" for near misses: a different case, or an edit distance of at most 2.
public enum Suggest {
    static func nearest(_ word: String, in candidates: [String]) -> String? {
        if let same = candidates.first(where: { $0.lowercased() == word.lowercased() }) { return same }
        var best: (String, Int)?
        for candidate in candidates {
            let d = distance(word.lowercased(), candidate.lowercased(), limit: 2)
            let limit = min(2, max(1, candidate.count / 3))
            if d <= limit && (best == nil || d < best!.1) { best = (candidate, d) }
        }
        return best?.0
    }

    /// The Levenshtein distance between two strings, by characters (case counts). With a
    /// `limit`, lengths further apart than it give `limit + 1` at once (a long word is not
    /// compared in full with every candidate).
    public static func distance(_ a: String, _ b: String, limit: Int? = nil) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        if let limit, abs(a.count - b.count) > limit { return limit + 1 }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
