import ArgumentParser
import Foundation
import Manifest

@main
struct ZerverlessGitops: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zerverless-gitops",
        abstract: "Pull-based GitOps agent of Zerverless",
        version: "0.1.0",
        subcommands: [
            Run.self, Validate.self, Check.self, Status.self, SyncCommand.self, PlanCommand.self, DiffCommand.self,
            HistoryCommand.self, RollbackCommand.self, UnpinCommand.self, SuspendCommand.self, ResumeCommand.self,
            EventsCommand.self, NotificationsCommand.self, ShardCommand.self,
        ]
    )

    /// Like ArgumentParser's `main()`, but a usage error exits 2 (the interface's code for
    /// bad usage) instead of 64.
    static func main() async {
        Defaults.apply()
        do {
            var command = try parseAsRoot()
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                printErr(fullMessage(for: error))
                if let hint = suggestion(for: CommandLine.arguments.dropFirst().first) { printErr(hint) }
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }

    /// "did you mean ...?" for a mistyped subcommand (the closest by edit distance).
    static func suggestion(for word: String?) -> String? {
        guard let word, !word.hasPrefix("-") else { return nil }
        let names = configuration.subcommands.map { $0._commandName }
        guard !names.contains(word) else { return nil }
        let scored = names.map { ($0, Suggest.distance(word, $0)) }.min { $0.1 < $1.1 }
        guard let (best, distance) = scored, distance <= max(2, best.count / 3) else { return nil }
        return "Did you mean '\(best)'?"
    }
}
