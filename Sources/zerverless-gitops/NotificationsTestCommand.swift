import ArgumentParser
import Foundation
import Manifest
import State
import Synchronization
import Toolkit

/// `zerverless-gitops notifications test NAME`: asks the daemon for a test event through
/// `STATE/requests/NAME.ID.notify-test` and waits (inotify on the state dir and the
/// outbox, up to `--timeout`) until the outbox entry it writes is delivered or failed at
/// every endpoint. The daemon's notifier sends it: signing, the endpoint guard and the
/// secrets rule stay in one place, and no secret passes through this command.
struct NotificationsTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Send a signed test event to an application's notification endpoints",
        discussion: """
            The daemon sends an event "test" (the application's namespace, current status and commit; \
            X-Zerverless-Event: test) to every webhook of the registration's notify list, whatever its `on`, and \
            to its --notify-url, signed as every event is; forge commit statuses are not sent. Each endpoint is \
            tried once; nothing is synced, and the status and history stay as they are. Prints, per endpoint, \
            delivered (with the HTTP status) or the error. Exit status: 0 delivered everywhere; 1 an endpoint \
            failed, no answer within --timeout (is the daemon running?), nothing to send to, no such application \
            or no state dir; 2 bad usage.
            """
    )

    @OptionGroup var app: ApplicationOptions

    @Option(help: "How long to wait for the deliveries, like 30s or 2m.")
    var timeout: String = "30s"

    func run() async throws {
        let seconds = try parseTimeout(timeout)
        let layout = try app.existingApplication()
        let name = app.name
        let outbox = Outbox(layout: layout)
        let request = NotificationTestRequest(
            app: name, by: "zerverless-gitops notifications test (\(invokingUser()))",
            expires: Date().addingTimeInterval(Double(seconds)))
        // Watched before the request is written: nothing the daemon does is missed.
        let watch = OutboxWatch(layout: layout)
        do {
            try await watch.start()
        } catch {
            printErr("error: \(error) (is the daemon running with --state-dir \(layout.root)?)")
            throw ExitCode(1)
        }
        do {
            try request.write(in: layout)
        } catch {
            printErr("error: cannot write the request: \(error)")
            throw ExitCode(1)
        }
        let answer = await watch.wait(for: request.id, outbox: outbox, timeout: .seconds(seconds))
        guard let (entry, done) = answer else {
            if FileManager.default.fileExists(atPath: layout.requestsDir + "/" + request.fileName) {
                NotificationTestRequest.remove(fileName: request.fileName, in: layout)
                printErr(
                    "error: no answer within \(timeout): the daemon did not take the request (is it running with --state-dir \(layout.root)?)"
                )
            } else if access(outbox.dir, R_OK | X_OK) != 0 {
                printErr(
                    "error: the daemon took the request, but \(outbox.dir) cannot be read: \(String(cString: strerror(errno))) (run as the daemon's user or root)"
                )
            } else {
                printErr("error: the daemon took the request but wrote no test event within \(timeout) (see its log)")
            }
            throw ExitCode(1)
        }
        guard !entry.deliveries.isEmpty else {
            printErr(
                "error: \(name): nothing to send a test to: the registration has no notify webhook and the daemon runs without --notify-url"
            )
            throw ExitCode(1)
        }
        print(
            "\(name): test event \(entry.id) (status \(entry.event.status)) to \(entry.deliveries.count) endpoint\(entry.deliveries.count == 1 ? "" : "s")"
        )
        var failed = false
        for d in entry.deliveries {
            let place = d.target ?? d.endpoint.shownURL ?? (d.endpoint.kindName == "operator" ? "--notify-url" : "?")
            let outcome: String
            if d.delivered != nil {
                outcome = "delivered" + (d.lastStatus.map { " (HTTP \($0))" } ?? "")
            } else {
                failed = true
                outcome =
                    d.lastError.map { "failed: \($0)" }
                    ?? (done ? "failed" : "no answer within \(timeout) (not tried yet)")
            }
            print("  \(d.endpoint.kindName) \(place): \(outcome)")
        }
        if failed { throw ExitCode(1) }
    }
}

/// Waits on the files the daemon writes for a test request: the state dir (where the
/// outbox folder appears), the requests dir, `outbox/` and `outbox/done/` (each watched
/// once it exists). Every event leads to a look at the entry; no polling.
final class OutboxWatch: Sendable {
    let layout: StateLayout
    let subscription = FolderWatcher.shared.subscribe()
    private let watched = Mutex<Set<String>>([])

    init(layout: StateLayout) {
        self.layout = layout
    }

    /// The state dir and the requests dir (both must exist: the daemon makes them).
    func start() async throws {
        for dir in [layout.root, layout.requestsDir] {
            try await subscription.watch(dir)
            _ = watched.withLock { $0.insert(dir) }
        }
        await watchOutbox()
    }

    /// The outbox's folders that exist now and are not watched yet.
    func watchOutbox() async {
        let outbox = Outbox(layout: layout)
        for dir in [outbox.dir, outbox.doneDir] where !watched.withLock({ $0.contains(dir) }) {
            if (try? await subscription.watch(dir)) != nil { _ = watched.withLock { $0.insert(dir) } }
        }
    }

    /// The entry once it is done (or, at the deadline, as it is: open, or nil when the
    /// daemon never wrote it).
    func wait(for id: String, outbox: Outbox, timeout: Duration) async -> (OutboxEntry, Bool)? {
        let done = await withTaskGroup(of: (OutboxEntry, Bool)?.self) { group in
            group.addTask {
                // Watches first, then the look: a change after the look is an event.
                await self.watchOutbox()
                if let found = outbox.entry(id), found.done { return found }
                for await _ in self.subscription {
                    await self.watchOutbox()
                    if let found = outbox.entry(id), found.done { return found }
                }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        subscription.cancel()
        return done ?? outbox.entry(id).map { ($0.entry, $0.done) }
    }
}
