import ArgumentParser
import Foundation

@main
struct ZerverlessGitops: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zerverless-gitops",
        abstract: "The pull-based GitOps agent of Zerverless.",
        version: "0.1.0",
        subcommands: [Run.self, Validate.self, Check.self, Status.self, SyncCommand.self, PlanCommand.self]
    )

    /// Like ArgumentParser's `main()`, but a usage error exits 2 (the interface's code for
    /// bad usage) instead of 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                printErr(fullMessage(for: error))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
