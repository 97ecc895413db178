/// Which lines of two sequences differ: Myers' O(ND) difference algorithm in linear space
/// (the "middle snake" bisection of section 4b of Myers' paper, as diff-match-patch's
/// `bisect` lays it out), on lines interned to integers. The result is a shortest edit
/// script: `removed[i]` for the lines of `a` that go, `added[j]` for the lines of `b` that
/// come; the lines of neither flag pair up in order. Pure.
public struct LineDiff: Sendable, Hashable {
    public var removed: [Bool]
    public var added: [Bool]

    /// The work (diagonal steps) a comparison may cost before it gives up.
    public static let defaultBudget = 100_000_000

    /// nil when finding the shortest script would cost more than `budget` steps (two
    /// large, mostly different files).
    public init?<Line: Hashable>(_ a: [Line], _ b: [Line], budget: Int = defaultBudget) {
        var ids: [Line: Int32] = [:]
        func intern(_ line: Line) -> Int32 {
            if let id = ids[line] { return id }
            let id = Int32(ids.count)
            ids[line] = id
            return id
        }
        let a = a.map(intern)
        let b = b.map(intern)
        // A line the other side does not have is changed whatever else is: only the
        // others are searched (the same shortest script, often far cheaper).
        var inA = [Bool](repeating: false, count: ids.count)
        var inB = [Bool](repeating: false, count: ids.count)
        for id in a { inA[Int(id)] = true }
        for id in b { inB[Int(id)] = true }
        let keptA = a.indices.filter { inB[Int(a[$0])] }
        let keptB = b.indices.filter { inA[Int(b[$0])] }
        var search = Search(a: keptA.map { a[$0] }, b: keptB.map { b[$0] }, budget: budget)
        guard search.compare(0, keptA.count, 0, keptB.count) else { return nil }
        removed = [Bool](repeating: true, count: a.count)
        added = [Bool](repeating: true, count: b.count)
        for (k, i) in keptA.enumerated() { removed[i] = search.removed[k] }
        for (k, j) in keptB.enumerated() { added[j] = search.added[k] }
        Self.slide(&removed, a, other: added)
        Self.slide(&added, b, other: removed)
    }

    /// Slides each run of changed lines of one side, which equal lines around it allow to
    /// stand in several places, as diff and git do: as far down as it goes, unless a place
    /// on the way joins it with the other side's changes (one group of removed and added
    /// lines instead of two), the last such place then.
    static func slide(_ changed: inout [Bool], _ lines: [Int32], other: [Bool]) {
        // Where the other side's k-th unchanged line is.
        var unchangedAt: [Int] = []
        for (j, c) in other.enumerated() where !c { unchangedAt.append(j) }
        func joined(_ unchangedBefore: Int) -> Bool {
            let q = unchangedBefore == 0 ? 0 : unchangedAt[unchangedBefore - 1] + 1
            return q < other.count && other[q]
        }
        let n = lines.count
        var i = 0
        var u = 0  // unchanged lines before i
        while i < n {
            if !changed[i] {
                i += 1
                u += 1
                continue
            }
            var (start, end) = (i, i)
            while end < n, changed[end] { end += 1 }
            var length: Int
            var join: (end: Int, u: Int)?
            repeat {
                length = end - start
                while start > 0, lines[start - 1] == lines[end - 1] {
                    start -= 1
                    end -= 1
                    changed[start] = true
                    changed[end] = false
                    u -= 1
                    while start > 0, changed[start - 1] { start -= 1 }
                }
                join = joined(u) ? (end, u) : nil
                while end < n, lines[end] == lines[start] {
                    changed[start] = false
                    changed[end] = true
                    start += 1
                    end += 1
                    u += 1
                    while end < n, changed[end] { end += 1 }
                    if joined(u) { join = (end, u) }
                }
            } while length != end - start
            if let join {
                while end > join.end {
                    start -= 1
                    end -= 1
                    changed[start] = true
                    changed[end] = false
                }
                u = join.u
            }
            i = end
        }
    }

    /// Edits: lines removed plus lines added.
    public var distance: Int { removed.count { $0 } + added.count { $0 } }
}

/// The bisection's state: both sequences, the flags found so far, and one pair of
/// furthest-reaching arrays reused by every step.
private struct Search {
    let a: [Int32]
    let b: [Int32]
    var removed: [Bool]
    var added: [Bool]
    var forward: [Int]
    var backward: [Int]
    var budget: Int

    init(a: [Int32], b: [Int32], budget: Int) {
        self.a = a
        self.b = b
        removed = Array(repeating: false, count: a.count)
        added = Array(repeating: false, count: b.count)
        let size = 2 * ((a.count + b.count + 1) / 2) + 2
        forward = Array(repeating: -1, count: size)
        backward = Array(repeating: -1, count: size)
        self.budget = budget
    }

    /// Flags the differences of `a[aLo..<aHi]` and `b[bLo..<bHi]`; false when over budget.
    mutating func compare(_ aLo: Int, _ aHi: Int, _ bLo: Int, _ bHi: Int) -> Bool {
        var (aLo, aHi, bLo, bHi) = (aLo, aHi, bLo, bHi)
        while aLo < aHi, bLo < bHi, a[aLo] == b[bLo] {
            aLo += 1
            bLo += 1
        }
        while aLo < aHi, bLo < bHi, a[aHi - 1] == b[bHi - 1] {
            aHi -= 1
            bHi -= 1
        }
        if aLo == aHi || bLo == bHi {
            for i in aLo..<aHi { removed[i] = true }
            for j in bLo..<bHi { added[j] = true }
            return true
        }
        guard let (x, y) = bisect(aLo, aHi, bLo, bHi) else { return false }
        if (x == aLo && y == bLo) || (x == aHi && y == bHi) {
            // No split inside (cannot happen once the ends differ): everything changes.
            for i in aLo..<aHi { removed[i] = true }
            for j in bLo..<bHi { added[j] = true }
            return true
        }
        return compare(aLo, x, bLo, y) && compare(x, aHi, y, bHi)
    }

    /// Where a shortest path through the region crosses the middle: runs the search from
    /// both corners until the paths overlap. nil when over budget.
    mutating func bisect(_ aLo: Int, _ aHi: Int, _ bLo: Int, _ bHi: Int) -> (Int, Int)? {
        let n = aHi - aLo
        let m = bHi - bLo
        let maxD = (n + m + 1) / 2
        let offset = maxD
        let length = 2 * maxD + 2
        for i in 0..<length {
            forward[i] = -1
            backward[i] = -1
        }
        forward[offset + 1] = 0
        backward[offset + 1] = 0
        let delta = n - m
        let front = delta % 2 != 0
        var (k1start, k1end, k2start, k2end) = (0, 0, 0, 0)
        for d in 0..<maxD {
            var k1 = -d + k1start
            while k1 <= d - k1end {
                let i = offset + k1
                var x = k1 == -d || (k1 != d && forward[i - 1] < forward[i + 1]) ? forward[i + 1] : forward[i - 1] + 1
                var y = x - k1
                while x < n, y < m, a[aLo + x] == b[bLo + y] {
                    x += 1
                    y += 1
                }
                budget -= 1 + x - forward[i]
                forward[i] = x
                if x > n {
                    k1end += 2
                } else if y > m {
                    k1start += 2
                } else if front {
                    let j = offset + delta - k1
                    if j >= 0, j < length, backward[j] != -1, x >= n - backward[j] { return (aLo + x, bLo + y) }
                }
                k1 += 2
            }
            var k2 = -d + k2start
            while k2 <= d - k2end {
                let i = offset + k2
                var x =
                    k2 == -d || (k2 != d && backward[i - 1] < backward[i + 1]) ? backward[i + 1] : backward[i - 1] + 1
                var y = x - k2
                while x < n, y < m, a[aHi - x - 1] == b[bHi - y - 1] {
                    x += 1
                    y += 1
                }
                budget -= 1 + x - backward[i]
                backward[i] = x
                if x > n {
                    k2end += 2
                } else if y > m {
                    k2start += 2
                } else if !front {
                    let j = offset + delta - k2
                    if j >= 0, j < length, forward[j] != -1 {
                        let fx = forward[j]
                        if fx >= n - x { return (aLo + fx, bLo + fx - (j - offset)) }
                    }
                }
                k2 += 2
            }
            if budget < 0 { return nil }
        }
        // No overlap (nothing in common): one split at the start would not progress.
        return (aLo, bLo)
    }
}
