import Foundation
import State
import Toolkit

/// The local drift probe's stamps across restarts (`STATE/apps/NAME/drift-stamps`): per
/// published file, what it matched (the content's identity) and the inode, size, mtime and
/// ctime it had then. A file is trusted again only when all four are the same and the
/// identity is still the inventory's: ctime cannot be set back by a writer, so a file
/// changed meanwhile is read. One line per file: `dev ino size mtime ctime identity\tpath`.
extension LocalDriftProbe {
    /// What an entry must still be for its stamp to count: the blob id of a static file,
    /// the runtime, code, image and port of a function.
    static func identity(_ e: Entry) -> String {
        if let fn = e.function {
            return "fn:\(fn.runtime):\(fn.codeID ?? "-"):\(fn.image ?? "-"):\(fn.port.map(String.init) ?? "-")"
        }
        return "id:\(e.id ?? "-")"
    }

    /// Applies the saved stamps whose identity is still the entry's to `list` (`check`
    /// then compares them with the file's own).
    static func restore(_ list: inout [Entry], from file: String) {
        guard let data = FileManager.default.contents(atPath: file) else { return }
        var saved: [String: (Stamp, String)] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let tab = line.firstIndex(of: "\t") else { continue }
            let fields = line[..<tab].split(separator: " ")
            guard fields.count == 6, let dev = UInt64(fields[0]), let ino = UInt64(fields[1]),
                let size = Int64(fields[2]), let mtime = Int64(fields[3]), let ctime = Int64(fields[4])
            else { continue }
            saved[String(line[line.index(after: tab)...])] = (
                Stamp(dev: dev, ino: ino, size: size, mtime: mtime, ctime: ctime), String(fields[5])
            )
        }
        for i in list.indices {
            guard let (stamp, identity) = saved[list[i].file], identity == Self.identity(list[i]) else { continue }
            list[i].stamp = stamp
        }
    }

    /// Writes the stamps of the entries that matched (not durable: a lost file costs one
    /// pass that reads everything).
    static func save(_ list: [Entry], to file: String) {
        var text = ""
        for e in list {
            guard let s = e.stamp, !e.file.contains("\n") else { continue }
            text += "\(s.dev) \(s.ino) \(s.size) \(s.mtime) \(s.ctime) \(Self.identity(e))\t\(e.file)\n"
        }
        try? AtomicFile.write(Array(text.utf8), to: file, durable: false)
    }
}
