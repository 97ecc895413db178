import Crypto

/// Names made from values that are not names: branch names, folders, pull request numbers.
public enum Slug {
    /// The longest slug; a longer one is cut and given a hash suffix.
    public static let maxLength = 40

    /// A DNS-label fragment of `value`: lowercased; every run of characters other than
    /// `a-z` and `0-9` becomes one `-`; no `-` at either end. Over 40 characters it is cut
    /// to 33 and ends with `-` and the value's short hash (`feature-a-very-long-branch-name-th-1a2b3c`);
    /// a value with nothing left (`日本`) is its short hash alone. Stable: the same value
    /// always gives the same slug; a slug is its own slug.
    public static func make(_ value: String) -> String {
        var out = ""
        var dash = false
        for c in value.lowercased().unicodeScalars {
            if (c >= "a" && c <= "z") || (c >= "0" && c <= "9") {
                if dash && !out.isEmpty { out += "-" }
                out.unicodeScalars.append(c)
                dash = false
            } else {
                dash = true
            }
        }
        if out.isEmpty { return shortHash(value) }
        if out.count <= maxLength { return out }
        return suffixed(out, hashOf: value, maxLength: maxLength)
    }

    /// `text` cut so that `-` and the short hash of `hashOf` fit in `maxLength`, without a
    /// `-` before the suffix's own.
    public static func suffixed(_ text: String, hashOf: String, maxLength: Int) -> String {
        let hash = shortHash(hashOf)
        var head = String(text.prefix(maxLength - hash.count - 1))
        while head.hasSuffix("-") { head.removeLast() }
        return head.isEmpty ? hash : head + "-" + hash
    }

    /// The first 6 hex digits of the SHA-256 of the value's UTF-8 bytes.
    public static func shortHash(_ value: String) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        for byte in SHA256.hash(data: Array(value.utf8)).prefix(3) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return out
    }
}
