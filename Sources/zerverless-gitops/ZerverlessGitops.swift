import ArgumentParser

@main
struct ZerverlessGitops: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zerverless-gitops",
        abstract: "The pull-based GitOps agent of Zerverless.",
        version: "0.1.0",
        subcommands: [Validate.self]
    )
}
