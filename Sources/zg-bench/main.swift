// zg-bench: the project's benchmarks. Each prints medians and a ratio against a peer
// measured in the same run.
//
//   zg-bench validate     validate (in process) vs PyYAML's C loader on the same files
//   zg-bench git          head lookup and fetch+checkout vs the git CLI over git://
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "validate":
    ValidateBenchmark.run()
case "git":
    do {
        try GitBenchmark.run()
    } catch {
        FileHandle.standardError.write(Data("zg-bench git: \(error)\n".utf8))
        exit(1)
    }
default:
    FileHandle.standardError.write(Data("usage: zg-bench validate|git\n".utf8))
    exit(2)
}
