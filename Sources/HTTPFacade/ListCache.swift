import Foundation
import NIOCore
import State

/// The facade's one piece of memory: the status documents as the files hold them.
///
/// Live (once `follow` runs, as in the daemon): a document per application, replaced when
/// the status feed (inotify on the state dir, whoever wrote the file) says its file
/// changed, so a list under a daemon that keeps writing costs the changed files, not a
/// read of every file. The pending documents (registrations without a status yet) are
/// read from the apps dir at most once a second, and at once after the facade itself
/// wrote or removed a registration.
///
/// Otherwise (a facade nobody follows): what was last read from every file, valid while
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
        /// The document as its file holds it, at its size (a ByteBuffer's storage would
        /// round each one up to a power of two: 1 KB for most); `buffer` is a copy.
        var bytes: [UInt8]
        var buffer: ByteBuffer { ByteBuffer(bytes: bytes) }
    }

    private let lock = NSLock()
    private var generation = -1
    private var at = ContinuousClock.now
    private var documents: [Document]?
    private var byName: [String: Int] = [:]
    private var body: ByteBuffer?

    // Live: the status files' documents by name, moved on by the feed.
    private var live: [String: Document]?
    /// Changes applied so far (the list and its body are kept for one version).
    private var version = 0
    private var names: [String]?
    private var pendings: [Document] = []
    private var pendingsAt: ContinuousClock.Instant?
    private var listed: (version: Int, docs: [Document])?
    /// Where each application is in `listed`.
    private var listedIndex: [String: Int] = [:]

    var isLive: Bool { lock.withLock { live != nil } }

    private func valid(_ g: Int) -> Bool { g == generation && ContinuousClock.now - at < .seconds(1) }

    // MARK: Live

    /// Every document as read once the feed's watch is in place (later changes follow).
    func start(_ docs: [Document]) {
        lock.withLock {
            live = Dictionary(docs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            names = nil
            version += 1
        }
    }

    /// One status file written (its document) or gone (nil).
    func apply(name: String, _ doc: Document?) {
        lock.withLock {
            guard live != nil else { return }
            let known = live![name] != nil
            if !known || doc == nil { names = nil }
            live![name] = doc
            // A document replaced: the list made at the last version, that one entry
            // changed (no new list of every document per write).
            if known, let doc, var made = listed, made.version == version, let i = listedIndex[name] {
                listed = nil  // the array's only reference: changed in place
                made.docs[i] = doc
                made.version = version + 1
                listed = made
                body = nil
                // Only the pages this name lies on change (at 100,000 applications polled
                // each minute a write comes every 0.6 ms: dropping every page on each left
                // none to answer from).
                for (key, page) in pages where page.covers(name) {
                    pages[key] = nil
                    pagesBytes -= page.body.readableBytes
                }
            }
            version += 1
            listFile.drop()
        }
    }

    /// Not live any more: the lists read the files again (when stale), as without a feed.
    func stop() {
        lock.withLock {
            live = nil
            listed = nil
            body = nil
            listFile.drop()
            generation = -1
        }
    }

    /// The facade wrote or removed a registration: the pending documents are read again.
    func appsChanged() {
        lock.withLock {
            pendingsAt = nil
            version += 1
            listFile.drop()
        }
    }

    /// The live list in name order, pending documents included (`pending` reads them, at
    /// most once a second); nil when not live.
    func liveDocuments(pending: (Set<String>) -> [Document]) -> [Document]? {
        liveList(pending: pending)?.docs
    }

    /// `liveDocuments` with the version it is of.
    func liveList(pending: (Set<String>) -> [Document]) -> (version: Int, docs: [Document])? {
        lock.lock()
        guard let live else {
            lock.unlock()
            return nil
        }
        let stale = pendingsAt.map { ContinuousClock.now - $0 >= .seconds(1) } ?? true
        if !stale, let listed, listed.version == version {
            lock.unlock()
            return listed
        }
        let known = Set(live.keys)
        lock.unlock()
        // The apps dir is read outside the lock (a scan of 10,000 files takes milliseconds).
        let fresh = stale ? pending(known) : nil
        lock.lock()
        defer { lock.unlock() }
        guard let live = self.live else { return nil }  // stopped meanwhile
        if let fresh {
            // 7: a pending document edited by hand (namespace, labels) is a change too.
            if fresh.map(\.bytes) != pendings.map(\.bytes) { version += 1 }
            pendings = fresh
            pendingsAt = ContinuousClock.now
        }
        if let listed, listed.version == version { return listed }
        if names == nil { names = live.keys.sorted() }
        var docs: [Document] = []
        docs.reserveCapacity(names!.count + pendings.count)
        var p = pendings.filter { live[$0.name] == nil }.sorted { $0.name < $1.name }[...]
        for name in names! {
            while let first = p.first, first.name < name {
                docs.append(first)
                p = p.dropFirst()
            }
            if let doc = live[name] { docs.append(doc) }
        }
        docs.append(contentsOf: p)
        listed = (version, docs)
        listedIndex = Dictionary(docs.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        body = nil
        listFile.drop()
        pages = [:]
        pagesBytes = 0
        return (version, docs)
    }

    /// Pages answered at the current version, by token and query (at most 1,000 kept).
    private var pages: [String: KeptPage] = [:]
    private var pagesBytes = 0

    /// A page and the names it depends on: those after its cursor up to its last one (to
    /// the end when it is the last page). A page that filters (by namespace, status, labels
    /// or the token's namespaces) depends on every document: a replaced one may enter or
    /// leave it, and its `total` with it.
    struct KeptPage {
        var body: ByteBuffer
        var after: String?
        var through: String?
        var filtered: Bool

        func covers(_ name: String) -> Bool {
            filtered || ((after.map { name > $0 } ?? true) && (through.map { name <= $0 } ?? true))
        }
    }

    /// A kept page's key: the token's namespaces (or every namespace) and the raw query.
    static func pageKey(_ grant: APITokens.Grant, query: some StringProtocol) -> String {
        (grant.namespaces.map { "ns:" + $0.sorted().joined(separator: ",") } ?? "all") + "?" + query
    }

    /// A page kept at the current version whose pending documents are fresh (the hot
    /// path's lookup: it never reads the apps dir), or nil.
    func keptPage(_ key: String) -> ByteBuffer? {
        lock.withLock {
            guard let pendingsAt, ContinuousClock.now - pendingsAt < .seconds(1), listed?.version == version else {
                return nil
            }
            return pages[key]?.body
        }
    }

    func page(_ key: String, version v: Int) -> ByteBuffer? {
        lock.withLock { v == version ? pages[key]?.body : nil }
    }

    /// `after`: the page's cursor; `through`: its last name when more follow (nil: the page
    /// runs to the end); `filtered`: see `KeptPage`.
    func rememberPage(
        _ key: String, _ b: ByteBuffer, version v: Int, after: String? = nil, through: String? = nil,
        filtered: Bool = true
    ) {
        lock.withLock {
            guard v == version else { return }
            // At most 1,000 pages and 32 MiB kept (queries a client makes up are not kept forever).
            if pages.count >= 1000 || pagesBytes + b.readableBytes > 32 << 20 {
                pages = [:]
                pagesBytes = 0
            }
            pagesBytes -= pages[key]?.body.readableBytes ?? 0
            pages[key] = KeptPage(body: b, after: after, through: through, filtered: filtered)
            pagesBytes += b.readableBytes
        }
    }

    /// The live list's encoded body for the version it was made at.
    /// The whole list's body made at version `v`, if that is still the current one.
    func liveBody(version v: Int) -> ByteBuffer? {
        lock.withLock { listed?.version == version && v == version ? body : nil }
    }

    /// A kept body, from memory or from its memory file.
    enum KeptBody {
        case bytes(ByteBuffer)
        case file(BodyFile)
    }

    /// The whole list's memory file.
    let listFile = ListFile()

    /// The whole list's body kept at the current version, its pending documents fresh (the
    /// hot path's lookup: it never reads the apps dir), or nil.
    func keptList() -> KeptBody? {
        let kept: (version: Int, body: ByteBuffer)? = lock.withLock {
            guard let pendingsAt, ContinuousClock.now - pendingsAt < .seconds(1), listed?.version == version,
                let body
            else { return nil }
            return (version, body)
        }
        guard let kept else { return nil }
        return listFile.file(version: kept.version, body: kept.body).map { .file($0) } ?? .bytes(kept.body)
    }

    func setLiveBody(_ b: ByteBuffer, version v: Int) {
        lock.withLock {
            if let listed, listed.version == version, v == version { body = b }
        }
    }

    /// One application's document in the live map.
    func liveDocument(_ name: String) -> Document? {
        lock.withLock { live?[name] }
    }

    // MARK: Not live

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
        // Not once live: a list read the slow way while the feed started is not the live one.
        if g == generation && live == nil { body = b }
    }
}
