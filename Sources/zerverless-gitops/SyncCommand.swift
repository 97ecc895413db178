import ArgumentParser
import Foundation
import Manifest
import State
import Toolkit

/// `zerverless-gitops sync NAME [--wait]`: writes the trigger file `STATE/requests/NAME.sync`;
/// the daemon picks it up through inotify and removes it once the sync is done.
struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Ask the daemon to sync an application now",
        discussion:
            "Writes the request file STATE/requests/NAME.sync, which the daemon picks up and removes once handled. Exit status: 0 requested (with --wait: synced), 1 not handled in time or not synced (the status message is printed), 2 bad usage."
    )

    @OptionGroup var app: ApplicationOptions
    var name: String { app.name }

    @Flag(help: "Wait until the daemon has handled the request, and report the result.")
    var wait = false

    @Option(help: "How long --wait waits, like 90s or 5m.")
    var timeout: String = "5m"

    var stateDir: String { app.state.stateDir }

    func run() throws {
        guard Rules.dnsLabelProblem(name) == nil else {
            printErr("error: \"\(name)\" is not an application name (a DNS label)")
            throw ExitCode(2)
        }
        let seconds = try parseTimeout(timeout)
        let layout = try existingStateDir(stateDir)
        if (try? layout.readStatus(name)) == nil {
            let registered = AppsDir(directory: app.apps.appsDir).scan().files.contains { $0.name == name }
            printErr(
                registered
                    ? "warning: no status for \"\(name)\" in \(layout.appsDir) yet (the daemon has not seen its registration); the request is written anyway"
                    : "warning: no status for \"\(name)\" in \(layout.appsDir) and no registration names it in \(app.apps.appsDir); the request is written anyway"
            )
        }
        let requests = SyncRequests(layout: layout)
        do {
            try requests.write(name, by: "zerverless-gitops sync")
        } catch {
            printErr("error: \(error)")
            throw ExitCode(1)
        }
        guard wait else {
            print("sync of \(name) requested (\(layout.requestFile(name)))")
            return
        }
        let drawn = ProgressLine(terminal: isatty(STDERR_FILENO) == 1)
        let handled = requests.waitHandled(name, timeout: .seconds(seconds)) {
            drawn.show((try? layout.readStatus(name))?.progress)
        }
        drawn.end()
        guard handled else {
            printErr(
                "error: the request was not handled within \(timeout); is the daemon running with --state-dir \(stateDir)?"
            )
            throw ExitCode(1)
        }
        guard let status = try? layout.readStatus(name) else {
            printErr(
                "error: \(name): the request was handled but there is no status (the application is not registered)")
            throw ExitCode(1)
        }
        let line =
            "\(name): \(status.status.rawValue)" + Self.commits(status) + (status.message.map { ": \($0)" } ?? "")
        if status.status == .synced {
            print(line)
        } else {
            printErr(line)
            throw ExitCode(1)
        }
    }

    /// " at C" for a sync; for a failure the commit it tried and the last good one:
    /// " at NEW (last good OLD)" (`source.lastAttemptedCommit`, `source.commit`).
    static func commits(_ status: StatusDocument) -> String {
        let good = status.source.commit.map { String($0.prefix(12)) }
        let tried = status.source.lastAttemptedCommit.map { String($0.prefix(12)) }
        if status.status == .synced { return good.map { " at \($0)" } ?? "" }
        guard let tried else { return good.map { " (last good \($0))" } ?? "" }
        if tried == good { return " at \(tried)" }
        return " at \(tried)" + (good.map { " (last good \($0))" } ?? " (nothing synced yet)")
    }
}
