import Foundation
import TestSupport
import Testing

/// `run` refuses bad options with exit 2 before starting anything; the environment
/// supplies options, and a flag wins over it.
@Test(arguments: [
    (["--concurrency", "0"], "--concurrency"),
    (["--poll-interval", "5 minutes"], "--poll-interval"),
    (["--log-format", "xml"], "--log-format"),
    (["--listen", "0.0.0.0:8090"], "is not a loopback address"),
    (["--listen", "localhost"], "--listen"),
    (["--target", "ftp://x"], "--target"),
    (["--docker-builder", "kaniko"], "--docker-builder"),
    (["--api-tokens-file", "/dev/null"], "--api-tokens-file"),
    (["--api-tokens-file", "/nonexistent"], "cannot read /nonexistent"),
    (["--webhook-secret-file", "/dev/null"], "--webhook-secret-file"),
])
func runRefusesBadOptions(_ args: [String], _ expected: String) throws {
    let dir = try TempDir("zg-run-options")
    let out = try run(Build.binary, ["run", "--apps-dir", dir.file("apps"), "--state-dir", dir.file("state")] + args)
    #expect(out.status == 2)
    #expect(out.stderr.contains(expected), "\(out.stderr)")
    // Nothing was started: no state dir.
    #expect(!FileManager.default.fileExists(atPath: dir.file("state")))
}

@Test func environmentSuppliesOptionsAndFlagsWin() throws {
    let dir = try TempDir("zg-run-env")
    var env = ProcessInfo.processInfo.environment
    env["ZG_CONCURRENCY"] = "0"
    let fromEnv = try run(
        Build.binary, ["run", "--apps-dir", dir.file("apps"), "--state-dir", dir.file("state")], environment: env)
    #expect(fromEnv.status == 2)
    #expect(fromEnv.stderr.contains("--concurrency: \"0\""))
    env["ZG_LOG_FORMAT"] = "xml"
    env["ZG_CONCURRENCY"] = "2"
    let flagWins = try run(
        Build.binary,
        ["run", "--log-format", "yaml", "--apps-dir", dir.file("apps"), "--state-dir", dir.file("state")],
        environment: env)
    #expect(
        flagWins.stderr.contains("'--log-format <log-format>': \"yaml\"; expected text or json"), "\(flagWins.stderr)")
    // A bad value from the environment names the option and the variable.
    env["ZG_LOG_FORMAT"] = "xml"
    let fromEnvBad = try run(
        Build.binary, ["run", "--apps-dir", dir.file("apps"), "--state-dir", dir.file("state")], environment: env)
    #expect(fromEnvBad.status == 2)
    #expect(
        fromEnvBad.stderr.contains("--log-format: ZG_LOG_FORMAT=\"xml\": \"xml\"; expected text or json"),
        "\(fromEnvBad.stderr)")
}
