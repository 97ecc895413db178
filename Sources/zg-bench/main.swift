// zg-bench: the project's benchmarks. Each prints medians and a ratio against a peer
// measured in the same run.
//
//   zg-bench validate     validate (in process) vs PyYAML's C loader on the same files
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "validate":
    ValidateBenchmark.run()
default:
    FileHandle.standardError.write(Data("usage: zg-bench validate\n".utf8))
    exit(2)
}
