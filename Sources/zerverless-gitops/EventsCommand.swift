import ArgumentParser
import Foundation
import Manifest
import State
import Toolkit

/// `zerverless-gitops events [NAME] [--watch] [--json]`: the transitions the daemon
/// announced, one line each, from the state dir's event feed (`EventLog`).
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Show the applications' transitions, one line each",
        discussion: """
            From the state dir's event feed (STATE/events/events.jsonl), oldest first: time, application (namespace), \
            event (synced, error, invalid, drift, deleted), commit (the one the attempt tried; for drift the deployed \
            one) and message. Every transition is there, whether or not a notification endpoint wants it; the feed \
            keeps the latest 4 to 8 MiB. --watch prints each new event as the daemon writes it, until interrupted. \
            Exit status: 0, 1 no state dir, 2 bad usage.
            """
    )

    @Argument(help: "Only this application's events (default: all).", completion: AppNameCompletion.names)
    var name: String?

    @OptionGroup var state: StateDirOption

    @Flag(help: "Then print each new event as it comes (Ctrl-C ends).")
    var watch = false

    @Flag(help: "One JSON document per line (the notification document), for jq.")
    var json = false

    @Option(name: [.customShort("n"), .long], help: "How many of the latest events first (0: none).")
    var limit = 50

    func validate() throws {
        if let name, Rules.dnsLabelProblem(name) != nil {
            throw ValidationError("\"\(name)\" is not an application name (a DNS label)")
        }
        guard limit >= 0 else { throw ValidationError("--limit must be 0 or more") }
    }

    func run() async throws {
        let layout = try existingStateDir(state.stateDir)
        let log = EventLog(layout: layout)
        let out = FileHandle.standardOutput
        // Watching first, then reading: an event written in between is read from the
        // file already open, and its inotify event comes after.
        var subscription: FolderWatcher.Subscription?
        if watch {
            subscription = FolderWatcher.shared.subscribe()
            mkdir(log.folder, 0o750)  // the daemon makes it at its first event otherwise
            do { try await subscription?.watch(log.folder) } catch {
                printErr("error: cannot watch \(log.folder): \(error)")
                throw ExitCode(1)
            }
        }
        var tail = EventLog.Tail(path: log.file)
        var events = EventLog.parse(Array(FileManager.default.contents(atPath: log.previousFile) ?? Data())).events
        events += tail.readNew()
        let shown = events.filter { name == nil || $0.app == name }.suffix(limit)
        out.write(Data(shown.map(line).joined().utf8))
        guard let subscription else { return }
        for await change in subscription {
            switch change {
            case .changed(_, let file) where !file.hasPrefix("events.jsonl"): continue
            case .created: continue
            default: break
            }
            let new = tail.readNew().filter { name == nil || $0.app == name }
            if !new.isEmpty { out.write(Data(new.map(line).joined().utf8)) }
        }
    }

    func line(_ event: NotificationEvent) -> String {
        if json { return String(decoding: EventLog.line(event), as: UTF8.self) }
        return Self.text(event)
    }

    /// `TIME  APP (NAMESPACE)  EVENT  COMMIT  MESSAGE`; the message on one line, with no
    /// control characters (it may quote a tenant's repository).
    static func text(_ event: NotificationEvent) -> String {
        let app = "\(event.app) (\(event.namespace))"
        let commit = event.commit.map { String($0.prefix(12)) } ?? "-"
        let message = (event.message ?? "").unicodeScalars.map {
            $0.properties.generalCategory == .control ? " " : String($0)
        }.joined()
        return [
            SyncHistory.timestamp(event.time), pad(app, 24), pad(event.event, 10), pad(commit, 12), message,
        ].joined(separator: "  ") + "\n"
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
