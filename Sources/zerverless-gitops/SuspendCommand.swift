import ArgumentParser
import Foundation
import Manifest
import State
import Toolkit

/// `zerverless-gitops suspend NAME [--reason TEXT]`: no syncs until `resume`. Kept in the
/// state dir (`apps/NAME/suspend.json`) like a pin: an Ansible or ConfigMap rewrite of the
/// registration does not undo it.
struct SuspendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suspend",
        abstract: "Stop syncing an application until it is resumed",
        discussion:
            "No syncs (polls, webhooks, requests) until resumed; what is deployed stays. The suspension is STATE/apps/NAME/suspend.json: a rewrite of the registration does not undo it; `zerverless-gitops resume NAME` does. Exit status: 0 suspended, 1 no such application or no state dir, 2 bad usage."
    )

    @OptionGroup var app: ApplicationOptions

    @Option(help: "Why (shown in the status).")
    var reason: String?

    func run() throws {
        let layout = try app.existingApplication()
        if let current = layout.readSuspension(app.name) {
            print("\(app.name): already suspended since \(SyncHistory.timestamp(current.since))")
            return
        }
        do {
            try layout.writeSuspension(
                Suspension(reason: reason, since: Date(), by: "zerverless-gitops suspend (\(invokingUser()))"),
                of: app.name)
        } catch {
            printErr("error: cannot write the suspension: \(error)")
            throw ExitCode(1)
        }
        print(
            "\(app.name): suspended\(reason.map { " (\($0))" } ?? ""); no syncs until `zerverless-gitops resume \(app.name)`"
        )
    }
}

/// `zerverless-gitops resume NAME`: removes the suspension; the daemon looks at once.
struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume a suspended application",
        discussion:
            "The daemon syncs it at once and polls it again. Exit status: 0 resumed, 1 it was not suspended (or no such application), 2 bad usage."
    )

    @OptionGroup var app: ApplicationOptions

    func run() throws {
        let layout = try app.existingApplication()
        do {
            guard try layout.removeSuspension(app.name, by: "zerverless-gitops resume (\(invokingUser()))") else {
                printErr("error: \(app.name) is not suspended")
                throw ExitCode(1)
            }
        } catch let error as FileError {
            printErr("error: \(error)")
            throw ExitCode(1)
        }
        print("\(app.name): resumed; the daemon syncs it now")
    }
}

/// Who runs the command (for the record in the files it writes).
func invokingUser() -> String {
    let environment = ProcessInfo.processInfo.environment
    return environment["SUDO_USER"] ?? environment["USER"] ?? "uid \(getuid())"
}
