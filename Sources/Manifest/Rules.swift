/// The value rules shared by registrations and manifests. Each returns nil when the value
/// is fine, or the problem as "what is wrong; what is allowed".
public enum Rules {
    /// A DNS label (RFC 1123): lowercase letters, digits and '-', starting and ending with
    /// a letter or digit, at most 63 characters.
    public static func dnsLabelProblem(_ s: String) -> String? {
        if s.utf8.count > 63 { return "\"\(s)\" is \(s.utf8.count) characters; at most 63 are allowed" }
        let bytes = Array(s.utf8)
        let ok = !bytes.isEmpty && bytes.allSatisfy { isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") }
        if ok && bytes.first != UInt8(ascii: "-") && bytes.last != UInt8(ascii: "-") { return nil }
        var hint = "use lowercase letters, digits and '-', starting and ending with a letter or digit"
        if s.lowercased() != s && dnsLabelProblem(s.lowercased()) == nil { hint += " (\"\(s.lowercased())\")" }
        return "\"\(s)\" is not a DNS label; \(hint)"
    }

    /// A label key as Kubernetes has it: an optional DNS-subdomain prefix and `/`, then a
    /// name of at most 63 characters, alphanumeric at both ends, `-`, `_`, `.` inside.
    public static func labelKeyProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let name = parts.last ?? ""
        if parts.count == 2 {
            let prefix = parts[0]
            let labels = prefix.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if prefix.utf8.count > 253 || labels.contains(where: { dnsLabelProblem($0) != nil }) {
                return
                    "the label key prefix \"\(prefix)\" is not a DNS subdomain (lowercase letters, digits, '-' and '.', at most 253 characters)"
            }
        }
        if name.isEmpty { return "the label key \"\(key)\" has no name" }
        if let problem = labelValueProblem(name) {
            return "the label key " + problem.dropFirst("the label value ".count)
        }
        return nil
    }

    /// A label value: empty, or at most 63 characters, alphanumeric at both ends, `-`,
    /// `_`, `.` inside.
    public static func labelValueProblem(_ value: String) -> String? {
        if value.isEmpty { return nil }
        let bytes = Array(value.utf8)
        func alnum(_ b: UInt8) -> Bool { isLower(b) || isDigit(b) || (b >= 65 && b <= 90) }
        let ok =
            bytes.count <= 63 && alnum(bytes.first!) && alnum(bytes.last!)
            && bytes.allSatisfy {
                alnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
            }
        return ok
            ? nil
            : "the label value \"\(value)\" is not valid: at most 63 characters, letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
    }

    /// A duration as `90s`, `5m`, `1h`, `1h30m`: whole numbers each followed by h, m or s,
    /// units in that order, each at most once. Returns seconds.
    public static func parseDuration(_ s: String) -> Int? {
        var total = 0
        var number = 0
        var digits = 0
        var lastUnit = 0  // 3 = h, 2 = m, 1 = s; units must decrease
        var any = false
        for b in s.utf8 {
            if isDigit(b) {
                digits += 1
                if digits > 9 { return nil }
                number = number * 10 + Int(b - 48)
                continue
            }
            let unit: Int
            let factor: Int
            switch b {
            case UInt8(ascii: "h"):
                unit = 3
                factor = 3600
            case UInt8(ascii: "m"):
                unit = 2
                factor = 60
            case UInt8(ascii: "s"):
                unit = 1
                factor = 1
            default: return nil
            }
            if digits == 0 || (lastUnit != 0 && unit >= lastUnit) { return nil }
            total += number * factor
            lastUnit = unit
            number = 0
            digits = 0
            any = true
        }
        if digits != 0 || !any { return nil }
        return total
    }

    /// A size as `500MiB`, `2GiB`, `64KiB`, `1G`, `800M`, or bytes: 1024-based. Returns bytes.
    public static func parseSize(_ s: String) -> Int? {
        let digits = s.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 12, let number = Int(digits) else { return nil }
        let factor: Int
        switch s.dropFirst(digits.count).lowercased() {
        case "", "b": factor = 1
        case "k", "kib", "kb": factor = 1 << 10
        case "m", "mib", "mb": factor = 1 << 20
        case "g", "gib", "gb": factor = 1 << 30
        default: return nil
        }
        return number * factor
    }

    /// A path inside the repository: relative, no empty or NUL characters, and no `..`
    /// that climbs above the root. Returns the problem, or nil.
    public static func repoRelativePathProblem(_ path: String) -> String? {
        if path.utf8.contains(0) { return "\"\(path)\" contains a NUL character" }
        if path.hasPrefix("/") { return "\"\(path)\" is an absolute path; write it relative to the repository folder" }
        if path.contains("\\") { return "\"\(path)\" contains a backslash; use '/' between folders" }
        if normalizeRelative(path) == nil {
            return "\"\(path)\" climbs out of the repository folder with '..'; paths must stay inside it"
        }
        return nil
    }

    /// `./a/../b/` -> `b`; `.` -> `.`; nil when `..` climbs above the start.
    public static func normalizeRelative(_ path: String) -> String? {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if parts.isEmpty { return nil }
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// A function path: starts with '/', at least one segment, no empty, '.' or '..'
    /// segment, URL-safe characters only, at most 1024 bytes.
    public static func functionPathProblem(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return "\"\(path)\" must start with '/'" }
        if path.utf8.count > 1024 { return "path is \(path.utf8.count) bytes; at most 1024 are allowed" }
        if path == "/" { return "\"/\" names no function; write a path such as /api/hello" }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        for segment in segments {
            if segment.isEmpty { return "\"\(path)\" has an empty segment ('//' or a trailing '/')" }
            if segment == "." || segment == ".." {
                return "\"\(path)\" has a '\(segment)' segment; paths may not climb"
            }
            for b in segment.utf8 where !isPathByte(b) {
                return "\"\(path)\" contains \(describeByte(b)); use letters, digits and - . _ ~ only (and %XX escapes)"
            }
            // An escape must not stand for what the path may not contain itself: a proxy
            // that decodes before it routes would read `%2e%2e` as `..`, `%2f` as `/`.
            let bytes = Array(segment.utf8)
            var i = 0
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "%") {
                    guard i + 2 < bytes.count,
                        let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2])
                    else {
                        return "\"\(path)\" has a '%' that is not followed by two hex digits"
                    }
                    let decoded = hi << 4 | lo
                    if decoded == UInt8(ascii: ".") || decoded == UInt8(ascii: "/") || decoded == UInt8(ascii: "\\")
                        || decoded == UInt8(ascii: "%") || decoded < 0x20 || decoded == 0x7F
                    {
                        return
                            "\"\(path)\" escapes \(describeByte(decoded)) as %\(String(format2: decoded)); write it plainly or not at all (a proxy that decodes paths would route it elsewhere)"
                    }
                    i += 3
                } else {
                    i += 1
                }
            }
        }
        return nil
    }

    /// Git's ref name rules (git check-ref-format) for a branch name.
    public static func branchProblem(_ name: String) -> String? {
        let bad = "\"\(name)\" is not a valid branch name"
        if name.hasPrefix("refs/") {
            return
                "\(bad); write the branch name alone (\"\(name.split(separator: "/").dropFirst(2).joined(separator: "/"))\")"
        }
        if name.hasPrefix("-") || name.hasPrefix("/") || name.hasSuffix("/") || name.hasSuffix(".")
            || name.hasSuffix(".lock") || name.contains("..") || name.contains("//") || name.contains("@{")
            || name == "@"
        {
            return bad
        }
        for b in name.utf8 where b < 0x20 || b == 0x7F || " ~^:?*[\\".utf8.contains(b) {
            return "\(bad): it contains \(describeByte(b))"
        }
        for part in name.split(separator: "/") where part.hasPrefix(".") {
            return "\(bad): a component starts with '.'"
        }
        return nil
    }

    /// An application set's `pathPrefix` once rendered: `/` and at most 8 segments, each a
    /// DNS label (so that it is as safe in a function path as in a storage folder), at
    /// most 256 bytes.
    public static func pathPrefixProblem(_ prefix: String) -> String? {
        guard prefix.hasPrefix("/") else { return "\"\(prefix)\" must start with '/'" }
        if prefix == "/" { return "\"/\" adds nothing; write a prefix such as /preview/feat-x, or none" }
        if prefix.utf8.count > 256 { return "\"\(prefix)\" is \(prefix.utf8.count) bytes; at most 256 are allowed" }
        let segments = prefix.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if segments.count > 8 { return "\"\(prefix)\" has \(segments.count) segments; at most 8 are allowed" }
        for segment in segments {
            if segment.isEmpty { return "\"\(prefix)\" has an empty segment ('//' or a trailing '/')" }
            if segment == "." || segment == ".." {
                return "\"\(prefix)\" has a '\(segment)' segment; a prefix may not climb"
            }
            if dnsLabelProblem(String(segment)) != nil {
                return
                    "\"\(prefix)\" has the segment \"\(segment)\"; each segment is a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63)"
            }
        }
        return nil
    }

    static func hexValue(_ c: UInt8) -> UInt8? { RepoPath.value(c) }

    static func isLower(_ b: UInt8) -> Bool { b >= 97 && b <= 122 }
    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    static func isPathByte(_ b: UInt8) -> Bool {
        isLower(b) || isDigit(b) || (b >= 65 && b <= 90) || "-._~%@:+,=!$&'()*;".utf8.contains(b)
    }

    static func describeScalar(_ c: Unicode.Scalar) -> String {
        c.isASCII ? describeByte(UInt8(c.value)) : "a non-ASCII character"
    }

    static func describeByte(_ b: UInt8) -> String {
        switch b {
        case UInt8(ascii: " "): return "a space"
        case 0..<0x20, 0x7F: return "a control character"
        case 0x80...: return "a non-ASCII character"
        default: return "'\(Character(UnicodeScalar(b)))'"
        }
    }
}

extension String {
    /// Two uppercase hex digits.
    init(format2 byte: UInt8) {
        let hex = Array("0123456789ABCDEF")
        self = String([hex[Int(byte >> 4)], hex[Int(byte & 15)]])
    }
}
