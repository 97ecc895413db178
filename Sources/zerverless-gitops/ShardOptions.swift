import ArgumentParser
import Foundation
import Manifest

/// `--shards N` and `--shard-index I|auto`: refused at startup (exit 2) when they do not
/// make sense.
struct ShardSettings {
    var shards: Int
    var index: Int

    static func parse(shards text: String, index indexText: String, hostName: String = ProcessInfo.processInfo.hostName) throws -> ShardSettings {
        guard let shards = Int(text), (1...1024).contains(shards) else {
            printErr("error: --shards: \"\(text)\" is not a number of shards from 1 to 1024")
            throw ExitCode(2)
        }
        let index: Int
        if indexText == "auto" {
            guard let found = Sharding.index(fromHostName: hostName) else {
                printErr("error: --shard-index auto: the host name \"\(hostName)\" does not end in -K (a StatefulSet pod's name, like zerverless-gitops-2); give the index")
                throw ExitCode(2)
            }
            index = found
        } else {
            guard let given = Int(indexText), given >= 0 else {
                printErr("error: --shard-index: \"\(indexText)\" is not an index (0 to N-1) or auto")
                throw ExitCode(2)
            }
            index = given
        }
        guard index < shards else {
            printErr("error: --shard-index \(index) is not below --shards \(shards) (indexes are 0 to \(shards - 1)); with a StatefulSet, --shards must equal its replicas")
            throw ExitCode(2)
        }
        return ShardSettings(shards: shards, index: index)
    }
}
