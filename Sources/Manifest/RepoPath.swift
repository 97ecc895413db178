/// Paths from a repository are bytes, not text: git stores names as bytes, two names that
/// are canonically equivalent Unicode (NFC `café`, NFD `café`) are two files, and a name
/// need not be UTF-8 at all. Swift's `String` compares by canonical equivalence, so the
/// agent never keeps a repository path as raw text: it keeps the **escaped form**, ASCII
/// only, where every byte below 0x20, 0x7F and above, and `%` itself is written `%XX`.
/// Two escaped forms are equal exactly when the bytes are, so dictionaries, sets and
/// sorting behave as bytes do. The bytes come back with `unescape` at the one place they
/// are needed (a file name on disk, a URL, a libgit2 call).
///
/// It also owns the rule for a tree entry's name: what git itself refuses to write into a
/// working tree (git's `verify_path`), judged as bytes.
public enum RepoPath {
    /// The escaped form of raw path bytes (ASCII; `/` stays a separator).
    public static func escape<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        guard bytes.contains(where: needsEscape) else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 8)
        for b in bytes {
            if needsEscape(b) {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 15)])
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The escaped form of a path written as text (a manifest's codeFile, static.dir...):
    /// its UTF-8 bytes exactly as written, no normalization.
    public static func escape(text: String) -> String { escape(Array(text.utf8)) }

    /// The raw bytes of an escaped form. Text without `%` is its own UTF-8 bytes.
    public static func unescape(_ escaped: String) -> [UInt8] {
        let utf8 = escaped.utf8
        guard utf8.contains(UInt8(ascii: "%")) else { return Array(utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var it = Array(utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "%"), it.count >= 2, let hi = value(it[it.startIndex]),
                let lo = value(it[it.startIndex + 1])
            {
                out.append(hi << 4 | lo)
                it = it.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return out
    }

    /// A readable form for messages: the bytes as UTF-8 where they are valid, else the
    /// escaped form.
    public static func display(_ escaped: String) -> String {
        let bytes = unescape(escaped)
        if !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }), let text = String(validating: bytes, as: UTF8.self) {
            return text
        }
        return escaped
    }

    /// Why git would refuse this tree entry name in a working tree, or nil when it is fine:
    /// empty, `.`, `..`, `.git` in any case (and the forms NTFS and HFS+ would read as it:
    /// trailing dots and spaces, `git~1`), or containing `/` or NUL.
    public static func entryNameProblem<C: Collection>(_ name: C) -> String? where C.Element == UInt8 {
        if name.isEmpty { return "an empty name" }
        if name.contains(0) { return "a name containing NUL" }
        if name.contains(UInt8(ascii: "/")) { return "a name containing '/'" }
        let bytes = Array(name)
        if bytes == [46] { return "the name '.'" }
        if bytes == [46, 46] { return "the name '..'" }
        // `.git` in any case, with trailing dots or spaces (NTFS drops them).
        var trimmed = bytes[...]
        while let last = trimmed.last, last == UInt8(ascii: ".") || last == UInt8(ascii: " ") {
            trimmed = trimmed.dropLast()
        }
        if trimmed.count == 4, lower(trimmed) == Array(".git".utf8) { return "the name '.git'" }
        if lower(bytes[...]) == Array("git~1".utf8) { return "the name 'git~1' (.git on NTFS)" }
        // HFS+ ignores some zero-width characters: ".g\u{200C}it" is .git there.
        let withoutIgnorable = stripHFSIgnorable(bytes)
        if withoutIgnorable.count != bytes.count, lower(withoutIgnorable[...]) == Array(".git".utf8) {
            return "a name HFS+ reads as '.git'"
        }
        return nil
    }

    /// The first problem of an escaped relative path's components (`a/b/c`), or nil.
    public static func pathProblem(_ escaped: String) -> String? {
        let bytes = unescape(escaped)
        if bytes.isEmpty { return "an empty path" }
        for component in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if let problem = entryNameProblem(component) { return problem }
        }
        return nil
    }

    static let hex = Array("0123456789ABCDEF".utf8)

    static func needsEscape(_ b: UInt8) -> Bool { b < 0x20 || b >= 0x7F || b == UInt8(ascii: "%") }

    static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }

    static func lower(_ s: ArraySlice<UInt8>) -> [UInt8] {
        s.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
    }

    /// Removes the UTF-8 encodings of the code points HFS+ ignores (U+200C-U+200F,
    /// U+202A-U+202E, U+206A-U+206F, U+FEFF), as git's `is_hfs_dotgit` does.
    static func stripHFSIgnorable(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if i + 2 < bytes.count {
                let (a, b, c) = (bytes[i], bytes[i + 1], bytes[i + 2])
                let ignorable =
                    (a == 0xE2 && b == 0x80 && (0x8C...0x8F).contains(c))
                    || (a == 0xE2 && b == 0x80 && (0xAA...0xAE).contains(c))
                    || (a == 0xE2 && b == 0x81 && (0xAA...0xAF).contains(c))
                    || (a == 0xEF && b == 0xBB && c == 0xBF)
                if ignorable {
                    i += 3
                    continue
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return out
    }
}
