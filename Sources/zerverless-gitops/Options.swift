import ArgumentParser
import Foundation
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
