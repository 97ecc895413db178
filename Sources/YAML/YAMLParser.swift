import CYAML

/// A problem reading YAML: what went wrong and where.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var mark: Mark

    public init(_ message: String, at mark: Mark) {
        self.message = message
        self.mark = mark
    }

    public var description: String { "\(mark): \(message)" }
}

/// Bounds that keep hostile input from costing memory or stack.
public struct YAMLLimits: Sendable {
    /// Largest input accepted, in bytes.
    public var maxBytes: Int
    /// Deepest nesting of lists and mappings.
    public var maxDepth: Int
    /// Most nodes a document may stand for once aliases are expanded.
    public var maxNodes: Int

    public init(maxBytes: Int = 1 << 20, maxDepth: Int = 64, maxNodes: Int = 100_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
    }

    public static let `default` = YAMLLimits()
}

/// Parses one YAML document with libyaml into a `Node` tree.
public enum YAMLParser {
    public static func parse(_ text: String, limits: YAMLLimits = .default) throws(YAMLError) -> Node {
        try parse(Array(text.utf8), limits: limits)
    }

    public static func parse(_ bytes: [UInt8], limits: YAMLLimits = .default) throws(YAMLError) -> Node {
        if bytes.count > limits.maxBytes {
            throw YAMLError(
                "file is \(bytes.count) bytes, over the limit of \(limits.maxBytes) bytes (\(limits.maxBytes / 1024) KiB)",
                at: .start)
        }
        if bytes.isEmpty {
            throw YAMLError("file is empty", at: .start)
        }
        if let bad = firstInvalidUTF8(bytes) {
            throw YAMLError(
                "invalid UTF-8 (byte 0x\(String(bytes[bad], radix: 16, uppercase: true)) at offset \(bad)); save the file as UTF-8",
                at: mark(ofOffset: bad, in: bytes))
        }
        var builder = TreeBuilder(bytes: bytes, limits: limits)
        return try builder.run()
    }

    /// The byte offset of the first byte that is not part of a valid UTF-8 sequence.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 {
                i += 1
                continue
            }
            let length: Int
            let minimum: UInt32
            var scalar: UInt32
            switch b {
            case 0xC2...0xDF:
                length = 2
                minimum = 0x80
                scalar = UInt32(b & 0x1F)
            case 0xE0...0xEF:
                length = 3
                minimum = 0x800
                scalar = UInt32(b & 0x0F)
            case 0xF0...0xF4:
                length = 4
                minimum = 0x10000
                scalar = UInt32(b & 0x07)
            default: return i
            }
            if i + length > n { return i }
            for k in 1..<length {
                let c = bytes[i + k]
                if c & 0xC0 != 0x80 { return i }
                scalar = (scalar << 6) | UInt32(c & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return i }
            i += length
        }
        return nil
    }

    /// Line and column (in characters) of a byte offset.
    static func mark(ofOffset offset: Int, in bytes: [UInt8]) -> Mark {
        var line = 1
        var column = 1
        var i = 0
        while i < offset && i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        return Mark(line: line, column: column)
    }
}

/// Turns the libyaml event stream into nodes with an explicit stack (no recursion, so no
/// stack overflow however deep the input), enforcing the limits as it goes.
private struct TreeBuilder {
    let bytes: [UInt8]
    let limits: YAMLLimits

    /// A collection being built. A class, so that appending to it never copies the
    /// items gathered so far (an enum payload would be copied on every append).
    final class Frame {
        let isMapping: Bool
        let mark: Mark
        let tag: String?
        let anchor: String?
        var items: [Node] = []
        var pairs: [Node.Pair] = []
        var keys: [String: Int] = [:]  // key -> line, for duplicate detection
        var pendingKey: Node?

        init(isMapping: Bool, mark: Mark, tag: String?, anchor: String?) {
            self.isMapping = isMapping
            self.mark = mark
            self.tag = tag
            self.anchor = anchor
        }
    }

    var stack: [Frame] = []
    var anchors: [String: Node] = [:]
    var expanded = 0
    var root: Node?
    var documents = 0
    var aliases = 0

    init(bytes: [UInt8], limits: YAMLLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    mutating func run() throws(YAMLError) -> Node {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw YAMLError("libyaml could not initialize (out of memory)", at: .start)
        }
        defer { yaml_parser_delete(&parser) }
        let result: Result<Node, YAMLError> = bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            do throws(YAMLError) {
                return .success(try loop(&parser))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private mutating func loop(_ parser: inout yaml_parser_t) throws(YAMLError) -> Node {
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else {
                throw syntaxError(parser)
            }
            defer { yaml_event_delete(&event) }
            let mark = Mark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                guard let root else {
                    throw YAMLError("file has no content (only comments or blank lines)", at: .start)
                }
                return root
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    throw YAMLError(
                        "more than one YAML document (a second one starts here); put one document in each file",
                        at: mark)
                }
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                let text = String(decoding: UnsafeBufferPointer(start: s.value, count: Int(s.length)), as: UTF8.self)
                let style: ScalarStyle
                switch s.style {
                case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
                case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
                case YAML_LITERAL_SCALAR_STYLE: style = .literal
                case YAML_FOLDED_SCALAR_STYLE: style = .folded
                default: style = .plain
                }
                let node = Node(.scalar(text, style), mark: mark, tag: string(s.tag))
                try count(1, at: mark)
                try add(node, anchor: string(s.anchor))
            case YAML_ALIAS_EVENT:
                let name = string(event.data.alias.anchor) ?? ""
                guard var node = anchors[name] else {
                    throw YAMLError("alias *\(name) refers to no anchor &\(name) defined before it", at: mark)
                }
                aliases += 1
                try count(node.weight, at: mark)
                node.mark = mark
                try add(node, anchor: nil)
            case YAML_SEQUENCE_START_EVENT:
                let s = event.data.sequence_start
                try push(Frame(isMapping: false, mark: mark, tag: string(s.tag), anchor: string(s.anchor)), at: mark)
            case YAML_MAPPING_START_EVENT:
                let m = event.data.mapping_start
                try push(Frame(isMapping: true, mark: mark, tag: string(m.tag), anchor: string(m.anchor)), at: mark)
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let frame = stack.removeLast()
                let content: Node.Content = frame.isMapping ? .mapping(frame.pairs) : .sequence(frame.items)
                try add(Node(content, mark: frame.mark, tag: frame.tag), anchor: frame.anchor)
            default:
                break
            }
        }
    }

    private mutating func push(_ frame: Frame, at mark: Mark) throws(YAMLError) {
        if stack.count >= limits.maxDepth {
            throw YAMLError("nesting is deeper than \(limits.maxDepth) levels", at: mark)
        }
        try count(1, at: mark)
        stack.append(frame)
    }

    private mutating func count(_ n: Int, at mark: Mark) throws(YAMLError) {
        expanded += n
        if expanded > limits.maxNodes {
            throw YAMLError(
                aliases > 0
                    ? "document expands to more than \(limits.maxNodes) nodes (aliases included); is it an alias bomb?"
                    : "document has more than \(limits.maxNodes) nodes", at: mark)
        }
    }

    private mutating func add(_ node: Node, anchor: String?) throws(YAMLError) {
        if let anchor { anchors[anchor] = node }
        guard let top = stack.last else {
            root = node
            return
        }
        if !top.isMapping {
            top.items.append(node)
        } else if let key = top.pendingKey {
            top.pairs.append(Node.Pair(key: key, value: node))
            top.pendingKey = nil
        } else {
            guard let text = node.scalar else {
                throw YAMLError("a mapping key must be a plain value, not \(node.kindDescription)", at: node.mark)
            }
            if let line = top.keys[text] {
                throw YAMLError("duplicate key \"\(text)\" (first at line \(line))", at: node.mark)
            }
            top.keys[text] = node.mark.line
            top.pendingKey = node
        }
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    private func syntaxError(_ parser: yaml_parser_t) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        var mark: Mark
        if parser.error == YAML_READER_ERROR {
            mark = YAMLParser.mark(ofOffset: Int(parser.problem_offset), in: bytes)
        } else {
            mark = Mark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
        }
        var message = "YAML syntax: \(problem)"
        if let context = parser.context.map({ String(cString: $0) }) {
            message += " (\(context) at line \(parser.context_mark.line + 1), column \(parser.context_mark.column + 1))"
        }
        if mark.line < 1 { mark = .start }
        return YAMLError(message, at: mark)
    }
}
