import ArgumentParser
import Foundation
import GitSource
import Manifest
import State
import Toolkit

/// `zerverless-gitops rollback NAME [--to COMMIT] [--reason TEXT]`: pins the application to
/// a commit (default: the successful commit before the current one). The pin is a file in
/// the state dir, so rewriting the registration does not undo it; `unpin` removes it.
struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Pin an application to an earlier commit, deployed at once",
        discussion:
            "By default the successful commit before the current one; the daemon deploys it at once and stays there. The pin is STATE/apps/NAME/pin.json: an Ansible or ConfigMap rewrite of the registration does not undo it; `zerverless-gitops unpin NAME` does. Exit status: 0 pinned, 1 no such commit or nothing to roll back to, 2 bad usage."
    )

    @OptionGroup var repository: RepositoryOptions

    @Option(help: "The commit to pin (full id, or an abbreviation the repository resolves).")
    var to: String?

    @Option(help: "Why (shown in the status and the history).")
    var reason: String?

    func run() throws {
        let name = repository.target
        guard Rules.dnsLabelProblem(name) == nil else {
            printErr("error: \"\(name)\" is not an application name (a DNS label)")
            throw ExitCode(2)
        }
        if let to, to.count < 7 || !to.allSatisfy({ $0.isHexDigit }) {
            printErr("error: --to \"\(to)\" is not a commit id (at least 7 hex digits)")
            throw ExitCode(2)
        }
        let seconds = try parseTimeout(repository.timeout)
        let registration = try loadRegistration(name, appsDir: repository.appsDir, stateDir: repository.stateDir)
        let layout = try existingStateDir(repository.stateDir)
        let status = try? layout.readStatus(name)
        let wanted: String
        if let to {
            wanted = to.lowercased()
        } else if let previous = Pin.previousCommit(layout.readHistory(name), current: status?.source.commit) {
            wanted = previous
        } else {
            printErr(
                "error: \(name) has no successful sync of another commit in its history (\(SyncHistory.limit) attempts kept); give --to COMMIT"
            )
            throw ExitCode(1)
        }
        // The commit must be one the source offers to the registration's credentials:
        // reachable from a branch or tag their listing advertised (fetched with them when the
        // cache does not show it); another application's fetch proves nothing.
        let remote = try repository.remote(for: registration, timeout: seconds)
        let git = GitSource(cacheRoot: layout.cacheDir)
        let commit: String
        do {
            let head = try git.head(remote, ref: .commit(wanted))
            commit = try git.fetch(remote, ref: .commit(wanted), head: head).commit
        } catch {
            printErr("error: \(name): \(error)")
            throw ExitCode(1)
        }
        let who =
            "zerverless-gitops rollback (\(ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "uid \(getuid())"))"
        do {
            try layout.writePin(Pin(commit: commit, reason: reason, since: Date(), by: who), of: name)
        } catch {
            printErr("error: cannot write the pin: \(error)")
            throw ExitCode(1)
        }
        let from = status?.source.commit.map { " from \($0.prefix(12))" } ?? ""
        print(
            "\(name): pinned to \(commit.prefix(12))\(from)\(reason.map { " (\($0))" } ?? ""); the daemon deploys it now and stays there until `zerverless-gitops unpin \(name)`"
        )
    }
}

/// `zerverless-gitops unpin NAME`: removes the rollback pin; the app follows its ref again.
struct UnpinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpin",
        abstract: "Remove an application's rollback pin: it follows its ref again",
        discussion: "Exit status: 0 unpinned, 1 it was not pinned, 2 bad usage."
    )

    @OptionGroup var app: ApplicationOptions
    var name: String { app.name }

    func run() throws {
        let layout = try app.existingApplication()
        do {
            guard try layout.removePin(name, by: "zerverless-gitops unpin (\(invokingUser()))") else {
                printErr("error: \(name) is not pinned")
                throw ExitCode(1)
            }
        } catch let error as FileError {
            printErr("error: \(error)")
            throw ExitCode(1)
        }
        print("\(name): unpinned; it follows its ref again")
    }
}

/// `zerverless-gitops history NAME [--json] [--limit N]`: the app's last attempts.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show an application's last sync attempts",
        discussion:
            "Newest first: time, trigger, commit, result, duration, what changed. Unchanged polls are not attempts. The daemon keeps the last \(SyncHistory.limit). Exit status: 0, 1 no history, 2 bad usage."
    )

    @OptionGroup var app: ApplicationOptions
    var name: String { app.name }
    var state: StateDirOption { app.state }

    @Flag(help: "The JSON document the REST API answers ({\"history\": [...]}).")
    var json = false

    @Option(help: "At most this many attempts.")
    var limit: Int = SyncHistory.limit

    func run() throws {
        guard Rules.dnsLabelProblem(name) == nil else {
            printErr("error: \"\(name)\" is not an application name (a DNS label)")
            throw ExitCode(2)
        }
        guard limit >= 1 else {
            printErr("error: --limit must be at least 1")
            throw ExitCode(2)
        }
        let layout = StateLayout(root: state.stateDir)
        guard FileManager.default.fileExists(atPath: layout.historyFile(name)) else {
            printErr("error: no history for \"\(name)\" in \(layout.appsDir)")
            throw ExitCode(1)
        }
        let attempts = Array(layout.readHistory(name).attempts.prefix(limit))
        if json {
            FileHandle.standardOutput.write(Data(SyncHistory.document(attempts)))
            return
        }
        let rows = attempts.map { a -> [String] in
            let changed =
                a.functionsChanged.map { "\($0) fn, " + counted(a.filesChanged ?? 0, "file") } ?? "-"
            return [
                SyncHistory.timestamp(a.at), a.trigger.rawValue, a.commit.map { String($0.prefix(12)) } ?? "-",
                a.result, "\(a.durationMs) ms", changed,
                a.message ?? "",
            ]
        }
        let header = ["TIME", "TRIGGER", "COMMIT", "RESULT", "DURATION", "CHANGED", "MESSAGE"]
        let all = [header] + rows
        let widths = (0..<6).map { i in all.map { $0[i].count }.max() ?? 0 }
        for row in all {
            print(
                ((0..<6).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) } + [row[6]]).joined(
                    separator: "  "))
        }
    }
}
