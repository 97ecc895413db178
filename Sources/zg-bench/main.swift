// zg-bench: the project's benchmarks. Each prints medians and a ratio against a peer
// measured in the same run.
//
//   zg-bench validate     validate (in process) vs PyYAML's C loader on the same files
//   zg-bench git          head lookup and fetch+checkout vs the git CLI over git://
//   zg-bench static       static sync of 10,000 files (no-op, one file) vs rsync -a --delete
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "validate":
    ValidateBenchmark.run()
case "static":
    do {
        try await StaticBenchmark.run()
    } catch {
        FileHandle.standardError.write(Data("zg-bench static: \(error)\n".utf8))
        exit(1)
    }
case "git":
    do {
        try GitBenchmark.run()
    } catch {
        FileHandle.standardError.write(Data("zg-bench git: \(error)\n".utf8))
        exit(1)
    }
default:
    FileHandle.standardError.write(Data("usage: zg-bench validate|git|static\n".utf8))
    exit(2)
}
