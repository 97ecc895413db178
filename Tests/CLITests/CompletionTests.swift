import Foundation
import TestSupport
import Testing

/// Application names complete in bash, zsh and fish from the state dir (the `--state-dir`
/// typed, else `ZG_STATE_DIR`) and the apps dir's registrations, through the completion
/// scripts the binary prints. Each shell is the real one, on a terminal (`script` gives it
/// a pty): the test types a command line with a Tab and a Return, and the sync request the
/// completed command wrote proves what the Tab put there.
@Suite struct CompletionTests {
    /// A state dir with apps `alpha-api`, `alpha-web`, `beta` (and a dot folder and a plain
    /// file that are not apps), a second one with `delta`, an apps dir registering
    /// `alpha-registered`.
    struct Fixture {
        let dir: TempDir
        var state: String { dir.file("state") }
        var other: String { dir.file("other-state") }
        var apps: String { dir.file("apps.d") }

        init() throws {
            dir = try TempDir("zg-completion")
            for app in ["alpha-api", "alpha-web", "beta", ".partial"] {
                try FileManager.default.createDirectory(
                    atPath: dir.file("state/apps/\(app)"), withIntermediateDirectories: true)
            }
            try dir.write("state/apps/alpha-file", "not an application\n")
            try FileManager.default.createDirectory(
                atPath: dir.file("other-state/apps/delta"), withIntermediateDirectories: true)
            try dir.write(
                "apps.d/registered.yaml",
                "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: alpha-registered, namespace: demo}\nspec:\n  source: {repoURL: \"https://git.example.com/demo/site.git\"}\n"
            )
        }

        /// The binary under its installed name first on PATH, a scratch HOME, both dirs by
        /// their variables.
        func environment(_ extra: [String: String] = [:]) -> [String: String] {
            [
                "PATH": Build.productsDirectory.path + ":/usr/bin:/bin", "HOME": dir.path, "TERM": "dumb",
                "ZG_STATE_DIR": state, "ZG_APPS_DIR": apps, "LANG": "C.UTF-8",
            ].merging(extra) { $1 }
        }

        func script(_ shell: String) throws -> String {
            let out = try run(Build.binary, ["--generate-completion-script", shell])
            try #require(out.status == 0, "\(out.stderr)")
            return try dir.write("completion.\(shell)", out.stdout)
        }
    }

    /// `COMPREPLY` after the completion function of the bash script ran on `words` (the
    /// last one being completed), and what it printed on stderr.
    static func bashReply(_ f: Fixture, _ words: [String], environment: [String: String] = [:]) throws -> (
        [String], String
    ) {
        let quoted = words.map { "'\($0)'" }.joined(separator: " ")
        let program = """
            source "$1"
            COMP_WORDS=(\(quoted)); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
            $(complete -p zerverless-gitops | sed 's/.* -F \\([^ ]*\\) .*/\\1/')
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let out = try run(
            "/bin/bash", ["--norc", "--noprofile", "-c", program, "bash", try f.script("bash")],
            environment: f.environment(environment), cwd: f.dir.path)
        try #require(out.status == 0, "\(out.stderr)")
        return (out.stdout.split(separator: "\n").map(String.init), out.stderr)
    }

    @Test func bashOffersTheStateDirsAppsAndTheRegistrations() throws {
        let f = try Fixture()
        let typed = try Self.bashReply(f, ["zerverless-gitops", "sync", "--state-dir", f.state, "al"])
        #expect(typed.0 == ["alpha-api", "alpha-registered", "alpha-web"])
        let all = try Self.bashReply(f, ["zerverless-gitops", "status", ""])
        #expect(all.0 == ["alpha-api", "alpha-registered", "alpha-web", "beta"])
        // The --state-dir typed wins over ZG_STATE_DIR.
        let other = try Self.bashReply(f, ["zerverless-gitops", "unpin", "--state-dir", f.other, ""])
        #expect(other.0 == ["alpha-registered", "delta"])
        for command in ["history", "rollback", "plan", "check", "diff"] {
            #expect(try Self.bashReply(f, ["zerverless-gitops", command, "be"]).0 == ["beta"], "\(command)")
        }
        // A nested subcommand's NAME (`notifications [list]`: argument-parser completes the
        // default subcommand's arguments only when it is named).
        for sub in ["test", "list"] {
            #expect(try Self.bashReply(f, ["zerverless-gitops", "notifications", sub, "be"]).0 == ["beta"], "\(sub)")
        }
        // check, plan and rollback take a registration file too.
        let files = try Self.bashReply(f, ["zerverless-gitops", "check", "--apps-dir", f.apps, "a"])
        #expect(files.0 == ["alpha-api", "alpha-registered", "alpha-web", "apps.d/"])
    }

    @Test func missingDirsGiveNoNamesAndNoNoise() throws {
        let f = try Fixture()
        let reply = try Self.bashReply(
            f, ["zerverless-gitops", "sync", "--state-dir", "/nonexistent/state", ""],
            environment: ["ZG_APPS_DIR": "/nonexistent/apps.d"])
        #expect(reply.0.isEmpty && reply.1.isEmpty, "\(reply)")
    }

    /// Types in `shell` on a terminal: Tab completes the partial name, Return runs `sync`,
    /// whose request file then names what the Tab completed. From the state dir of
    /// ZG_STATE_DIR, of the --state-dir typed, and from the apps dir's registrations.
    static func typeAndComplete(_ shell: String, setup: String, command: String) throws {
        let f = try Fixture()
        let lines = [
            setup + "source \(try f.script(shell))",
            "zerverless-gitops sync be\t",
            "zerverless-gitops sync --state-dir \(f.other) de\t",
            "zerverless-gitops sync alpha-r\t",
            "exit",
        ]
        let input = lines.joined(separator: "\r") + "\r"
        let out = try run(
            "/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"], input: Data(input.utf8),
            environment: f.environment(), cwd: f.dir.path)
        for request in [
            "state/requests/beta.sync", "other-state/requests/delta.sync",
            "state/requests/alpha-registered.sync",
        ] {
            #expect(
                FileManager.default.fileExists(atPath: f.dir.file(request)),
                "\(shell): no \(request); the terminal showed:\n\(out.stdout.suffix(3000))")
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "script(1) is missing"))
    func bashCompletesOnATerminal() throws {
        try Self.typeAndComplete("bash", setup: "", command: "bash --norc --noprofile -i")
    }

    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/zsh"),
            "zsh is not installed (apt-get install zsh)"))
    func zshCompletesOnATerminal() throws {
        try Self.typeAndComplete("zsh", setup: "autoload -U compinit && compinit -u && ", command: "zsh -f -i")
    }

    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/fish"),
            "fish is not installed (apt-get install fish)"))
    func fishCompletesOnATerminal() throws {
        // On a terminal: fish 3's `complete -C` gives the script no cursor position
        // (`commandline -C` prints nothing there), so argument-parser's custom completion
        // fails under it; pressing Tab works.
        try Self.typeAndComplete("fish", setup: "", command: "fish --no-config -i")
    }
}
