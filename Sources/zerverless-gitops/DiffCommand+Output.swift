import Foundation
import Sync
import Toolkit

/// What `diff` prints on stdout: which side is which, each item as it is found (nothing
/// is held back but the current item), and a summary line. Colours as git's: bold names,
/// cyan hunk headers, red removed lines, green added ones.
final class DiffOutput {
    let color: Bool
    private(set) var differs = false
    private var functions = 0, files = 0, new = 0, deleted = 0, changed = 0, added = 0, removed = 0

    init(color: Bool) {
        self.color = color
    }

    func header(deployed: String, next: String) {
        write(.header, Array("--- \(deployed)".utf8))
        write(.header, Array("+++ \(next)".utf8))
    }

    func item(_ item: ContentDiff.Item, stat: Bool) throws {
        differs = true
        if item.kind == .function { functions += 1 } else { files += 1 }
        switch (item.deployed, item.next) {
        case (nil, _): new += 1
        case (_, nil): deleted += 1
        default: changed += 1
        }
        let rendered = try ContentDiff.render(item, stat: stat)
        added += rendered.added
        removed += rendered.removed
        for line in rendered.lines { write(line.style, line.bytes) }
        flush()
    }

    func summary(_ counts: ContentDiff.Counts) {
        let kept =
            counts.kept > 0 ? "; \(counts.kept) removed from the repository, kept (syncPolicy.prune is false)" : ""
        let same = Self.things(counts.sameFunctions, counts.sameFiles, verb: ("is", "are"), "the same")
        guard differs else {
            write(nil, Array("no difference: \(same ?? "nothing deployed, nothing to deploy")\(kept)".utf8))
            flush()
            return
        }
        let kinds = [(new, "new"), (deleted, "deleted"), (changed, "changed")].filter { $0.0 > 0 }
            .map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        let differ = Self.things(
            functions, files, verb: ("differs", "differ"), "(\(kinds)), +\(added) -\(removed) lines")
        write(nil, Array("\(differ ?? "")\(same.map { "; \($0)" } ?? "")\(kept)".utf8))
        flush()
    }

    /// `2 functions and 1 static file differ ...`, zeros left out; nil for none at all.
    static func things(_ functions: Int, _ files: Int, verb: (one: String, many: String), _ rest: String) -> String? {
        let parts = [(functions, "function"), (files, "static file")].filter { $0.0 > 0 }.map { counted($0.0, $0.1) }
        guard !parts.isEmpty else { return nil }
        return parts.joined(separator: " and ") + " " + (functions + files == 1 ? verb.one : verb.many) + " " + rest
    }

    private func write(_ style: ContentDiff.Style?, _ bytes: [UInt8]) {
        var line = bytes
        if color, let code = style.flatMap(Self.codes) {
            line = Array("\u{1B}[\(code)m".utf8) + line + Array("\u{1B}[m".utf8)
        }
        line.append(UInt8(ascii: "\n"))
        buffer += line
        if buffer.count >= 1 << 16 { flush() }
    }

    private var buffer: [UInt8] = []

    func flush() {
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    static func codes(_ style: ContentDiff.Style) -> String? {
        switch style {
        case .title, .header: "1"
        case .hunk: "36"
        case .removed: "31"
        case .added: "32"
        case .context, .note: nil
        }
    }
}
