// zg-bench: the project's benchmarks. Each prints medians and a ratio against a peer
// measured in the same run.
//
//   zg-bench validate     validate (in process) vs PyYAML's C loader on the same files
//   zg-bench git          head lookup and fetch+checkout vs the git CLI over git://
//   zg-bench static       static sync of 10,000 files (no-op, one file) vs rsync -a --delete
//   zg-bench daemon       rename -> synced vs git clone; a poll round of 1,000 apps vs git ls-remote
//   zg-bench health       webhook -> rolled back (a bad commit) vs -> healthy (a good one); a check round of 1,000 apps vs curl
//   zg-bench drift        one drift pass over 1,000 apps (local target) vs rsync -a --checksum --dry-run
//   zg-bench events       status write -> SSE client on /api/gitops/events vs inotifywait -m on the same writes
//   zg-bench shards       ownership of 10,000 apps over 10 shards: balance and moves on a resize vs fnv32a % replicas
//   zg-bench api          the REST facade with 1,000 applications vs nginx serving the same files (wrk)
//   zg-bench sets         one application set expanding 1,000 folders (webhook -> all synced) vs 1,000 registration files
//   zg-bench scale        100,000 applications on one host: setup, poll round vs git ls-remote, memory, REST vs nginx, restart
//   zg-bench soak         the daemon left running N minutes (failing receiver, hung repository, pushes, churn): drift of CPU, memory, fds
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
case "scale":
    do {
        try await ScaleBenchmark.run()
    } catch {
        FileHandle.standardError.write(Data("zg-bench scale: \(error)\n".utf8))
        exit(1)
    }
case "api":
    do {
        try await APIBenchmark.run()
    } catch {
        FileHandle.standardError.write(Data("zg-bench api: \(error)\n".utf8))
        exit(1)
    }
case "health":
    do {
        try await HealthBenchmark.run()
    } catch {
        FileHandle.standardError.write(Data("zg-bench health: \(error)\n".utf8))
        exit(1)
    }
case "sets":
    do { try SetsBenchmark.run() } catch {
        FileHandle.standardError.write(Data("zg-bench sets: \(error)\n".utf8))
        exit(1)
    }
case "daemon":
    do {
        try DaemonBenchmark.run()
    } catch {
        FileHandle.standardError.write(Data("zg-bench daemon: \(error)\n".utf8))
        exit(1)
    }
case "drift":
    do {
        try await DriftBenchmark.run()
    } catch {
        FileHandle.standardError.write(Data("zg-bench drift: \(error)\n".utf8))
        exit(1)
    }
case "shards":
    ShardsBenchmark.run()
case "soak":
    do {
        try SoakBenchmark.run()
    } catch {
        FileHandle.standardError.write(Data("zg-bench soak: \(error)\n".utf8))
        exit(1)
    }
case "events":
    do {
        try await EventsBenchmark.run()
    } catch {
        FileHandle.standardError.write(Data("zg-bench events: \(error)\n".utf8))
        exit(1)
    }
default:
    FileHandle.standardError.write(
        Data("usage: zg-bench validate|git|static|daemon|api|drift|events|shards|health|sets|scale|soak\n".utf8))
    exit(2)
}
