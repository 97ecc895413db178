import Crypto
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
        for (numbers, identity, path) in parse(Array(data)) where numbers.count == 5 {
            saved[path] = (
                Stamp(
                    dev: UInt64(bitPattern: numbers[0]), ino: UInt64(bitPattern: numbers[1]), size: numbers[2],
                    mtime: numbers[3], ctime: numbers[4]), identity
            )
        }
        for i in list.indices {
            guard let (stamp, identity) = saved[list[i].file], identity == Self.identity(list[i]) else { continue }
            list[i].stamp = stamp
        }
    }

    /// Lines `N N ... WORD\tTEXT`: the numbers, the word, the text (bytes, not split as
    /// strings: a restart reads a file per application).
    static func parse(_ bytes: [UInt8]) -> [(numbers: [Int64], word: String, text: String)] {
        var out: [(numbers: [Int64], word: String, text: String)] = []
        var i = 0
        while i < bytes.count {
            var numbers: [Int64] = []
            var ok = true
            // Numbers up to the first field that is not one.
            while i < bytes.count, (bytes[i] >= 48 && bytes[i] <= 57) || bytes[i] == 45 {
                var value: Int64 = 0
                var negative = false
                if bytes[i] == 45 {
                    negative = true
                    i += 1
                }
                while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                    let (m, o1) = value.multipliedReportingOverflow(by: 10)
                    let (a, o2) = m.addingReportingOverflow(Int64(bytes[i] - 48))
                    if o1 || o2 { ok = false }
                    value = a
                    i += 1
                }
                numbers.append(negative ? -value : value)
                if i < bytes.count, bytes[i] == 32 { i += 1 } else { break }
            }
            let wordStart = i
            while i < bytes.count, bytes[i] != 9, bytes[i] != 10 { i += 1 }
            let word = String(decoding: bytes[wordStart..<i], as: UTF8.self)
            guard i < bytes.count, bytes[i] == 9 else {
                while i < bytes.count, bytes[i] != 10 { i += 1 }
                i += 1
                continue
            }
            i += 1
            let textStart = i
            while i < bytes.count, bytes[i] != 10 { i += 1 }
            if ok { out.append((numbers, word, String(decoding: bytes[textStart..<i], as: UTF8.self))) }
            i += 1
        }
        return out
    }

    /// What a namespace's census counted for: the paths owned, hashed.
    static func ownedKey(_ owned: (functions: Set<String>, files: Set<String>)) -> String {
        var hasher = SHA256()
        for f in owned.functions.sorted() { hasher.update(data: Array(("f " + f + "\n").utf8)) }
        for f in owned.files.sorted() { hasher.update(data: Array(("s " + f + "\n").utf8)) }
        return hasher.finalize().hexString
    }

    /// A census kept by an earlier run: `count N KEY\t` then a folder per line.
    static func restoreCensus(from file: String, key: String) -> (folders: [(String, Stamp)], count: Int)? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        let lines = parse(Array(data))
        guard let head = lines.first, head.numbers.count == 1, head.word == "k:" + key else { return nil }
        var folders: [(String, Stamp)] = []
        for line in lines.dropFirst() {
            guard line.numbers.count == 5, line.word == "d" else { return nil }
            let n = line.numbers
            folders.append(
                (
                    line.text,
                    Stamp(
                        dev: UInt64(bitPattern: n[0]), ino: UInt64(bitPattern: n[1]), size: n[2], mtime: n[3],
                        ctime: n[4])
                ))
        }
        return (folders, Int(head.numbers[0]))
    }

    static func censusText(folders: [(String, Stamp)], count: Int, key: String) -> String {
        var text = "\(count) k:\(key)\t\n"
        for (path, s) in folders where !path.contains("\n") {
            text +=
                "\(Int64(bitPattern: s.dev)) \(Int64(bitPattern: s.ino)) \(s.size) \(s.mtime) \(s.ctime) d\t\(path)\n"
        }
        return text
    }

    /// Writes the stamps of the entries that matched (not durable: a lost file costs one
    /// pass that reads everything).
    static func save(_ list: [Entry], to file: String) {
        var text = ""
        for e in list {
            guard let s = e.stamp, !e.file.contains("\n") else { continue }
            text +=
                "\(Int64(bitPattern: s.dev)) \(Int64(bitPattern: s.ino)) \(s.size) \(s.mtime) \(s.ctime) \(Self.identity(e))\t\(e.file)\n"
        }
        try? AtomicFile.write(Array(text.utf8), to: file, durable: false)
    }
}
