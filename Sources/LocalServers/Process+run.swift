import Foundation
import Processes

/// What a finished child process left behind.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs a program to completion, feeding `input` on stdin, through the project's one
/// process runner (`Processes.ChildProcess`): posix_spawn, output through pipes read by a
/// thread of its own (Foundation's Process crashed libdispatch under parallel tests), a
/// deadline of 10 minutes. A working directory through coreutils' `env -C`.
public func run(
    _ executable: String, _ arguments: [String], input: Data? = nil,
    environment: [String: String]? = nil, cwd: String? = nil
) throws -> ProcessOutput {
    let program = cwd == nil ? executable : "/usr/bin/env"
    let args = (cwd.map { ["-C", $0, executable] } ?? []) + arguments
    do {
        let out = try ChildProcess.runBlocking(
            program, args, environment: environment, input: input.map { Array($0) },
            outputLimit: 256 << 20, separateErrors: true)
        return ProcessOutput(
            status: out.status, stdout: out.text, stderr: String(decoding: out.errorOutput, as: UTF8.self))
    } catch {
        throw CommandFailed(description: "\(executable): \(error)")
    }
}

/// The package's built products (`.build/debug`), found next to the test bundle.
public enum Build {
    public static var productsDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["ZG_PRODUCTS_DIR"] { return URL(fileURLWithPath: dir) }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.pathComponents.count > 1 {
            url.deleteLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("zerverless-gitops").path) {
                return url
            }
        }
        return URL(fileURLWithPath: packageRoot).appendingPathComponent(".build/debug")
    }

    /// The `zerverless-gitops` binary under test.
    public static var binary: String { productsDirectory.appendingPathComponent("zerverless-gitops").path }

    /// The package root (for examples/ and etc/).
    public static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }
}

/// A scratch directory removed when the value is released.
public final class TempDir: Sendable {
    public let path: String

    public init(_ prefix: String = "zg-test") throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        let file = (path as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}
