import Crypto
import Foundation
import Manifest
import State
import Toolkit

extension SetController {
    /// The applications every set makes now, as apps-dir entries (`file`: the set's file),
    /// given the apps dir's own entries, whose names come first. Then the names each set
    /// already made keep their owner (a set whose file sorts first cannot take another
    /// set's application), then new names in the order of the sets' files. A new name
    /// whose state belongs to another namespace (`namespaceOf`: its status; an application
    /// still being removed) is not taken until that state is gone. Each set's status and
    /// record are brought up to date in its entry (`writes` returns what changed).
    mutating func resolve(files: [String: AppEntry], namespaceOf: (String) -> String? = { _ in nil })
        -> [String: AppEntry]
    {
        var out: [String: AppEntry] = [:]
        var owner: [String: String] = [:]
        var perNamespace: [String: Int] = [:]
        for entry in files.values {
            if case .valid(let r, _, _) = entry { perNamespace[r.namespace, default: 0] += 1 }
        }
        struct Candidate {
            var set: String
            var app: GeneratedApplication
            var origin: Int?
            var kept: Bool
        }
        var candidates: [Candidate] = []
        var skipped: [String: [SetStatus.Skipped]] = [:]
        let order = entries.sorted { ($0.value.file, $0.key) < ($1.value.file, $1.key) }
        for (name, entry) in order {
            guard var set = entry.set else { continue }
            set.maxApplications = min(set.maxApplications, settings.maxPerSet)
            var elements: [ApplicationSet.Element] = []
            var origin: [ApplicationSet.Element: Int] = [:]
            for (i, listing) in entry.listings.enumerated() {
                for element in listing ?? [] where origin[element] == nil {
                    origin[element] = i
                    elements.append(element)
                }
            }
            let previous = Set(entry.generated.map(\.registration.name))
            let rendering = set.render(elements, previous: previous)
            skipped[name] =
                entry.notes.flatMap { $0 }
                + rendering.skipped.map {
                    SetStatus.Skipped(
                        element: $0.element.description, field: $0.problem.field, message: $0.problem.message)
                }
            for app in rendering.generated {
                candidates.append(
                    Candidate(
                        set: name, app: app, origin: origin[app.element],
                        kept: previous.contains(app.registration.name)))
            }
        }
        var made: [String: [GeneratedApplication]] = [:]
        // What the sets made before first (in the sets' order), then what is new.
        for var c in candidates.filter(\.kept) + candidates.filter({ !$0.kept }) {
            guard let set = entries[c.set]?.set else { continue }
            let appName = c.app.registration.name
            func skip(_ field: String, _ message: String) {
                skipped[c.set, default: []].append(
                    .init(element: c.app.element.description, field: field, message: message))
            }
            if case .some(let held) = files[appName] {
                skip("spec.template.name", "\"\(appName)\" is the application of \(held.files.joined(separator: ", "))")
                continue
            }
            if let other = owner[appName] {
                skip("spec.template.name", "\"\(appName)\" is an application of the set \(other)")
                continue
            }
            if !c.kept, let held = namespaceOf(appName), !held.isEmpty, held != set.namespace {
                skip(
                    "spec.template.name",
                    "\"\(appName)\" is an application of another namespace (or its state, until its removal ends)")
                continue
            }
            if let limit = settings.maxPerNamespace, perNamespace[set.namespace, default: 0] >= limit {
                skip(
                    "spec.limits.maxApplications",
                    "namespace \"\(set.namespace)\" has \(limit) applications, the most this host allows (--max-apps-per-namespace)"
                )
                continue
            }
            if let index = c.origin, case .pullRequests(let p) = set.generators[index] {
                c.app.registration.notify.append(.commitStatus(previewStatus(p, app: c.app)))
            }
            perNamespace[set.namespace, default: 0] += 1
            owner[appName] = c.set
            made[c.set, default: []].append(c.app)
            out[appName] = .valid(
                c.app.registration, file: entries[c.set]!.file, digest: Self.digest(c.app.registration))
        }
        for (name, _) in order {
            entries[name]?.generated = (made[name] ?? []).sorted { $0.registration.name < $1.registration.name }
            var list = skipped[name] ?? []
            if list.count > 100 {
                let more = list.count - 100
                list = Array(list.prefix(100))
                list.append(.init(element: "...", field: "", message: "and \(more) more elements skipped"))
            }
            entries[name]?.skipped = list
        }
        return out
    }

    /// A pull-request preview's commit status: on the head commit, its target the preview's
    /// static index (from `--public-url`).
    func previewStatus(_ p: ApplicationSet.Generator.PullRequests, app: GeneratedApplication)
        -> Registration.Notify.CommitStatus
    {
        var status = Registration.Notify.CommitStatus(forge: p.forge, apiURL: p.apiURL, tokenFile: p.tokenFile)
        status.project = p.repo
        if let base = settings.publicURL {
            let prefix = app.pathPrefix ?? ""
            status.targetURL = "\(base)/static/\(app.registration.namespace)\(prefix)/index.html"
        }
        return status
    }

    static func digest(_ registration: Registration) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(registration)).map(Array.init) ?? Array("\(registration)".utf8)
        return "set:" + SHA256.hash(data: bytes).hexString
    }

    /// The status and record of every set whose content changed since last written, and
    /// marks them written.
    mutating func writes(now: Date) -> (statuses: [SetStatus], records: [SetRecord]) {
        var statuses: [SetStatus] = []
        var records: [SetRecord] = []
        for (name, entry) in entries.sorted(by: { $0.key < $1.key }) {
            let status = self.status(name, entry, now: now)
            var compared = status
            compared.updatedAt = entry.written?.updatedAt ?? now
            if entry.written != compared {
                statuses.append(status)
                entries[name]?.written = status
            }
            if let set = entry.set {
                let record = SetRecord(
                    set: set, file: entry.file, listings: entry.listings, listedAt: entry.listedAt,
                    applications: entry.generated)
                if entry.recorded != record {
                    records.append(record)
                    entries[name]?.recorded = record
                }
            }
        }
        return (statuses, records)
    }

    func status(_ name: String, _ entry: Entry, now: Date) -> SetStatus {
        let set = entry.set
        let errors = entry.errors.enumerated().compactMap { i, e in e }
        var problems: [String] = []
        if let problem = entry.problem { problems.append(problem) }
        if !entry.duplicates.isEmpty {
            problems.append(
                "\(entry.duplicates.joined(separator: ", ")) also declare\(entry.duplicates.count == 1 ? "s" : "") the set \(name) and \(entry.duplicates.count == 1 ? "is" : "are") ignored; rename or remove \(entry.duplicates.count == 1 ? "it" : "them")"
            )
        }
        problems += errors
        if !errors.isEmpty { problems.append("the set keeps the applications it made") }
        return SetStatus(
            name: name, namespace: set?.namespace ?? "", file: entry.file,
            generated: entry.generated.map(\.registration.name).sorted(),
            lastListed: entry.lastListed, nextListing: entry.problem == nil && set != nil ? entry.due : nil,
            interval: set.map { Int(interval($0)) } ?? 0,
            maxApplications: set.map { min($0.maxApplications, settings.maxPerSet) } ?? 0,
            skipped: entry.skipped,
            generators: (set?.generators ?? []).enumerated().map { i, g in
                SetStatus.Generator(
                    kind: g.kind, elements: entry.listings.indices.contains(i) ? (entry.listings[i]?.count ?? 0) : 0,
                    lastListed: entry.listedAt.indices.contains(i) ? entry.listedAt[i] : nil,
                    error: entry.errors.indices.contains(i) ? entry.errors[i] : nil)
            },
            error: problems.isEmpty ? nil : problems.joined(separator: "; "), updatedAt: now)
    }
}
