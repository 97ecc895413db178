import ArgumentParser
import Foundation
import Manifest
import State
import Toolkit

/// `--state-dir` (every command that reads or writes the state dir).
struct StateDirOption: ParsableArguments {
    @Option(help: "All runtime state. Env: ZG_STATE_DIR.")
    var stateDir: String = env("ZG_STATE_DIR") ?? StateLayout.defaultRoot

    var layout: StateLayout { StateLayout(root: stateDir) }
}

/// `--apps-dir` (the daemon, and the commands that find a registration by name).
struct AppsDirOption: ParsableArguments {
    @Option(help: "The registration files. Env: ZG_APPS_DIR.")
    var appsDir: String = env("ZG_APPS_DIR") ?? "/etc/zerverless/apps.d"
}

func env(_ name: String) -> String? {
    ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
}

func envFlag(_ name: String) -> Bool {
    guard let value = env(name)?.lowercased() else { return false }
    return ["1", "true", "yes", "on"].contains(value)
}

/// What every command about one application takes: its NAME, `--apps-dir` and
/// `--state-dir` (and their environment variables), the same for each.
struct ApplicationOptions: ParsableArguments {
    @Argument(help: "The application's name.", completion: AppNameCompletion.names)
    var name: String

    @OptionGroup var apps: AppsDirOption
    @OptionGroup var state: StateDirOption

    /// The state dir (it must exist) once NAME is a DNS label and an application: one the
    /// state dir knows or a registration in the apps dir names. Exit 2 for a bad name, 1
    /// otherwise.
    func existingApplication() throws -> StateLayout {
        guard Rules.dnsLabelProblem(name) == nil else {
            printErr("error: \"\(name)\" is not an application name (a DNS label)")
            throw ExitCode(2)
        }
        let layout = try existingStateDir(state.stateDir)
        let known =
            FileManager.default.fileExists(atPath: layout.appDir(name))
            || AppsDir(directory: apps.appsDir).scan().files.contains { $0.name == name }
        guard known else {
            printErr(
                "error: no application \"\(name)\": no registration names it in \(apps.appsDir) and the state dir \(layout.root) has nothing of it (give --apps-dir or ZG_APPS_DIR, --state-dir or ZG_STATE_DIR)"
            )
            throw ExitCode(1)
        }
        return layout
    }
}
