import Foundation
import TestSupport
import Testing

/// The man pages `make dist` made (`.build/dist/man`: `make test` runs `make packages`
/// before this suite): they render without a roff warning, the main page names every
/// subcommand the binary has and every `ZG_*` variable the CLI reads, and `man -k` lists
/// each subcommand's page with its purpose once mandb has indexed them.
@Suite struct ManPageTests {
    static let root = Build.packageRoot
    static let dist = root + "/.build/dist/man"

    /// The pages, or nil (with an issue) when `make dist` has not made them.
    static func pages() -> [String]? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dist))?.filter { $0.hasSuffix(".1") }
        guard let names, names.contains("zerverless-gitops.1") else {
            Issue.record("\(dist) has no pages: run `make dist` (make test runs `make packages` first)")
            return nil
        }
        return names.sorted()
    }

    /// The subcommands `zerverless-gitops --help` lists (but `help`).
    static func subcommands() throws -> [String] {
        let help = try run(Build.binary, ["--help"]).stdout
        let section = help.components(separatedBy: "SUBCOMMANDS:\n").last?.components(separatedBy: "\n\n").first ?? ""
        return section.split(separator: "\n").compactMap { line in
            let word = line.split(separator: " ").first.map(String.init) ?? ""
            return line.hasPrefix("  ") && !line.hasPrefix("   ") && word != "help" ? word : nil
        }
    }

    /// Every `ZG_*` variable the CLI reads: the names its sources spell out, and those
    /// `run` derives from its options' names (`pick(flag, "poll-interval", ...)`).
    static func variables() throws -> Set<String> {
        let dir = root + "/Sources/zerverless-gitops"
        var names = Set<String>()
        for file in try FileManager.default.contentsOfDirectory(atPath: dir) where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: dir + "/" + file, encoding: .utf8)
            for match in text.matches(of: /ZG_[A-Z0-9_]*[A-Z0-9]/) { names.insert(String(match.output)) }
            for match in text.matches(of: /pick(?:Flag)?\([A-Za-z]+, "([a-z-]+)"/) {
                names.insert("ZG_" + match.output.1.uppercased().replacingOccurrences(of: "-", with: "_"))
            }
        }
        return names
    }

    /// The page as man shows it (plain text, 80 columns).
    static func rendered(_ page: String) throws -> String {
        let out = try run(
            "/usr/bin/man", ["-l", dist + "/" + page],
            environment: [
                "MANWIDTH": "80", "MANPAGER": "cat", "PAGER": "cat", "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin",
            ])
        try #require(out.status == 0, "man -l \(page): \(out.stderr)")
        return out.stdout.replacingOccurrences(of: "\u{2010}", with: "-").replacingOccurrences(
            of: "\u{2212}", with: "-")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/groff"), "groff is missing (man-db)"))
    func everyPageRendersWithoutWarnings() throws {
        guard let pages = Self.pages() else { return }
        for page in pages {
            // The main page is man(7), written by hand; the generated ones are mdoc(7).
            let macros = page == "zerverless-gitops.1" ? "-man" : "-mandoc"
            let out = try run("/usr/bin/groff", ["-ww", "-z", macros, Self.dist + "/" + page])
            #expect(out.status == 0 && out.stderr.isEmpty, "\(page): \(out.stderr)")
            let text = try Self.rendered(page)
            #expect(text.contains("zerverless-gitops"))
            if page != "zerverless-gitops.1" {
                let seeAlso = text.components(separatedBy: "\nSEE ALSO\n").dropFirst().first ?? ""
                #expect(seeAlso.contains("zerverless-gitops(1)"), "\(page): no SEE ALSO back to the main page")
            }
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/man"), "man is missing (man-db)"))
    func theMainPageNamesEverySubcommandAndVariable() throws {
        guard let pages = Self.pages() else { return }
        let page = try Self.rendered("zerverless-gitops.1")
        let subcommands = try Self.subcommands()
        #expect(subcommands.count >= 10, "\(subcommands)")
        for sub in subcommands {
            #expect(pages.contains("zerverless-gitops-\(sub).1"), "no page for \(sub)")
            // In COMMANDS and in SEE ALSO, whole (not hyphenated across lines).
            let mentions = page.components(separatedBy: "zerverless-gitops-\(sub)(1)").count - 1
            #expect(mentions >= 2, "the main page names zerverless-gitops-\(sub)(1) \(mentions) times")
        }
        for section in ["DESCRIPTION", "COMMANDS", "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"] {
            #expect(page.contains("\n\(section)\n"), "no \(section) section")
        }
        let variables = try Self.variables()
        #expect(variables.count >= 40 && variables.contains("ZG_POLL_INTERVAL"), "\(variables.sorted())")
        let environment =
            page.components(separatedBy: "\nENVIRONMENT\n").last?.components(separatedBy: "\nFILES\n")
            .first ?? ""
        for name in variables.sorted() {
            #expect(environment.contains(name), "ENVIRONMENT does not name \(name)")
        }
        // And names no variable that does not exist.
        let named = Set(environment.matches(of: /ZG_[A-Z0-9_]*[A-Z0-9]/).map { String($0.output) })
        #expect(named.subtracting(variables).isEmpty, "\(named.subtracting(variables).sorted())")
        for reference in page.matches(of: /(zerverless-gitops-[a-z]+)\(1\)/) {
            #expect(pages.contains(reference.output.1 + ".1"), "names \(reference.output.1)(1), which does not exist")
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/mandb"), "mandb is missing (man-db)"))
    func manKListsEverySubcommandWithItsPurpose() throws {
        guard let pages = Self.pages() else { return }
        let tree = try TempDir("zg-manpath")
        try FileManager.default.createDirectory(atPath: tree.file("man1"), withIntermediateDirectories: true)
        for page in pages {
            try FileManager.default.copyItem(atPath: Self.dist + "/" + page, toPath: tree.file("man1/" + page))
        }
        let environment = ["MANPATH": tree.path, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        let index = try run("/usr/bin/mandb", ["-q", tree.path], environment: environment)
        try #require(index.status == 0, "mandb: \(index.stderr)")
        let listing = try run("/usr/bin/apropos", ["-l", "zerverless"], environment: environment)
        let lines = listing.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("zerverless-gitops (1)") && $0.contains("GitOps agent") }, "\(lines)")
        for sub in try Self.subcommands() {
            // The OVERVIEW paragraph of its --help, unwrapped.
            let help = try run(Build.binary, [sub, "--help"]).stdout
            let purpose = help.components(separatedBy: "\n\n").first.map {
                $0.replacingOccurrences(of: "OVERVIEW: ", with: "").replacingOccurrences(of: "\n", with: " ")
            }
            let line = lines.first { $0.hasPrefix("zerverless-gitops-\(sub) (1)") }
            #expect(line != nil && !line!.contains("unknown subject"), "man -k: \(sub): \(lines)")
            #expect(line?.contains(purpose ?? "?") == true, "\(sub): \(line ?? "none") vs \(purpose ?? "")")
        }
        // man-db opens a subcommand's page as `man zerverless-gitops sync`.
        let found = try run("/usr/bin/man", ["-w", "zerverless-gitops", "sync"], environment: environment)
        #expect(
            found.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == tree.file("man1/zerverless-gitops-sync.1"))
    }
}
