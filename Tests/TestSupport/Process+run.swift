import Foundation

/// What a finished child process left behind.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs a program to completion, feeding `input` on stdin. Spawned with posix_spawn, its
/// stdout and stderr going to temporary files: Foundation's Process watches pipes with
/// dispatch sources, and many processes started at once by parallel tests crashed
/// libdispatch's manager thread (`_dispatch_source_refs_finalize_unregistration`, seen in
/// CI) besides the waitpid stall noted at ServerProcess.
public func run(_ executable: String, _ arguments: [String], input: Data? = nil,
                environment: [String: String]? = nil, cwd: String? = nil) throws -> ProcessOutput {
    let base = FileManager.default.temporaryDirectory.path + "/zg-run-\(UUID().uuidString)"
    let inPath = base + ".in", outPath = base + ".out", errPath = base + ".err"
    defer { for path in [inPath, outPath, errPath] { unlink(path) } }
    if let input {
        guard FileManager.default.createFile(atPath: inPath, contents: input) else { throw CommandFailed(description: "cannot write \(inPath)") }
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, input == nil ? "/dev/null" : inPath, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    // A working directory through coreutils' `env -C` (posix_spawn_file_actions_addchdir_np
    // is not visible to Swift here).
    let program = cwd == nil ? executable : "/usr/bin/env"
    let argv = ((cwd.map { ["/usr/bin/env", "-C", $0, executable] } ?? [executable]) + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { env.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, program, &actions, nil, argv, env)
    guard rc == 0 else { throw CommandFailed(description: "\(executable): posix_spawn: \(String(cString: strerror(rc)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let read = { (path: String) in FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? "" }
    return ProcessOutput(status: code, stdout: read(outPath), stderr: read(errPath))
}

/// The package's built products (`.build/debug`), found next to the test bundle.
public enum Build {
    public static var productsDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["ZG_PRODUCTS_DIR"] { return URL(fileURLWithPath: dir) }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.pathComponents.count > 1 {
            url.deleteLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("zerverless-gitops").path) { return url }
        }
        return URL(fileURLWithPath: packageRoot).appendingPathComponent(".build/debug")
    }

    /// The `zerverless-gitops` binary under test.
    public static var binary: String { productsDirectory.appendingPathComponent("zerverless-gitops").path }

    /// The package root (for examples/ and etc/).
    public static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
}

/// A scratch directory removed when the value is released.
public final class TempDir: @unchecked Sendable {
    public let path: String

    public init(_ prefix: String = "zg-test") throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        let file = (path as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}
