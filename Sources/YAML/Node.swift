/// A position in a YAML text: 1-based line and column (columns count characters).
public struct Mark: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static let start = Mark(line: 1, column: 1)

    public static func < (a: Mark, b: Mark) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// How a scalar was written. The model uses it to interpret values deliberately:
/// `true` unquoted is a boolean, `"true"` is a string.
public enum ScalarStyle: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded

    public var isQuoted: Bool { self == .singleQuoted || self == .doubleQuoted }
}

/// One node of a YAML document. Aliases are resolved: an alias becomes a copy of the
/// anchored node (value semantics, no sharing visible to callers).
public struct Node: Sendable {
    public struct Pair: Sendable {
        public var key: Node
        public var value: Node
    }

    public enum Content: Sendable {
        case scalar(String, ScalarStyle)
        case sequence([Node])
        case mapping([Pair])
    }

    public var content: Content
    public var mark: Mark
    /// An explicit tag (`!!str`, `!custom`), if any.
    public var tag: String?
    /// How many nodes this subtree stands for once aliases are expanded.
    public internal(set) var weight: Int

    public init(_ content: Content, mark: Mark, tag: String? = nil) {
        self.content = content
        self.mark = mark
        self.tag = tag
        switch content {
        case .scalar: weight = 1
        case .sequence(let items): weight = items.reduce(1) { $0 + $1.weight }
        case .mapping(let pairs): weight = pairs.reduce(1) { $0 + $1.key.weight + $1.value.weight }
        }
    }

    /// The scalar's text, or nil for a collection.
    public var scalar: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }

    public var style: ScalarStyle? {
        if case .scalar(_, let style) = content { return style }
        return nil
    }

    /// A plain scalar that YAML reads as null: empty, `~`, `null`.
    public var isNull: Bool {
        guard case .scalar(let text, .plain) = content, tag == nil else { return false }
        return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    public var pairs: [Pair]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    public var items: [Node]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    /// The value for a scalar key in a mapping.
    public subscript(key: String) -> Node? {
        pairs?.first(where: { $0.key.scalar == key })?.value
    }

    /// "a string", "a mapping", ... for messages.
    public var kindDescription: String {
        switch content {
        case .scalar: return isNull ? "nothing (null)" : "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}
