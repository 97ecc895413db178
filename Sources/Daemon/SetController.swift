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
    }

    struct Entry {
        var file: String
        var digest: String
        /// The last valid set (from the file, or the record after a restart).
        var set: ApplicationSet?
        /// Why the file is not a valid set now.
        var problem: String?
        var listings: [[ApplicationSet.Element]?] = []
        var listedAt: [Date?] = []
        var errors: [String?] = []
        var notes: [[SetStatus.Skipped]] = []
        var due: Date
        var running = false
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
    }

    var settings: Settings
    var entries: [String: Entry] = [:]

    init(settings: Settings) { self.settings = settings }

    func interval(_ set: ApplicationSet) -> Double { max(Double(set.interval), settings.minInterval) }

    // MARK: Files

    /// The set files of a scan (the ones this shard owns). Returns the names of sets that
    /// went away (their state is removed; their applications go with the next resolve).
    mutating func update(_ files: [SetFile], layout: StateLayout, now: Date, startup: Bool = false) -> [String] {
        var seen = Set<String>()
        for file in files.sorted(by: { $0.path < $1.path }) {
            guard let name = file.name, !seen.contains(name) else { continue }
            seen.insert(name)
            var entry = entries[name] ?? Self.restored(name, file: file, layout: layout, now: now)
            if entry.digest == file.digest, entries[name] != nil { continue }
            entry.file = file.path
            entry.digest = file.digest
            switch file.result {
            case .success(let set):
                if let old = entry.set, old.namespace != set.namespace {
                    entry = Entry(file: file.path, digest: file.digest, due: now)
                }
                let before = entry.set?.generators ?? []
                entry.set = set
                entry.problem = nil
                var listings = [[ApplicationSet.Element]?](repeating: nil, count: set.generators.count)
                var listedAt = [Date?](repeating: nil, count: set.generators.count)
                for (i, g) in set.generators.enumerated() where before.indices.contains(i) && before[i] == g {
                    listings[i] = entry.listings.indices.contains(i) ? entry.listings[i] : nil
                    listedAt[i] = entry.listedAt.indices.contains(i) ? entry.listedAt[i] : nil
                }
                entry.listings = listings
                entry.listedAt = listedAt
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
        // At startup, also the sets the state dir knows whose file went while the daemon
        // was down (their applications are undeployed like any registration's).
        let known = startup ? layout.sets().filter { entries[$0] == nil } : []
        let gone = Set(entries.keys.filter { !seen.contains($0) } + known.filter { !seen.contains($0) })
        for name in gone {
            entries[name] = nil
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
        entry.due = min(entry.due, now)
        for (i, g) in set.generators.enumerated() {
            guard case .pullRequests = g, let last = entry.listedAt.indices.contains(i) ? entry.listedAt[i] : nil
            else { continue }
            let allowed = last.addingTimeInterval(interval(set))
            if allowed > now { entry.forgeDue = min(entry.forgeDue ?? allowed, allowed) }
        }
        entries[name] = entry
    }

    /// The listings due now; each set's entry is marked running until `finished`.
    mutating func due(now: Date) -> [Job] {
        var jobs: [Job] = []
        for (name, entry) in entries.sorted(by: { $0.key < $1.key }) {
            guard !entry.running, let set = entry.set, entry.problem == nil else { continue }
            let forgeTime = entry.forgeDue.map { $0 <= now } ?? false
            guard entry.due <= now || forgeTime else { continue }
            var indexes: [Int] = []
            for (i, g) in set.generators.enumerated() {
                let last = entry.listedAt.indices.contains(i) ? entry.listedAt[i] : nil
                if case .pullRequests = g, let last, last.addingTimeInterval(interval(set)) > now { continue }
                indexes.append(i)
            }
            entries[name]?.running = true
            if forgeTime { entries[name]?.forgeDue = nil }
            jobs.append(Job(name: name, set: set, indexes: indexes))
        }
        return jobs
    }

    /// When the next listing is due.
    func wake() -> Date? {
        entries.values.filter { !$0.running && $0.set != nil && $0.problem == nil }.flatMap {
            [$0.due, $0.forgeDue].compactMap { $0 }
        }.min()
    }

    /// A listing ended: successful generators replace their listing, failed ones keep it.
    mutating func finished(
        _ job: Job, _ results: [Int: Result<SetLister.Listing, SetLister.Failure>], now: Date
    ) {
        guard var entry = entries[job.name] else { return }
        entry.running = false
        guard entry.set == job.set else {
            entries[job.name] = entry  // the file changed meanwhile: listed again at once
            return
        }
        for (i, result) in results {
            guard entry.listings.indices.contains(i) else { continue }
            switch result {
            case .success(let listing):
                entry.listings[i] = listing.elements
                entry.listedAt[i] = now
                entry.errors[i] = nil
                entry.notes[i] = listing.skipped
            case .failure(let failure):
                entry.errors[i] = failure.message
            }
        }
        entry.lastListed = now
        entry.due = now.addingTimeInterval(interval(job.set))
        entries[job.name] = entry
    }
}
