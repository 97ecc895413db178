import Agent
import ArgumentParser
import Foundation
import GitSource
import Manifest
import State
import Sync
import Toolkit

/// `zerverless-gitops diff NAME`: the content the next sync would change, as unified diffs
/// (Argo CD's `app diff`): each function's code and each static file, between what is
/// deployed (read back from the target) and what the next sync would deploy.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show the content the next sync of an application would change",
        discussion:
            "Each function's code (a Docker function's image reference and port) and each static file, as unified diffs between what is deployed (read back from the target: the local folder or the orchestrator's API; the content of the last synced commit when the target cannot be read, or with --deployed commit) and what the next sync would deploy (the head of what the application follows, or its pin, fetched as plan fetches it). Exit status: 0 no difference, 1 differences, 2 an error (a bad name, no such application, no state dir, a fetch or a target that failed, a manifest the sync would refuse: the diagnostic is printed)."
    )

    enum DeployedSide: String, ExpressibleByArgument, CaseIterable { case target, commit }
    enum Color: String, ExpressibleByArgument, CaseIterable { case auto, always, never }

    @OptionGroup var application: ApplicationOptions
    @OptionGroup var access: RepositoryAccessOptions

    @Option(
        help: "The daemon's target: local[:DIR] (default DIR: STATE/published) or http(s)://HOST:PORT. Env: ZG_TARGET.")
    var target: String = env("ZG_TARGET") ?? "local"

    @Option(help: "Bearer token file for an HTTP target. Env: ZG_TARGET_TOKEN_FILE.")
    var targetTokenFile: String? = env("ZG_TARGET_TOKEN_FILE")

    @Option(help: "The deployed side: target (read back; the last synced commit when it cannot be read) or commit.")
    var deployed: DeployedSide = .target

    @Option(help: "Colour: auto (on a terminal), always or never.")
    var color: Color = .auto

    @Flag(help: "One line per function or file that differs (with its counts of lines), no hunks.")
    var stat = false

    func run() async throws {
        let differs: Bool
        do {
            differs = try await compare()
        } catch let code as ExitCode {
            // Every failure is 2: 1 says that the two sides differ.
            throw code.rawValue == 0 ? code : ExitCode(2)
        } catch {
            printErr("error: \(error)")
            throw ExitCode(2)
        }
        if differs { throw ExitCode(1) }
    }

    /// Whether the two sides differ.
    func compare() async throws -> Bool {
        guard let choice = TargetChoice(target) else {
            printErr("error: --target \"\(target)\"; expected local, local:DIR, or http(s)://HOST:PORT")
            throw ExitCode(2)
        }
        let layout = try application.existingApplication()
        let registration = try loadRegistration(
            application.name, appsDir: application.apps.appsDir, stateDir: layout.root)
        try NextSync.refuseDuplicate(registration, appsDir: application.apps.appsDir)
        if registration.syncPolicy.suspend || layout.readSuspension(registration.name) != nil {
            printErr(
                "note: \(registration.name) is suspended: no sync runs until it is resumed; this is what one would deploy"
            )
        }
        let next = try await NextSync(
            registration: registration, layout: layout, access: access, fastPaths: false, note: { _ in },
            problem: { printErr($0) })
        let outcome = next.outcome
        guard outcome.errors.isEmpty, let desired = outcome.desired, let plan = outcome.plan else {
            // The sync would stop before any change: nothing to compare.
            let errors = outcome.errors.isEmpty ? [SyncError(.manifest, "no plan was made")] : outcome.errors
            for e in errors { printErr("error: the next sync would end \(Self.failureWord(outcome)): \(e)") }
            throw ExitCode(2)
        }
        var side = Next(
            content: CommitContent(desired: desired, snapshot: next.snapshot), prune: registration.syncPolicy.prune)
        for (path, problem) in (outcome.report?.functionErrors ?? [:]).sorted(by: { $0.key < $1.key }) {
            printErr("warning: function \(path) would not be deployed: \(problem)")
            side.skippedFunctions.insert(path)
        }
        for c in plan.conflicts {
            printErr(
                "warning: \(c.kind) \(c.kind == "file" ? RepoPath.display(c.path) : c.path) belongs to application \(c.owner); not deployed"
            )
            if c.kind == "file" { side.skippedFiles.insert(c.path) } else { side.skippedFunctions.insert(c.path) }
        }
        if let moved = outcome.movedFrom {
            printErr("note: moved from namespace \(moved.namespace): what it has there is undeployed first (not shown)")
        }
        let inventory = outcome.inventory
        let deployedSide = try await deployedSide(choice, next: next, inventory: inventory)
        let output = DiffOutput(color: Self.colored(color))
        output.header(deployed: deployedSide.label, next: Self.nextLabel(next))
        let counts = try await ContentDiff.compare(
            deployed: deployedSide.source, next: side, inventory: deployedSide.isTarget ? inventory : nil,
            deployedFunctions: deployedSide.functions, deployedFiles: deployedSide.files
        ) { item in try output.item(item, stat: stat) }
        output.summary(counts)
        return output.differs
    }

    typealias Next = ContentDiff.Next

    static func failureWord(_ outcome: SyncEngine.Outcome) -> String {
        outcome.errors.contains { $0.retry == .retryable } ? "in error" : "invalid"
    }

    static func colored(_ choice: Color) -> Bool {
        switch choice {
        case .always: return true
        case .never: return false
        case .auto: return isatty(STDOUT_FILENO) == 1 && env("NO_COLOR") == nil && env("TERM") != "dumb"
        }
    }

    static func nextLabel(_ next: NextSync) -> String {
        let ref =
            next.pin.map { _ in "pinned by a rollback; \(next.registration.source.ref) is not followed" }
            ?? "\(next.registration.source.ref)"
        return "next sync (commit \(next.commit.prefix(12)), \(ref))"
    }
}
