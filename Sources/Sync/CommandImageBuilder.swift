import Foundation
import Synchronization

/// Builds images with the host's tool: `docker build`, `podman build` or `buildah bud`
/// (`auto` picks the first that works: a docker CLI without a running engine does not
/// count). Each build has a timeout (default 10 minutes); a failure reports the tail of the
/// build log.
public struct CommandImageBuilder: ImageBuilder {
    public enum Tool: String, Sendable, CaseIterable {
        case docker, podman, buildah
    }

    public let tool: Tool
    public let executable: String
    /// Arguments before the subcommand (buildah: `--storage-driver vfs`, `--root DIR`).
    public var globalArguments: [String]
    public var timeout: Duration

    public init(tool: Tool, executable: String, globalArguments: [String] = [], timeout: Duration = .seconds(600)) {
        self.tool = tool
        self.executable = executable
        self.globalArguments = globalArguments
        self.timeout = timeout
    }

    /// The builder for `--docker-builder auto|docker|podman|buildah`, or nil when none works.
    public static func detect(_ choice: String = "auto", globalArguments: [String] = []) -> CommandImageBuilder? {
        let tools: [Tool] = choice == "auto" ? Tool.allCases : Tool(rawValue: choice).map { [$0] } ?? []
        for tool in tools {
            guard let path = CodeChecker.which([tool.rawValue]) else { continue }
            let probe: [String] = tool == .buildah ? ["--version"] : ["info"]
            if let out = runSync(path, globalArguments + probe, timeout: .seconds(20)), out.status == 0 {
                return CommandImageBuilder(tool: tool, executable: path, globalArguments: globalArguments)
            }
        }
        return nil
    }

    public func exists(_ image: String) async -> Bool {
        let args: [String]
        switch tool {
        case .docker: args = ["image", "inspect", image]
        case .podman: args = ["image", "exists", image]
        case .buildah: args = ["inspect", "--type", "image", image]
        }
        return await Self.run(executable, globalArguments + args, timeout: .seconds(60))?.status == 0
    }

    public func build(image: String, dockerfile: String, context: String) async throws(TargetError) {
        let args: [String]
        switch tool {
        case .docker, .podman: args = ["build", "-f", dockerfile, "-t", image, context]
        case .buildah: args = ["bud", "--isolation", "chroot", "-f", dockerfile, "-t", image, context]
        }
        guard let out = await Self.run(executable, globalArguments + args, timeout: timeout) else {
            throw TargetError("\(tool.rawValue) could not be started", retryable: true)
        }
        if out.timedOut {
            throw TargetError("\(tool.rawValue) build of \(image) did not finish within \(timeout.components.seconds)s", retryable: true)
        }
        guard out.status == 0 else {
            let tail = out.text.split(separator: "\n").suffix(15).joined(separator: "\n")
            throw TargetError("\(tool.rawValue) build of \(image) failed (exit \(out.status)):\n\(tail)", retryable: false)
        }
    }

    struct Output: Sendable {
        var status: Int32
        var text: String
        var timedOut: Bool
    }

    static func run(_ executable: String, _ args: [String], timeout: Duration) async -> Output? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: runSync(executable, args, timeout: timeout)) }
        }
    }

    /// Runs a command to completion or until the timeout (then SIGTERM, SIGKILL).
    static func runSync(_ executable: String, _ args: [String], timeout: Duration) -> Output? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("zg-cmd-\(UUID().uuidString.prefix(8)).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        guard let handle = try? FileHandle(forWritingTo: log) else { return nil }
        defer { try? handle.close(); try? FileManager.default.removeItem(at: log) }
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in done.signal() }
        do { try p.run() } catch { return nil }
        var timedOut = false
        let nanos = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        if done.wait(timeout: .now() + .nanoseconds(Int(nanos))) == .timedOut {
            timedOut = true
            p.terminate()
            if done.wait(timeout: .now() + .seconds(2)) == .timedOut { kill(p.processIdentifier, SIGKILL) }
        }
        p.waitUntilExit()
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return Output(status: p.terminationStatus, text: text, timedOut: timedOut)
    }
}

/// Finds the builder on first use (a probe runs `docker info` or `buildah --version`), so
/// that a daemon whose applications have no Docker function never starts one.
public final class DetectingImageBuilder: ImageBuilder {
    public let choice: String
    private let found = Mutex<CommandImageBuilder??>(nil)

    public init(choice: String) {
        self.choice = choice
    }

    public var builder: CommandImageBuilder? {
        if let known = found.withLock({ $0 }) { return known }
        let detected = CommandImageBuilder.detect(choice)
        found.withLock { $0 = .some(detected) }
        return detected
    }

    public func exists(_ image: String) async -> Bool {
        await builder?.exists(image) ?? false
    }

    public func build(image: String, dockerfile: String, context: String) async throws(TargetError) {
        guard let builder else {
            throw TargetError("no Docker builder on this host (\(choice == "auto" ? "docker, podman or buildah" : choice)); the function is not deployed", retryable: false)
        }
        try await builder.build(image: image, dockerfile: dockerfile, context: context)
    }
}
