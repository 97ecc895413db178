import ArgumentParser
import Foundation
import Manifest
import State
import Toolkit

/// `zerverless-gitops notifications`: `list` (the default: `notifications [NAME]`) and
/// `test NAME`. A group, because a command with a NAME argument of its own would take
/// `test` for an application's name.
struct NotificationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notifications",
        abstract: "Show pending and failed notifications per endpoint, or send a test event",
        discussion: """
            `notifications [NAME]` (the default subcommand, `list`) shows what the outbox holds per endpoint; \
            `notifications test NAME` sends a signed test event to the application's endpoints. Exit status: \
            list: 0 nothing failing, 1 a delivery failing, 2 bad usage or no state dir; test: 0 delivered \
            everywhere, 1 an endpoint failed or no answer, 2 bad usage (see each subcommand's --help).
            """,
        subcommands: [NotificationsList.self, NotificationsTestCommand.self],
        defaultSubcommand: NotificationsList.self
    )
}

/// `zerverless-gitops notifications [list] [NAME] [--json]`: the outbox by endpoint, what
/// waits and what fails.
struct NotificationsList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show the notifications waiting or failing, per endpoint",
        discussion: """
            Reads the outbox (STATE/outbox: the events not yet delivered; outbox/done: those of the last 24 h) and \
            shows, per endpoint (a tenant's webhook, the operator's --notify-url, a forge's commit statuses), how \
            many events wait, the oldest's age, the attempts, the last error and the next retry, and which \
            applications and events. URLs are shown without credentials or query values (a Slack URL without its \
            path); secrets never appear. With NAME, only that application's. Exit status: 0 nothing failing; 1 a \
            delivery is failing: still undelivered after its first retry (two failed attempts or more), or waiting \
            for more than 5 minutes (behind a failing event of its endpoint, or with no daemon delivering); 2 bad \
            usage, no state dir, no such application, or an outbox that cannot be read.
            """
    )

    @Argument(help: "One application's deliveries (default: all).", completion: AppNameCompletion.names)
    var name: String?

    @Flag(help: "Print the report as one JSON document (see the README).")
    var json = false

    @OptionGroup var apps: AppsDirOption
    @OptionGroup var state: StateDirOption

    func run() throws {
        if let name, Rules.dnsLabelProblem(name) != nil {
            printErr("error: \"\(name)\" is not an application name (a DNS label)")
            throw ExitCode(2)
        }
        let layout = state.layout
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: layout.root, isDirectory: &isDir), isDir.boolValue else {
            printErr(
                "error: no state dir at \(layout.root) (is the daemon running with --state-dir \(layout.root)? give --state-dir or ZG_STATE_DIR)"
            )
            throw ExitCode(2)
        }
        actAsStateDirOwner(layout.root)
        if let name, !FileManager.default.fileExists(atPath: layout.appDir(name)),
            !AppsDir(directory: apps.appsDir).scan().files.contains(where: { $0.name == name })
        {
            printErr(
                "error: no application \"\(name)\": no registration names it in \(apps.appsDir) and the state dir \(layout.root) has nothing of it"
            )
            throw ExitCode(2)
        }
        let outbox = Outbox(layout: layout)
        for dir in [outbox.dir, outbox.doneDir] where FileManager.default.fileExists(atPath: dir) {
            guard access(dir, R_OK | X_OK) == 0 else {
                printErr(
                    "error: cannot read \(dir): \(String(cString: strerror(errno))) (run as the daemon's user or root)")
                throw ExitCode(2)
            }
        }
        let (open, unreadable) = outbox.open()
        for file in unreadable { printErr("warning: \(outbox.dir)/\(file) cannot be read; not shown") }
        let report = NotificationReport(open: open, done: outbox.done(), app: name, now: Date())
        if json {
            print(Self.json(report))
        } else {
            print(Self.text(report))
        }
        if report.failing > 0 { throw ExitCode(1) }
    }

    static func json(_ report: NotificationReport) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(report)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// At most this many events listed per endpoint (the rest are counted).
    static let listed = 10

    static func text(_ report: NotificationReport) -> String {
        let now = report.generated
        func ago(_ date: Date) -> String { Status.duration(now.timeIntervalSince(date)) + " ago" }
        var lines: [String] = []
        for e in report.endpoints {
            var place = [e.namespace.map { "namespace \($0)" }, e.project].compactMap { $0 }.joined(separator: ", ")
            place = place.isEmpty ? "" : " (\(place))"
            var head = "\(e.kind) \(e.url ?? (e.kind == "operator" ? "--notify-url" : "?"))\(place): \(e.state)"
            head +=
                e.pending == 0
                ? ", nothing pending"
                : ", \(e.pending) pending"
                    + (e.oldest.map { ", the oldest \(Status.duration(now.timeIntervalSince($0))) old" } ?? "")
            lines.append(head)
            if let at = e.lastAttempt, let error = e.lastError {
                lines.append(
                    "  last attempt \(ago(at))" + (e.pending > 0 ? " (attempt \(e.attempts))" : "") + ": \(error)")
            }
            if let retry = e.nextRetry {
                let left = retry.timeIntervalSince(now)
                lines.append("  next retry " + (left <= 0 ? "due now" : "in " + Status.duration(left)))
            }
            var recent =
                ["\(e.delivered) delivered", "\(e.dropped) dropped"].joined(separator: ", ") + " in the last 24 h"
            if let last = e.lastDelivered { recent += ", the last delivered \(ago(last))" }
            lines.append("  " + recent)
            for event in e.events.prefix(listed) {
                var line = "    \(event.app) \(event.event)"
                if let commit = event.commit { line += " \(commit.prefix(12))" }
                line += ", \(ago(event.created)): \(event.state)"
                if event.attempts > 0 { line += " (\(event.attempts) attempt\(event.attempts == 1 ? "" : "s"))" }
                if event.state == "dropped", let error = event.lastError { line += ": \(error)" }
                lines.append(line)
            }
            if e.events.count > listed { lines.append("    … and \(e.events.count - listed) more") }
        }
        let whose = report.app.map { " for \($0)" } ?? ""
        if report.endpoints.isEmpty {
            lines.append("nothing pending or failing\(whose); no notification in the last 24 h")
        } else if report.pending == 0 {
            lines.append("nothing pending or failing\(whose)")
        } else {
            let failing = report.endpoints.filter { $0.state == "failing" }.count
            lines.append(
                "\(report.pending) deliver\(report.pending == 1 ? "y" : "ies") pending\(whose)"
                    + (failing > 0
                        ? ", \(report.failing) failing at \(failing) endpoint\(failing == 1 ? "" : "s")"
                        : ", none failing"))
        }
        return lines.joined(separator: "\n")
    }
}
