import Crypto
import Foundation
import Manifest
import State
import Toolkit

/// The application sets of the apps dir (interface section 9), the one owner of their
/// state: which sets there are, when each lists its generators, what each generator last
/// listed, and the applications that makes. Pure bookkeeping over time given by the
/// caller (the supervisor runs the listings and owns the applications made).
///
/// Rules: a generator that fails keeps its last listing (a set never deletes on an
/// error); an invalid set file keeps making what its last valid version made; names are
/// first the apps dir's files', then each set's in file order; every application is in
/// the set's namespace, counted against `--max-apps-per-namespace`, at most
/// `limits.maxApplications` (and `--max-apps-per-set`) per set. A forge is listed at most
/// once per interval whatever the webhooks say.
struct SetController {
    struct Settings {
        var minInterval: Double = 60
        var maxPerSet = 100
        var maxPerNamespace: Int? = 200
        var publicURL: String?
        /// How long a set whose file went keeps its record (its file may come back: a
        /// ConfigMap swap, a file briefly unreadable); its applications' own removal grace.
        var removalGrace: Double = 60
    }

    /// The most a webhook may make a set list (git generators): once per this many seconds.
    var webhookFloor: Double { min(2, settings.minInterval) }

    struct Entry {
        var file: String
        var digest: String
        /// The last valid set (from the file, or the record after a restart).
        var set: ApplicationSet?
        /// Why the file is not a valid set now.
        var problem: String?
        var listings: [[ApplicationSet.Element]?] = []
        var listedAt: [Date?] = []
        /// When each generator was last asked (a forge is rate-limited on its attempts,
        /// failed ones included).
        var attemptedAt: [Date?] = []
        /// Counts the set's versions: a listing of an older one is not taken.
        var generation = 0
        /// Other files declaring the same set name (ignored, said in the status).
        var duplicates: [String] = []
        var errors: [String?] = []
        var notes: [[SetStatus.Skipped]] = []
        var due: Date
        var running = false
        /// The version whose listing runs.
        var runningGeneration: Int?
        /// A pull-request generator asked for (a webhook) but listed too recently: when.
        var forgeDue: Date?
        var lastListed: Date?
        var generated: [GeneratedApplication] = []
        var skipped: [SetStatus.Skipped] = []
        var written: SetStatus?
        var recorded: SetRecord?
    }

    /// A listing to run.
    struct Job {
        var name: String
        var set: ApplicationSet
        var indexes: [Int]
        var generation: Int
    }

    var settings: Settings
    var entries: [String: Entry] = [:]
    /// Sets whose file went, and since when: their record is kept for the removal grace.
    var departed: [String: Date] = [:]
    /// Numbers every version of every set (a listing is taken only by its own version).
    var nextGeneration = 1

    init(settings: Settings) { self.settings = settings }

    func interval(_ set: ApplicationSet) -> Double { max(Double(set.interval), settings.minInterval) }

    // MARK: Files

    /// The set files of a scan (the ones this shard owns). Returns the names of sets that
    /// went away: their status goes at once, their record after the removal grace (a file
    /// that comes back meanwhile finds its listings), their applications with the next
    /// resolve (undeployed after their own grace). `owns`: whether this shard owns a
    /// namespace (another shard's sets in a shared state dir are left alone).
    mutating func update(
        _ files: [SetFile], layout: StateLayout, now: Date, startup: Bool = false,
        owns: (String) -> Bool = { _ in true }
    ) -> [String] {
        var seen = Set<String>()
        var duplicates: [String: [String]] = [:]
        for file in files.sorted(by: { $0.path < $1.path }) {
            guard let name = file.name else { continue }
            guard !seen.contains(name) else {
                duplicates[name, default: []].append(file.path)
                continue
            }
            seen.insert(name)
            departed[name] = nil
            var entry = entries[name] ?? Self.restored(name, file: file, layout: layout, now: now)
            entry.file = file.path
            if entry.digest == file.digest, entries[name] != nil {
                entries[name] = entry
                continue
            }
            entry.digest = file.digest
            switch file.result {
            case .success(let set):
                if let old = entry.set, old.namespace != set.namespace {
                    entry = Entry(file: file.path, digest: file.digest, due: now)
                }
                let before = entry.set?.generators ?? []
                entry.set = set
                entry.problem = nil
                entry.generation = nextGeneration
                nextGeneration += 1
                // A generator kept (wherever it moved in the list) keeps its listing.
                func carried<T>(_ values: [T?], _ g: ApplicationSet.Generator) -> T? {
                    guard let j = before.firstIndex(of: g), values.indices.contains(j) else { return nil }
                    return values[j]
                }
                entry.listings = set.generators.map { carried(entry.listings, $0) ?? nil }
                entry.listedAt = set.generators.map { carried(entry.listedAt, $0) ?? nil }
                entry.attemptedAt = set.generators.map { carried(entry.attemptedAt, $0) ?? nil }
                entry.errors = Array(repeating: nil, count: set.generators.count)
                entry.notes = Array(repeating: [], count: set.generators.count)
                entry.due = now
            case .failure(let failure):
                entry.problem =
                    failure.diagnostics.map(\.description).joined(separator: "; ")
                    + (entry.set == nil ? "" : "; the set keeps the applications its last valid version made")
            }
            entries[name] = entry
        }
        for (name, files) in duplicates { entries[name]?.duplicates = files }
        for name in seen where duplicates[name] == nil { entries[name]?.duplicates = [] }
        let gone = entries.keys.filter { !seen.contains($0) }
        for name in gone {
            entries[name] = nil
            departed[name] = now
            layout.removeSetStatus(name)
        }
        // At startup, the sets the state dir knows (of this shard's namespaces) whose file
        // went while the daemon was down.
        if startup {
            for name in layout.sets() where entries[name] == nil && departed[name] == nil {
                guard let record = layout.readSetRecord(name), owns(record.set.namespace) else { continue }
                departed[name] = now
                layout.removeSetStatus(name)
            }
        }
        for (name, since) in departed where now.timeIntervalSince(since) >= settings.removalGrace {
            departed[name] = nil
            layout.removeSet(name)
        }
        return gone.sorted()
    }

    /// A set seen for the first time: what its record kept (listings, a valid set) when the
    /// record is of the same namespace.
    static func restored(_ name: String, file: SetFile, layout: StateLayout, now: Date) -> Entry {
        var entry = Entry(file: file.path, digest: "", due: now)
        guard let record = layout.readSetRecord(name) else { return entry }
        if case .success(let set) = file.result, set.namespace != record.set.namespace { return entry }
        entry.set = record.set
        entry.listings = record.listings
        entry.listedAt = record.listedAt
        entry.attemptedAt = record.listedAt
        entry.errors = Array(repeating: nil, count: record.set.generators.count)
        entry.notes = Array(repeating: [], count: record.set.generators.count)
        entry.generated = record.applications
        entry.recorded = record
        return entry
    }

    // MARK: Listing

    /// A webhook (or a request) for the set: its git generators list at once, a forge not
    /// before an interval since its last listing.
    mutating func request(_ name: String, now: Date) {
        guard var entry = entries[name], let set = entry.set, entry.problem == nil else { return }
        // Git generators at once, but not more than once per webhook floor.
        let floor = (entry.lastListed ?? .distantPast).addingTimeInterval(webhookFloor)
        entry.due = min(entry.due, max(now, floor))
        for (i, g) in set.generators.enumerated() {
            guard case .pullRequests = g, let last = Self.at(entry.attemptedAt, i) else { continue }
            let allowed = last.addingTimeInterval(interval(set))
            if allowed > entry.due { entry.forgeDue = min(entry.forgeDue ?? allowed, allowed) }
        }
        entries[name] = entry
    }

    static func at(_ dates: [Date?], _ i: Int) -> Date? { dates.indices.contains(i) ? dates[i] : nil }

    /// The listings due now; each set's entry is marked running until `finished`. A
    /// forge's generator is asked at most once per interval (its attempts, failed ones
    /// included: a failing forge is not hammered either).
    mutating func due(now: Date) -> [Job] {
        var jobs: [Job] = []
        for (name, entry) in entries.sorted(by: { $0.key < $1.key }) {
            guard !entry.running, let set = entry.set, entry.problem == nil else { continue }
            let forgeTime = entry.forgeDue.map { $0 <= now } ?? false
            guard entry.due <= now || forgeTime else { continue }
            var indexes: [Int] = []
            for (i, g) in set.generators.enumerated() {
                if case .pullRequests = g, let last = Self.at(entry.attemptedAt, i),
                    last.addingTimeInterval(interval(set)) > now
                {
                    continue
                }
                indexes.append(i)
                if entries[name]!.attemptedAt.indices.contains(i) { entries[name]!.attemptedAt[i] = now }
            }
            entries[name]?.running = true
            entries[name]?.runningGeneration = entry.generation
            if forgeTime { entries[name]?.forgeDue = nil }
            jobs.append(Job(name: name, set: set, indexes: indexes, generation: entry.generation))
        }
        return jobs
    }

    /// When the next listing is due.
    func wake() -> Date? {
        entries.values.filter { !$0.running && $0.set != nil && $0.problem == nil }.flatMap {
            [$0.due, $0.forgeDue].compactMap { $0 }
        }.min()
    }

    /// The most elements one generator may list: ten times what the set may make (at
    /// least 100); past it the listing is a failure (the set keeps what it had).
    func listingCap(_ set: ApplicationSet) -> Int { max(100, 10 * min(set.maxApplications, settings.maxPerSet)) }

    /// A listing ended: successful generators replace their listing, failed ones keep it.
    mutating func finished(
        _ job: Job, _ results: [Int: Result<SetLister.Listing, SetLister.Failure>], now: Date
    ) {
        guard var entry = entries[job.name], entry.runningGeneration == job.generation else { return }
        entry.running = false
        entry.runningGeneration = nil
        guard entry.generation == job.generation, entry.set == job.set else {
            entries[job.name] = entry  // the file changed meanwhile: listed again at once
            return
        }
        let cap = listingCap(job.set)
        for (i, result) in results {
            guard entry.listings.indices.contains(i) else { continue }
            switch result {
            case .success(let listing) where listing.elements.count > cap:
                entry.errors[i] =
                    "spec.generators[\(i)].\(job.set.generators[i].kind): listed \(listing.elements.count) elements, more than the \(cap) a set takes (10 times its maxApplications); the last listing is kept"
            case .success(let listing):
                entry.listings[i] = listing.elements
                entry.listedAt[i] = now
                entry.errors[i] = nil
                entry.notes[i] = Array(listing.skipped.prefix(100))
            case .failure(let failure):
                entry.errors[i] = failure.message
            }
        }
        entry.lastListed = now
        entry.due = now.addingTimeInterval(interval(job.set))
        entries[job.name] = entry
    }
}
