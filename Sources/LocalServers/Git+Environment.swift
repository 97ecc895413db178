import Foundation

/// The environment for the git CLI in tests: no host configuration leaks in.
public let gitEnvironment: [String: String] = {
    var env = ProcessInfo.processInfo.environment
    env["GIT_CONFIG_GLOBAL"] = "/dev/null"
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_AUTHOR_NAME"] = "Test"
    env["GIT_AUTHOR_EMAIL"] = "test@example.com"
    env["GIT_COMMITTER_NAME"] = "Test"
    env["GIT_COMMITTER_EMAIL"] = "test@example.com"
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env
}()

public struct CommandFailed: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

@discardableResult
public func git(_ args: [String], cwd: String? = nil) throws -> String {
    let out = try run("/usr/bin/git", args, environment: gitEnvironment, cwd: cwd)
    guard out.status == 0 else { throw CommandFailed(description: "git \(args.joined(separator: " ")): \(out.stderr)") }
    return out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}
