import Foundation
import Manifest
import Toolkit

/// An application set's status (`STATE/sets/NAME/status.json`, `GET
/// /api/gitops/applicationsets/{name}`): what it generated, when it last listed, which
/// elements made no application and why, and what went wrong.
public struct SetStatus: Sendable, Hashable, Codable {
    public struct Skipped: Sendable, Hashable, Codable {
        /// The element's values: `{branch: feature/x}`.
        public var element: String
        /// The template field (or limit) that refused it.
        public var field: String
        public var message: String

        public init(element: String, field: String, message: String) {
            self.element = element
            self.field = field
            self.message = message
        }
    }

    /// One generator's last listing.
    public struct Generator: Sendable, Hashable, Codable {
        public var kind: String
        /// Elements of its last successful listing (kept through failures).
        public var elements: Int
        public var lastListed: Date?
        /// Why its last listing failed (the set keeps what it made).
        public var error: String?

        public init(kind: String, elements: Int, lastListed: Date? = nil, error: String? = nil) {
            self.kind = kind
            self.elements = elements
            self.lastListed = lastListed
            self.error = error
        }
    }

    public var name: String
    public var namespace: String
    public var file: String
    /// The applications it made, by name.
    public var generated: [String]
    /// When every generator last listed (nil: not yet).
    public var lastListed: Date?
    public var nextListing: Date?
    /// The interval the generators list at (the file's, raised to `--set-min-interval`).
    public var interval: Int
    /// The most applications it makes (`limits.maxApplications`, at most `--max-apps-per-set`).
    public var maxApplications: Int
    public var skipped: [Skipped]
    public var generators: [Generator]
    /// What keeps the set from listing or rendering (an invalid file, a failed generator),
    /// nil when nothing does.
    public var error: String?
    public var updatedAt: Date

    public init(
        name: String, namespace: String, file: String, generated: [String] = [], lastListed: Date? = nil,
        nextListing: Date? = nil, interval: Int, maxApplications: Int, skipped: [Skipped] = [],
        generators: [Generator] = [], error: String? = nil, updatedAt: Date
    ) {
        self.name = name
        self.namespace = namespace
        self.file = file
        self.generated = generated
        self.lastListed = lastListed
        self.nextListing = nextListing
        self.interval = interval
        self.maxApplications = maxApplications
        self.skipped = skipped
        self.generators = generators
        self.error = error
        self.updatedAt = updatedAt
    }
}

/// What the daemon keeps of a set between runs (`STATE/sets/NAME/record.json`): the last
/// valid set (an invalid file keeps making what it made), each generator's last successful
/// listing (a generator that fails after a restart keeps its applications), and the
/// applications made, which the REST facade and the CLI read as registrations.
public struct SetRecord: Sendable, Hashable, Codable {
    public var set: ApplicationSet
    public var file: String
    /// Per generator (by index): its last successful listing; nil: never listed.
    public var listings: [[ApplicationSet.Element]?]
    public var listedAt: [Date?]
    public var applications: [GeneratedApplication]

    public init(
        set: ApplicationSet, file: String, listings: [[ApplicationSet.Element]?], listedAt: [Date?],
        applications: [GeneratedApplication]
    ) {
        self.set = set
        self.file = file
        self.listings = listings
        self.listedAt = listedAt
        self.applications = applications
    }
}

extension StateLayout {
    public var setsDir: String { root + "/sets" }
    public func setDir(_ name: String) -> String { setsDir + "/" + name }
    public func setStatusFile(_ name: String) -> String { setDir(name) + "/status.json" }
    public func setRecordFile(_ name: String) -> String { setDir(name) + "/record.json" }
    /// `requests/NAME.list`: list the set's generators now (a webhook for its repository).
    public func setRequestFile(_ name: String) -> String { requestsDir + "/" + name + ".list" }

    /// The set a request file is about (`NAME.list`), or nil.
    public static func set(ofRequestFile file: String) -> String? {
        guard !file.hasPrefix("."), file.hasSuffix(".list") else { return nil }
        let name = String(file.dropLast(".list".count))
        return Rules.dnsLabelProblem(name) == nil ? name : nil
    }

    /// The sets the state dir knows (a folder each).
    public func sets() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: setsDir)) ?? []).filter {
            Rules.dnsLabelProblem($0) == nil
        }.sorted()
    }

    public func readSetStatus(_ name: String) -> SetStatus? {
        try? AtomicFile.readJSON(SetStatus.self, from: setStatusFile(name))
    }

    public func writeSetStatus(_ status: SetStatus) throws {
        try FileManager.default.createDirectory(atPath: setDir(status.name), withIntermediateDirectories: true)
        try AtomicFile.writeJSON(status, to: setStatusFile(status.name), durable: false)
    }

    public func readSetRecord(_ name: String) -> SetRecord? {
        try? AtomicFile.readJSON(SetRecord.self, from: setRecordFile(name))
    }

    public func writeSetRecord(_ record: SetRecord) throws {
        try FileManager.default.createDirectory(atPath: setDir(record.set.name), withIntermediateDirectories: true)
        try AtomicFile.writeJSON(record, to: setRecordFile(record.set.name), durable: true)
    }

    /// The set's status alone (its file went; its record stays for the removal grace).
    public func removeSetStatus(_ name: String) {
        unlink(setStatusFile(name))
    }

    public func removeSet(_ name: String) {
        try? FileManager.default.removeItem(atPath: setDir(name))
    }

    /// Every application the sets made (from their records), by name: what the REST
    /// facade and the CLI treat as registrations besides the apps dir's files.
    public func generatedApplications() -> [String: (registration: Registration, file: String)] {
        var out: [String: (Registration, String)] = [:]
        for name in sets() {
            guard let record = readSetRecord(name) else { continue }
            for app in record.applications where out[app.registration.name] == nil {
                out[app.registration.name] = (app.registration, record.file)
            }
        }
        return out
    }
}
