/// A few members of a JSON object read without decoding the rest: the status feed and
/// the REST list learn a status document's namespace, status and labels on every write
/// (at 1,000 applications a poll round, `JSONDecoder` building the whole document twice
/// was ~15% of the round's CPU). Only the top level is looked at (a nested `namespace` is
/// not the document's); the rest is skipped, checking its structure as it goes.
///
/// nil whenever the bytes are not a well-formed object or a wanted member is not of the
/// wanted shape, or holds a `\u` escape: the caller then decodes with `JSONDecoder`,
/// which has the last word.
public enum TopLevelJSON {
    public struct Fields: Sendable, Equatable {
        public var strings: [String: String] = [:]
        public var objects: [String: [String: String]] = [:]
    }

    /// The string members named in `strings` and the objects of strings named in `objects`
    /// (absent ones are absent; `null` counts as absent).
    public static func fields(_ bytes: [UInt8], strings: Set<String>, objects: Set<String> = []) -> Fields? {
        var scanner = Scanner(bytes: bytes)
        var fields = Fields()
        var seen = Set<String>()
        guard scanner.take(UInt8(ascii: "{")) else { return nil }
        var first = true
        while true {
            scanner.skipSpace()
            if scanner.peek == UInt8(ascii: "}") {
                scanner.index += 1
                break
            }
            if !first { guard scanner.take(UInt8(ascii: ",")) else { return nil } }
            first = false
            // The key compared where it lies (most keys are not wanted: no copy made).
            scanner.skipSpace()
            let keyStart = scanner.index + 1
            guard scanner.skipString(), scanner.take(UInt8(ascii: ":")) else { return nil }
            let key = bytes[keyStart..<scanner.index - 1].lastIndex(of: UInt8(ascii: "\"")).map {
                bytes[keyStart..<$0]
            }
            // An escape, or a byte past ASCII (the decoder checks UTF-8 and compares
            // canonically): left to the decoder.
            guard let key, !key.contains(where: { $0 == UInt8(ascii: "\\") || $0 >= 0x80 }) else { return nil }
            let wantedString = strings.first(where: { key.elementsEqual($0.utf8) })
            let wantedObject = wantedString == nil ? objects.first(where: { key.elementsEqual($0.utf8) }) : nil
            // A wanted key twice: the decoder keeps the first, a null one included.
            if let name = wantedString ?? wantedObject, !seen.insert(name).inserted { return nil }
            scanner.skipSpace()
            if scanner.peekLiteral("null") {
                scanner.index += 4
                continue
            }
            if let name = wantedString {
                guard let value = scanner.string() else { return nil }
                fields.strings[name] = value
            } else if let name = wantedObject {
                guard let value = scanner.flatObject() else { return nil }
                fields.objects[name] = value
            } else {
                guard scanner.skipValue(depth: 0) else { return nil }
            }
        }
        scanner.skipSpace()
        return scanner.index == bytes.count ? fields : nil
    }

    struct Scanner {
        let bytes: [UInt8]
        var index = 0

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while let b = peek, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { index += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard peek == byte else { return false }
            index += 1
            return true
        }

        func peekLiteral(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            return literal.withUTF8Buffer { bytes[index..<index + count].elementsEqual($0) }
        }

        /// A string with its simple escapes decoded; nil for `\u` (left to JSONDecoder) or
        /// a malformed string.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            var out: [UInt8] = []
            while let b = peek {
                index += 1
                switch b {
                case UInt8(ascii: "\""): return String(validating: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard let e = peek else { return nil }
                    index += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    default: return nil
                    }
                case 0..<0x20: return nil
                default: out.append(b)
                }
            }
            return nil
        }

        /// `{"k": "v", ...}` with string values only.
        mutating func flatObject() -> [String: String]? {
            guard take(UInt8(ascii: "{")) else { return nil }
            var out: [String: String] = [:]
            skipSpace()
            if peek == UInt8(ascii: "}") {
                index += 1
                return out
            }
            while true {
                guard let key = string(), take(UInt8(ascii: ":")), let value = string(), out[key] == nil else {
                    return nil  // a key twice (or canonically equal): left to the decoder
                }
                out[key] = value
                if take(UInt8(ascii: ",")) { continue }
                return take(UInt8(ascii: "}")) ? out : nil
            }
        }

        /// Skips one value, checking its structure (strings, literals, numbers, nesting up
        /// to 64 levels).
        mutating func skipValue(depth: Int) -> Bool {
            guard depth < 64 else { return false }
            skipSpace()
            guard let b = peek else { return false }
            switch b {
            case UInt8(ascii: "\""): return skipString()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let close = b == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                index += 1
                skipSpace()
                if peek == close {
                    index += 1
                    return true
                }
                while true {
                    if close == UInt8(ascii: "}") {
                        guard skipString(), take(UInt8(ascii: ":")) else { return false }
                    }
                    guard skipValue(depth: depth + 1) else { return false }
                    if take(UInt8(ascii: ",")) { continue }
                    return take(close)
                }
            case UInt8(ascii: "t"): return skipLiteral("true")
            case UInt8(ascii: "f"): return skipLiteral("false")
            case UInt8(ascii: "n"): return skipLiteral("null")
            default: return skipNumber()
            }
        }

        mutating func skipLiteral(_ literal: StaticString) -> Bool {
            guard peekLiteral(literal) else { return false }
            index += literal.utf8CodeUnitCount
            return true
        }

        mutating func skipString() -> Bool {
            skipSpace()
            guard peek == UInt8(ascii: "\"") else { return false }
            index += 1
            while let b = peek {
                index += 1
                if b == UInt8(ascii: "\"") { return true }
                if b < 0x20 { return false }
                if b == UInt8(ascii: "\\") {
                    guard peek != nil else { return false }
                    index += 1
                }
            }
            return false
        }

        /// `-?digits(.digits)?([eE][+-]?digits)?`
        mutating func skipNumber() -> Bool {
            func digits() -> Int {
                let start = index
                while let b = peek, b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") { index += 1 }
                return index - start
            }
            if peek == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return false }
            if peek == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { return false }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                index += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { return false }
            }
            return true
        }
    }
}
