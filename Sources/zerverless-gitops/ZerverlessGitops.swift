import ArgumentParser
import Foundation

@main
struct ZerverlessGitops: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zerverless-gitops",
        abstract: "The pull-based GitOps agent of Zerverless.",
        version: "0.1.0",
        subcommands: [Validate.self, Check.self, Status.self, PlanCommand.self]
    )

    /// Like ArgumentParser's `main()`, but a usage error exits 2 (the interface's code for
    /// bad usage) instead of 64.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                printErr(fullMessage(for: error))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
