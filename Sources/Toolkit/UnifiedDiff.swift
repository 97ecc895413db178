/// Two texts' difference in the unified format of `diff -u` (GNU diffutils): hunks of
/// changed lines with `context` unchanged lines around them, hunks whose contexts would
/// meet merged into one, `\ No newline at end of file` after a last line without one.
/// Bytes in, bytes out (a line need not be UTF-8). Pure.
public struct UnifiedDiff: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case context, removed, added }

    public struct Line: Sendable, Hashable {
        public var kind: Kind
        /// The line without its newline.
        public var text: ArraySlice<UInt8>
        /// False for a last line that has no newline.
        public var newline: Bool
    }

    public struct Hunk: Sendable, Hashable {
        /// 0-based first line and count, old and new.
        public var oldStart: Int, oldCount: Int, newStart: Int, newCount: Int
        public var lines: [Line]

        /// `@@ -1,4 +1,5 @@` (a count of 1 is left out; an empty range names the line before it).
        public var header: String {
            func range(_ start: Int, _ count: Int) -> String {
                count == 1 ? "\(start + 1)" : count == 0 ? "\(start),0" : "\(start + 1),\(count)"
            }
            return "@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@"
        }
    }

    public var hunks: [Hunk]
    public var removedLines: Int
    public var addedLines: Int

    /// The hunks from `old` to `new`; nil when a shortest diff would cost more than
    /// `budget` steps (see `LineDiff`). No hunk when they are the same.
    public init?(old: [UInt8], new: [UInt8], context: Int = 3, budget: Int = LineDiff.defaultBudget) {
        let a = Self.lines(old)
        let b = Self.lines(new)
        guard let diff = LineDiff(a, b, budget: budget) else { return nil }
        self.init(a, b, diff, context: context)
    }

    /// Each line with its newline (the last one may have none).
    public static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        for i in bytes.indices where bytes[i] == UInt8(ascii: "\n") {
            out.append(bytes[start...i])
            start = i + 1
        }
        if start < bytes.endIndex { out.append(bytes[start...]) }
        return out
    }

    init(_ a: [ArraySlice<UInt8>], _ b: [ArraySlice<UInt8>], _ diff: LineDiff, context: Int) {
        // Change groups: a[i0..<i1] removed, b[j0..<j1] added, unchanged lines between.
        var groups: [(i0: Int, i1: Int, j0: Int, j1: Int)] = []
        var (i, j) = (0, 0)
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, !diff.removed[i], !diff.added[j] {
                i += 1
                j += 1
                continue
            }
            let (i0, j0) = (i, j)
            while i < a.count, diff.removed[i] { i += 1 }
            while j < b.count, diff.added[j] { j += 1 }
            groups.append((i0, i, j0, j))
        }
        func line(_ kind: Kind, _ text: ArraySlice<UInt8>) -> Line {
            let newline = text.last == UInt8(ascii: "\n")
            return Line(kind: kind, text: newline ? text.dropLast() : text, newline: newline)
        }
        var hunks: [Hunk] = []
        var g = 0
        while g < groups.count {
            // The groups whose unchanged lines between them are at most twice the context.
            var last = g
            while last + 1 < groups.count, groups[last + 1].i0 - groups[last].i1 <= 2 * context { last += 1 }
            let before = min(context, groups[g].i0 - (g > 0 ? groups[g - 1].i1 : 0))
            let after = min(context, a.count - groups[last].i1)
            var hunk = Hunk(
                oldStart: groups[g].i0 - before, oldCount: 0, newStart: groups[g].j0 - before, newCount: 0, lines: [])
            for k in (groups[g].i0 - before)..<groups[g].i0 { hunk.lines.append(line(.context, a[k])) }
            for k in g...last {
                let group = groups[k]
                for r in group.i0..<group.i1 { hunk.lines.append(line(.removed, a[r])) }
                for r in group.j0..<group.j1 { hunk.lines.append(line(.added, b[r])) }
                let end = k < last ? groups[k + 1].i0 : group.i1 + after
                for r in group.i1..<end { hunk.lines.append(line(.context, a[r])) }
            }
            hunk.oldCount = groups[last].i1 + after - hunk.oldStart
            hunk.newCount = groups[last].j1 + after - hunk.newStart
            hunks.append(hunk)
            g = last + 1
        }
        self.hunks = hunks
        removedLines = diff.removed.count { $0 }
        addedLines = diff.added.count { $0 }
    }

    public var isEmpty: Bool { hunks.isEmpty }

    /// The hunks as `diff -u` prints them after its two header lines, each line without
    /// its newline.
    public func rendered() -> [(kind: Kind?, bytes: [UInt8])] {
        var out: [(kind: Kind?, bytes: [UInt8])] = []
        for hunk in hunks {
            out.append((nil, Array(hunk.header.utf8)))
            for line in hunk.lines {
                let mark: UInt8 =
                    switch line.kind {
                    case .context: UInt8(ascii: " ")
                    case .removed: UInt8(ascii: "-")
                    case .added: UInt8(ascii: "+")
                    }
                out.append((line.kind, [mark] + line.text))
                if !line.newline { out.append((nil, Array(Self.noNewline.utf8))) }
            }
        }
        return out
    }

    public static let noNewline = "\\ No newline at end of file"
}
