import ArgumentParser
import Manifest

/// `zerverless-gitops shard NAMESPACE --shards N`: the index of the shard that owns the
/// namespace, alone on a line (the rendezvous hash of `Sharding`, documented there and in
/// the README).
struct ShardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shard",
        abstract: "Print which shard owns a namespace",
        discussion: "The index, 0 to N-1, that rendezvous hashing gives the namespace among N shards, alone on a line.")

    @Argument(help: "The namespace.")
    var namespace: String

    @Option(help: "The number of shards (1 to 1024).")
    var shards: Int

    func run() throws {
        if let problem = Rules.dnsLabelProblem(namespace) {
            printErr("error: \"\(namespace)\" is not a namespace: \(problem)")
            throw ExitCode(2)
        }
        guard (1...1024).contains(shards) else {
            printErr("error: --shards: \(shards) is not a number of shards from 1 to 1024")
            throw ExitCode(2)
        }
        print(Sharding.owner(namespace: namespace, shards: shards))
    }
}
