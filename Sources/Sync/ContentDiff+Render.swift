import Manifest
import Toolkit

/// An item of `diff` as text: a title line (what it is and what changed), then its hunks
/// in `diff -u`'s format between `deployed/...` and `next/...` (`/dev/null` for a side
/// that has none). A function's text is its code; a Docker function's is its image
/// reference and port. A binary file (a NUL in its first 8000 bytes, as git and diff
/// judge) is a line with its blob ids. Pure.
extension ContentDiff {
    public enum Style: Sendable, Hashable { case title, header, hunk, removed, added, context, note }

    public struct Rendered: Sendable {
        public var lines: [(style: Style, bytes: [UInt8])] = []
        public var added = 0
        public var removed = 0
    }

    public static func render(_ item: Item, stat: Bool = false, context: Int = 3, budget: Int = LineDiff.defaultBudget)
        throws -> Rendered
    {
        var out = Rendered()
        let (title, old, new) = try describe(item)
        let base = item.kind == .function ? "functions" + item.path : "static/" + RepoPath.display(item.path)
        let oldName = item.deployed == nil ? "/dev/null" : "deployed/" + base
        let newName = item.next == nil ? "/dev/null" : "next/" + base
        let binary = [old, new].contains { $0.prefix(8000).contains(0) }
        var body: [(style: Style, bytes: [UInt8])] = []
        if binary {
            let ids = [item.deployed, item.next].map { $0.flatMap(\.fileID).map { String($0.prefix(12)) } ?? "none" }
            body.append(
                (.note, Array("Binary files \(oldName) and \(newName) differ (blob \(ids[0]) -> \(ids[1]))".utf8)))
        } else if let diff = UnifiedDiff(old: old, new: new, context: context, budget: budget) {
            out.added = diff.addedLines
            out.removed = diff.removedLines
            body.append((.header, Array("--- \(oldName)".utf8)))
            body.append((.header, Array("+++ \(newName)".utf8)))
            for line in diff.rendered() {
                let style: Style =
                    switch line.kind {
                    case .context?: .context
                    case .removed?: .removed
                    case .added?: .added
                    case nil: line.bytes.first == UInt8(ascii: "@") ? .hunk : .note
                    }
                body.append((style, line.bytes))
            }
        } else {
            let count = { (bytes: [UInt8]) in UnifiedDiff.lines(bytes).count }
            body.append(
                (
                    .note,
                    Array(
                        "Files \(oldName) and \(newName) differ: too many changes to show (\(count(old)) -> \(count(new)) lines)"
                            .utf8)
                ))
        }
        let drift =
            item.drift
            ? "; drift: changed on the target since the agent deployed it (syncs redeploy it only with selfHeal: correct)"
            : ""
        let figures = binary ? ", binary" : ", +\(out.added) -\(out.removed)"
        out.lines.append((.title, Array((title + (stat ? figures : "") + drift).utf8)))
        if !stat { out.lines += body }
        return out
    }

    /// The title, and each side's text.
    static func describe(_ item: Item) throws -> (String, [UInt8], [UInt8]) {
        switch item.kind {
        case .function:
            func parts(_ side: Side?) -> (runtime: String, text: [UInt8])? {
                guard case .function(let f)? = side else { return nil }
                let text = f.runtime == "docker" ? "image: \(f.code)\nport: \(f.port ?? 80)\n" : f.code
                return (f.runtime, Array(text.utf8))
            }
            let old = parts(item.deployed)
            let new = parts(item.next)
            let what: String
            switch (old, new) {
            case (nil, let new?): what = "new (\(new.runtime))"
            case (let old?, nil): what = "deleted (\(old.runtime))"
            case (let old?, let new?) where old.runtime != new.runtime:
                what = "runtime \(old.runtime) -> \(new.runtime)"
            default: what = "changed (\(new?.runtime ?? ""))"
            }
            return ("function \(item.path): \(what)", old?.text ?? [], new?.text ?? [])
        case .file:
            func content(_ side: Side?) throws -> FileContent? {
                guard case .file(let f)? = side else { return nil }
                return f
            }
            let old = try content(item.deployed)
            let new = try content(item.next)
            let what: String
            switch (old, new) {
            case (nil, let new?): what = "new (\(counted(new.size, "byte")))"
            case (let old?, nil): what = "deleted (\(counted(old.size, "byte")))"
            default: what = "changed (\(old?.size ?? 0) -> \(counted(new?.size ?? 0, "byte")))"
            }
            return ("file \(RepoPath.display(item.path)): \(what)", try old?.bytes() ?? [], try new?.bytes() ?? [])
        }
    }
}

extension ContentDiff.Side {
    var fileID: String? {
        if case .file(let f) = self { return f.id }
        return nil
    }
}
