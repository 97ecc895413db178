import Foundation
import TestSupport
import Testing
import Toolkit

/// `UnifiedDiff` against the system's `diff -u` (GNU diffutils) and `git apply`.
@Suite struct UnifiedDiffTests {
    func ours(_ old: String, _ new: String) -> String {
        let diff = UnifiedDiff(old: Array(old.utf8), new: Array(new.utf8))!
        return diff.rendered().map { String(decoding: $0.bytes, as: UTF8.self) + "\n" }.joined()
    }

    @Test(arguments: [
        ("same\n", "same\n", ""),
        ("", "a\nb\n", "@@ -0,0 +1,2 @@\n+a\n+b\n"),
        ("a\nb\n", "", "@@ -1,2 +0,0 @@\n-a\n-b\n"),
        ("a", "a\n", "@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n"),
        (
            "1\n2\n3\n4\n5\n", "1\n2\nthree\n4\n5",
            "@@ -1,5 +1,5 @@\n 1\n 2\n-3\n+three\n 4\n-5\n+5\n\\ No newline at end of file\n"
        ),
        // Six unchanged lines between two changes: one hunk; seven: two.
        (
            "a\n1\n2\n3\n4\n5\n6\nb\n", "A\n1\n2\n3\n4\n5\n6\nB\n",
            "@@ -1,8 +1,8 @@\n-a\n+A\n 1\n 2\n 3\n 4\n 5\n 6\n-b\n+B\n"
        ),
        (
            "a\n1\n2\n3\n4\n5\n6\n7\nb\n", "A\n1\n2\n3\n4\n5\n6\n7\nB\n",
            "@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n@@ -6,4 +6,4 @@\n 5\n 6\n 7\n-b\n+B\n"
        ),
        // A run of equal lines: the deletion slides to the last place, as diff puts it.
        ("x\na\na\na\ny\n", "x\na\na\ny\n", "@@ -1,5 +1,4 @@\n x\n a\n a\n-a\n y\n"),
        ("0\n0\n2\n1\n1\n0\n", "0\n2\n1\n0\n", "@@ -1,6 +1,4 @@\n 0\n-0\n 2\n 1\n-1\n 0\n"),
        ("0\n2\n1\n0\n", "0\n0\n2\n1\n1\n0\n", "@@ -1,4 +1,6 @@\n 0\n+0\n 2\n 1\n+1\n 0\n"),
        // ... unless a place on the way joins it with the other side's change: one group.
        ("a\nx\nx\nb\n", "a\nx\nc\nb\n", "@@ -1,4 +1,4 @@\n a\n x\n-x\n+c\n b\n"),
        ("a\nx\nx\nx\nb\n", "a\nc\nx\nx\nb\n", "@@ -1,5 +1,5 @@\n a\n-x\n+c\n x\n x\n b\n"),
    ])
    func knownCases(old: String, new: String, expected: String) throws {
        #expect(ours(old, new) == expected)
        #expect(try gnu(old, new) == expected, "the expectation is diff's own")
    }

    /// Lines that are unique within each file (so that one shortest script exists): the
    /// same hunks, byte for byte, as `diff -u`.
    @Test func sameHunksAsDiffUtils() throws {
        let rng = Xorshift(seed: 0x5EED_D1FF)
        for round in 0..<300 {
            let old = (0..<rng.int(40)).map { "line \($0)" }
            let new = rng.edited(old, edits: rng.int(9)) { "new \($0)" }
            let (a, b) = (text(old, newline: rng.int(5) != 0), text(new, newline: rng.int(5) != 0))
            let expected = try gnu(a, b)
            #expect(ours(a, b) == expected, "round \(round): \(old) -> \(new)")
            if ours(a, b) != expected { return }
        }
    }

    /// Lines drawn from a few values (many shortest scripts): as short as
    /// `diff --minimal`'s, and `git apply` turns the old text into the new with it.
    @Test func shortestAndAppliesWhereLinesRepeat() throws {
        let rng = Xorshift(seed: 0xC0FF_EE42)
        let dir = try TempDir("zg-unidiff")
        for round in 0..<200 {
            let kinds = 2 + rng.int(6)
            var old = (0..<rng.int(30)).map { _ in "v\(rng.int(kinds))" }
            let new = rng.edited(old, edits: rng.int(8)) { _ in "v\(rng.int(kinds))" }
            if rng.int(3) == 0 { old = (0..<rng.int(30)).map { _ in "v\(rng.int(kinds))" } }
            let (a, b) = (text(old, newline: rng.int(5) != 0), text(new, newline: rng.int(5) != 0))
            let diff = UnifiedDiff(old: Array(a.utf8), new: Array(b.utf8))!
            let minimal = try gnu(a, b, ["--minimal"]).split(separator: "\n").filter {
                $0.hasPrefix("-") || $0.hasPrefix("+")
            }
            #expect(diff.addedLines + diff.removedLines == minimal.count, "round \(round): \(old) -> \(new)")
            guard a != b else {
                #expect(diff.isEmpty)
                continue
            }
            try dir.write("f", a)
            try dir.write("f.patch", "--- a/f\n+++ b/f\n" + ours(a, b))
            let applied = try run("/usr/bin/git", ["apply", "f.patch"], environment: gitEnvironment, cwd: dir.path)
            #expect(applied.status == 0, "round \(round): \(applied.stderr)")
            #expect(try String(contentsOfFile: dir.file("f"), encoding: .utf8) == b, "round \(round)")
        }
    }

    @Test func givesUpOverBudget() {
        let a = (0..<2000).map { "x\($0 % 7)\n" }.joined()
        let b = (0..<2000).map { "x\(($0 * 3) % 7)\n" }.joined()
        #expect(UnifiedDiff(old: Array(a.utf8), new: Array(b.utf8), budget: 1000) == nil)
        #expect(UnifiedDiff(old: Array(a.utf8), new: Array(b.utf8)) != nil)
    }

    func text(_ lines: [String], newline: Bool) -> String {
        let joined = lines.joined(separator: "\n")
        return lines.isEmpty ? "" : joined + (newline ? "\n" : "")
    }

    /// `diff -u`'s hunks (its two header lines dropped).
    func gnu(_ old: String, _ new: String, _ options: [String] = []) throws -> String {
        let dir = try TempDir("zg-gnudiff")
        let out = try run("/usr/bin/diff", ["-u"] + options + [dir.write("a", old), dir.write("b", new)])
        #expect(out.status == (old == new ? 0 : 1), "\(out.stderr)")
        return out.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).joined(
            separator: "\n")
    }
}

final class Xorshift {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    func int(_ bound: Int) -> Int {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Int(state % UInt64(bound))
    }

    /// `lines` with `edits` random deletions, insertions and replacements (`line(n)`
    /// makes the n-th edit's line).
    func edited(_ lines: [String], edits: Int, _ line: (Int) -> String) -> [String] {
        var out = lines
        for n in 0..<edits {
            switch int(3) {
            case 0: if !out.isEmpty { out.remove(at: int(out.count)) }
            case 1: out.insert(line(n), at: int(out.count + 1))
            default: if !out.isEmpty { out[int(out.count)] = line(n) }
            }
        }
        return out
    }
}
