import Foundation
import Manifest
import Toolkit

/// `STATE/requests/NAME.ID.notify-test`: asks the daemon to send a test event of NAME to
/// its endpoints (`zerverless-gitops notifications test`). The daemon that owns NAME
/// writes the event to the outbox as entry `ID` (its notifier delivers it, signing and
/// checking as for every event) and removes the request; the asker watches the outbox for
/// that entry. A request past `expires` (its asker gave up) is removed unanswered.
public struct NotificationTestRequest: Sendable, Hashable, Codable {
    public var app: String
    /// The outbox entry's id: `test-` and 24 hex digits.
    public var id: String
    /// Who asked (for the log).
    public var by: String
    public var expires: Date

    public init(app: String, id: String = Self.newID(), by: String, expires: Date) {
        self.app = app
        self.id = id
        self.by = by
        self.expires = expires
    }

    static let suffix = ".notify-test"

    /// A fresh id: `test-` and 24 random hex digits.
    public static func newID() -> String {
        "test-" + (0..<12).map { _ in UInt8.random(in: 0...255) }.hexString
    }

    /// An id the daemon accepts (it names a file of the outbox).
    public static func isValid(id: String) -> Bool {
        id.hasPrefix("test-") && id.utf8.count == 29
            && id.utf8.dropFirst(5).allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// The file name of the request in the requests dir.
    public var fileName: String { app + "." + id + Self.suffix }

    /// The application and the id a requests-dir file name asks for, or nil for other files
    /// (sync requests, temporaries, hidden names, names that are not DNS labels).
    public static func parse(fileName: String) -> (app: String, id: String)? {
        guard !fileName.hasPrefix("."), fileName.hasSuffix(suffix) else { return nil }
        let stem = fileName.dropLast(suffix.count)
        guard let dot = stem.firstIndex(of: ".") else { return nil }
        let app = String(stem[..<dot])
        let id = String(stem[stem.index(after: dot)...])
        guard Rules.dnsLabelProblem(app) == nil, isValid(id: id) else { return nil }
        return (app, id)
    }

    /// Writes the request into `layout`'s requests dir (atomically: the daemon never reads
    /// half of it).
    public func write(in layout: StateLayout) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(self)), to: layout.requestsDir + "/" + fileName)
    }

    /// The request a requests-dir file holds, or nil when it is gone or unreadable.
    public static func read(fileName: String, in layout: StateLayout) -> NotificationTestRequest? {
        try? AtomicFile.readJSON(NotificationTestRequest.self, from: layout.requestsDir + "/" + fileName)
    }

    /// Removes the request (answered, expired, or given up by its asker).
    public static func remove(fileName: String, in layout: StateLayout) {
        unlink(layout.requestsDir + "/" + fileName)
    }

    /// The test requests waiting in the requests dir, by file name.
    public static func pending(in layout: StateLayout) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: layout.requestsDir)) ?? []).filter {
            parse(fileName: $0) != nil
        }.sorted()
    }
}
