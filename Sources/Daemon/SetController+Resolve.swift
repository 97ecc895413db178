import Crypto
import Foundation
import Manifest
import State
import Toolkit

extension SetController {
    /// The applications every set makes now, as apps-dir entries (`file`: the set's file),
    /// given the apps dir's own entries (whose names come first). Each set's status and
    /// record are brought up to date in its entry (`writes` returns what changed).
    mutating func resolve(files: [String: AppEntry]) -> [String: AppEntry] {
        var out: [String: AppEntry] = [:]
        var owner: [String: String] = [:]
        var perNamespace: [String: Int] = [:]
        for entry in files.values {
            if case .valid(let r, _, _) = entry { perNamespace[r.namespace, default: 0] += 1 }
        }
        for (name, entry) in entries.sorted(by: { ($0.value.file, $0.key) < ($1.value.file, $1.key) }) {
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
            var skipped = entry.notes.flatMap { $0 }
            skipped += rendering.skipped.map {
                SetStatus.Skipped(element: $0.element.description, field: $0.problem.field, message: $0.problem.message)
            }
            // What the set made before keeps its place against the namespace's limit.
            let ordered =
                rendering.generated.filter { previous.contains($0.registration.name) }
                + rendering.generated.filter { !previous.contains($0.registration.name) }
            var made: [GeneratedApplication] = []
            for var app in ordered {
                let appName = app.registration.name
                func skip(_ field: String, _ message: String) {
                    skipped.append(.init(element: app.element.description, field: field, message: message))
                }
                if case .some(let held) = files[appName] {
                    skip(
                        "spec.template.name",
                        "\"\(appName)\" is the application of \(held.files.joined(separator: ", "))")
                    continue
                }
                if let other = owner[appName] {
                    skip("spec.template.name", "\"\(appName)\" is an application of the set \(other)")
                    continue
                }
                if let limit = settings.maxPerNamespace, perNamespace[set.namespace, default: 0] >= limit {
                    skip(
                        "spec.limits.maxApplications",
                        "namespace \"\(set.namespace)\" has \(limit) applications, the most this host allows (--max-apps-per-namespace)"
                    )
                    continue
                }
                if let index = origin[app.element], case .pullRequests(let p) = set.generators[index] {
                    app.registration.notify.append(.commitStatus(previewStatus(p, app: app)))
                }
                perNamespace[set.namespace, default: 0] += 1
                owner[appName] = name
                made.append(app)
                out[appName] = .valid(app.registration, file: entry.file, digest: Self.digest(app.registration))
            }
            entries[name]?.generated = made.sorted { $0.registration.name < $1.registration.name }
            entries[name]?.skipped = skipped
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
