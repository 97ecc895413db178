import Foundation
import NIOCore

/// The facade's one piece of memory: what it last read from the status files, valid while
/// the status generation has not moved, and for at most a second.
/// `@unchecked`: its `var`s are guarded by `lock` (an NSLock), which the compiler cannot see.
final class ListCache: @unchecked Sendable {
    struct Document {
        var name: String
        var namespace: String
        /// The document's `status` (for the list's filter).
        var status: String = ""
        /// The document's `labels` (for `?labelSelector=`).
        var labels: [String: String] = [:]
        var bytes: [UInt8]
        var buffer: ByteBuffer
    }

    private let lock = NSLock()
    private var generation = -1
    private var at = ContinuousClock.now
    private var documents: [Document]?
    private var byName: [String: Int] = [:]
    private var body: ByteBuffer?

    private func valid(_ g: Int) -> Bool { g == generation && ContinuousClock.now - at < .seconds(1) }

    func get(generation g: Int) -> [Document]? {
        lock.lock()
        defer { lock.unlock() }
        return valid(g) ? documents : nil
    }

    /// Single documents read on their own (a GET of one application), each valid for a
    /// second at its generation.
    private var singles: [String: (doc: Document, generation: Int, at: ContinuousClock.Instant)] = [:]

    func document(_ name: String, generation g: Int) -> Document? {
        lock.lock()
        defer { lock.unlock() }
        if valid(g), let documents, let i = byName[name] { return documents[i] }
        if let single = singles[name], single.generation == g, ContinuousClock.now - single.at < .seconds(1) {
            return single.doc
        }
        return nil
    }

    func remember(_ doc: Document, generation g: Int) {
        lock.lock()
        defer { lock.unlock() }
        if singles.count > 10_000 { singles.removeAll() }
        singles[doc.name] = (doc, g, ContinuousClock.now)
    }

    func set(_ docs: [Document], generation g: Int) {
        lock.lock()
        defer { lock.unlock() }
        body = nil
        generation = g
        at = ContinuousClock.now
        documents = docs
        byName = Dictionary(docs.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    func body(generation g: Int) -> ByteBuffer? {
        lock.lock()
        defer { lock.unlock() }
        return valid(g) ? body : nil
    }

    func setBody(_ b: ByteBuffer, generation g: Int) {
        lock.lock()
        defer { lock.unlock() }
        if g == generation { body = b }
    }
}
