import ArgumentParser
import Foundation
import GitSource
import Manifest
import State
import Sync
import Toolkit

/// `zerverless-gitops check FILE|NAME`: the operator's "will this work?"
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that an application's repository answers to its credentials",
        discussion:
            "Validates the registration, contacts its repository with its credentials and prints the head commit of what it follows. Exit status: 0 the repository answered with the branch head, 1 it did not (or the file is invalid), 2 bad usage."
    )

    @OptionGroup var repository: RepositoryOptions

    func run() throws {
        let seconds = try parseTimeout(repository.timeout)
        let registration = try loadRegistration(
            repository.target, appsDir: repository.appsDir, stateDir: repository.stateDir)
        let source = registration.source
        print("\(registration.name): \(source.repoURL.redacted) \(source.ref)")
        let git = GitSource(cacheRoot: (repository.stateDir as NSString).appendingPathComponent("cache"))
        let remote = try repository.remote(for: registration, timeout: seconds)
        do {
            let started = ContinuousClock.now
            let resolved = try git.head(remote, ref: source.ref)
            let head = resolved.commit
            let elapsed = ContinuousClock.now - started
            var line = "  head \(head)" + (resolved.tag.map { " (tag \($0))" } ?? "")
            if let snapshot = try? git.open(source.repoURL), let subject = try? snapshot.subject(of: head) {
                line += "  \(subject)"
            }
            print(line)
            print("  ok: answered in \(elapsed.milliseconds) ms")
        } catch {
            printErr("  error (\(error.retry.rawValue)): \(error)")
            throw ExitCode(1)
        }
    }

}

/// `--timeout` in seconds; bad usage (exit 2) when it is not a duration.
func parseTimeout(_ text: String) throws -> Int {
    guard let seconds = Rules.parseDuration(text), seconds > 0 else {
        printErr("error: --timeout: \"\(text)\" is not a duration; write it like 30s or 2m")
        throw ExitCode(2)
    }
    return seconds
}

/// The registration named on the command line, validated; its diagnostics are printed and
/// the command exits 1 when it is invalid. A name no file of the apps dir holds may be an
/// application set's application (its record in `stateDir`).
func loadRegistration(_ target: String, appsDir: String, stateDir: String? = nil) throws -> Registration {
    if let stateDir, Rules.dnsLabelProblem(target) == nil, !FileManager.default.fileExists(atPath: target),
        AppsDir(directory: appsDir).registration(named: target) == nil,
        let made = StateLayout(root: stateDir).generatedApplications()[target]
    {
        return made.registration
    }
    return try validRegistration(locateRegistration(target, appsDir: appsDir))
}

/// A registration file's content, validated; its diagnostics are printed and the command
/// exits 1 when it is invalid.
func validRegistration(_ located: (file: String, bytes: [UInt8])) throws -> Registration {
    let (file, bytes) = located
    switch Validator.registration(bytes, file: file) {
    case .success(let r):
        return r
    case .failure(let failure):
        for d in failure.diagnostics { printErr(DiagnosticRenderer.render(d, source: bytes)) }
        throw ExitCode(1)
    }
}

/// A registration named on the command line: FILE if it exists, else the registration in
/// the apps dir whose name is NAME. Prints the problem and exits 1 or 2 when there is none.
func locateRegistration(_ target: String, appsDir: String) throws -> (file: String, bytes: [UInt8]) {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory), !isDirectory.boolValue {
        guard let data = FileManager.default.contents(atPath: target) else {
            printErr("\(target): error: cannot read")
            throw ExitCode(2)
        }
        return (target, Array(data))
    }
    guard Rules.dnsLabelProblem(target) == nil else {
        printErr("error: \(target): no such file, and not an application name")
        throw ExitCode(2)
    }
    return try registrationFile(named: target, appsDir: appsDir)
}

/// The registration in the apps dir whose name is `name` (the apps dir's own rule for
/// which files are registrations, and their names); exits 1 when there is none.
func registrationFile(named name: String, appsDir: String) throws -> (file: String, bytes: [UInt8]) {
    if let found = AppsDir(directory: appsDir).registration(named: name),
        let data = FileManager.default.contents(atPath: found.file)
    {
        return (found.file, Array(data))
    }
    printErr("error: no application named \"\(name)\" in \(appsDir)")
    throw ExitCode(1)
}

/// The options `check`, `plan` and `rollback` share: which registration, where the state
/// is, and how the repository may be reached.
struct RepositoryOptions: ParsableArguments {
    @Argument(
        help: "A registration file, or the name of an application registered in --apps-dir.",
        completion: AppNameCompletion.namesAndFiles)
    var target: String

    @OptionGroup var apps: AppsDirOption
    @OptionGroup var state: StateDirOption
    @OptionGroup var access: RepositoryAccessOptions

    var appsDir: String { apps.appsDir }
    var stateDir: String { state.stateDir }
    var timeout: String { access.timeout }

    func verifier(for registration: Registration) throws -> SignatureVerifier? {
        try access.verifier(for: registration)
    }

    func remote(for registration: Registration, timeout seconds: Int) throws -> Remote {
        try access.remote(for: registration, timeout: seconds)
    }
}

/// How a registration's repository is reached, as the daemon reaches it: which URLs are
/// allowed, the network deadline, where secrets come from, which CAs are trusted.
struct RepositoryAccessOptions: ParsableArguments {
    // The environment is read here, not as the flag's default: argument-parser refuses a
    // flag whose default is true (debug builds exited 1 with ZG_ALLOW_FILE_URLS=1).
    @Flag(name: .customLong("allow-file-urls"), help: "Permit file:// URLs and local paths. Env: ZG_ALLOW_FILE_URLS=1.")
    var allowFileUrlsFlag = false

    var allowFileUrls: Bool { allowFileUrlsFlag || envFlag("ZG_ALLOW_FILE_URLS") }

    @Option(help: "Network deadline, like 30s or 2m. Env: ZG_GIT_TIMEOUT.")
    var timeout: String = env("ZG_GIT_TIMEOUT") ?? "60s"

    @Option(help: "Where registrations' secret and key files come from: DIR/NAMESPACE/. Env: ZG_SECRETS_DIR.")
    var secretsDir: String = env("ZG_SECRETS_DIR") ?? SecretsDir.defaultRoot

    @Option(help: "PEM bundle of CAs trusted for https (replaces the system store). Env: ZG_CA_FILE.")
    var caFile: String?

    /// The keys of `verify.publicKeysFile`, read as the daemon reads them; prints the
    /// problem and exits 1 when the file breaks the secrets rule or holds no key.
    func verifier(for registration: Registration) throws -> SignatureVerifier? {
        let access = SourceAccess(secrets: SecretsDir(root: secretsDir), allowLocal: allowFileUrls)
        do {
            return try access.verifier(for: registration)
        } catch {
            printErr("  error: \(error)")
            throw ExitCode(1)
        }
    }

    /// The registration's repository with its credentials, read as the daemon reads them;
    /// prints the problem and exits 1 when a credential file breaks the secrets rule.
    func remote(for registration: Registration, timeout seconds: Int) throws -> Remote {
        if let caFile = caFile ?? env("ZG_CA_FILE") { GitSource.setCAFile(caFile) }
        let access = SourceAccess(
            secrets: SecretsDir(root: secretsDir), timeout: .seconds(seconds), allowLocal: allowFileUrls)
        do {
            return try access.remote(for: registration)
        } catch {
            printErr("  error: \(error)")
            throw ExitCode(1)
        }
    }
}
