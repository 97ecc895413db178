import ArgumentParser
import Foundation
import Manifest
import State
import Toolkit

/// `zerverless-gitops status [NAME] [--json] [--state-dir DIR]`: reads the status files.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the applications' sync status, from the state dir",
        discussion: """
            A table for people (worst first, 100 columns unless --wide, a summary line), or with --json the status \
            documents. Exit status: 0 shown; 1 NAME has no status, or the state dir cannot be read; with \
            --fail-unless-synced, 1 also when an application shown is not synced (scripts: `status --fail-unless-synced -q`).
            """
    )

    @Argument(help: "One application (default: all).", completion: AppNameCompletion.names)
    var name: String?

    @Flag(
        help: "Print the status documents as JSON: one document for NAME, else {\"applications\": [...], \"total\": N}."
    )
    var json = false

    @Flag(help: "Every column in full: full commits and times, messages not cut.")
    var wide = false

    @Flag(help: "Exit 1 when an application shown is not synced.")
    var failUnlessSynced = false

    @Flag(name: .shortAndLong, help: "Print nothing (with --fail-unless-synced: only the exit status).")
    var quiet = false

    @Option(help: "Only the applications of this namespace (the REST list's ?namespace=).")
    var namespace: String?

    @Option(
        help:
            "Only the applications in this status: pending, syncing, synced, error, invalid, suspended or deleting (the REST list's ?status=)."
    )
    var status: String?

    @Option(
        name: [.customShort("l"), .customLong("selector")],
        help:
            "Only the applications whose labels (metadata.labels) match, as kubectl reads it: team=web, tier!=edge, env in (prod,staging), !legacy (the REST list's ?labelSelector=)."
    )
    var selector: String?

    @Flag(help: "Redraw the table whenever a status file changes (inotify on the state dir), until interrupted.")
    var watch = false

    @OptionGroup var apps: AppsDirOption
    @OptionGroup var state: StateDirOption
    var stateDir: String { state.stateDir }

    /// The documents the filters keep.
    func shown(_ documents: [StatusDocument]) -> [StatusDocument] {
        let labels = selector.flatMap { try? LabelSelector(parsing: $0) }
        return documents.filter { d in
            (namespace == nil || d.namespace == namespace) && (status == nil || d.status.rawValue == status)
                && (labels?.matches(d.labels ?? [:]) ?? true)
        }
    }

    func run() async throws {
        if let selector {
            do throws(LabelSelectorError) {
                _ = try LabelSelector(parsing: selector)
            } catch {
                printErr("error: --selector: \(error)")
                throw ExitCode(2)
            }
        }
        if let status, StatusDocument.Phase(rawValue: status) == nil {
            printErr(
                "error: --status: \"\(status)\" is not a status; expected \(StatusDocument.Phase.allCases.map(\.rawValue).joined(separator: ", "))"
            )
            throw ExitCode(2)
        }
        if watch {
            guard !json, !quiet, !failUnlessSynced else {
                printErr("error: --watch draws the table; it does not go with --json, --quiet or --fail-unless-synced")
                throw ExitCode(2)
            }
            try await watchTable()
            return
        }
        let layout = StateLayout(root: stateDir)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: layout.root, isDirectory: &isDir), isDir.boolValue else {
            printErr("error: no state dir at \(layout.root) (is the daemon running with --state-dir \(layout.root)?)")
            throw ExitCode(1)
        }
        var documents: [StatusDocument] = []
        let names = name.map { [$0] } ?? layout.applications()
        for n in names {
            do {
                guard let doc = try layout.readStatus(n) else {
                    let registered = AppsDir(directory: apps.appsDir).scan().files.contains { $0.name == n }
                    printErr(
                        "error: no status for application \"\(n)\" in \(layout.appsDir) ("
                            + (registered
                                ? "registered in \(apps.appsDir); the daemon has not written its status yet)"
                                : "no registration names it in \(apps.appsDir))"))
                    throw ExitCode(1)
                }
                documents.append(doc)
            } catch let exit as ExitCode {
                throw exit
            } catch {
                printErr("error: \(error)")
                throw ExitCode(1)
            }
        }
        if name == nil { documents = shown(documents) }
        if quiet {
        } else if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            struct List: Encodable {
                var applications: [StatusDocument]
                var total: Int
            }
            let data =
                name == nil
                ? try encoder.encode(List(applications: documents, total: documents.count))
                : try encoder.encode(documents[0])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(Self.table(documents, wide: wide, now: Date(), width: Self.terminalWidth()))
        }
        if failUnlessSynced, documents.contains(where: { $0.status != .synced }) { throw ExitCode(1) }
    }

    /// Worst first: what needs a look comes at the top.
    static let severity: [StatusDocument.Phase] = [
        .error, .invalid, .deleting, .syncing, .pending, .suspended, .synced,
    ]

    static func table(_ documents: [StatusDocument], wide: Bool, now: Date, width: Int = 100) -> String {
        let sorted = documents.sorted {
            (severity.firstIndex(of: $0.status) ?? 0, $0.name) < (severity.firstIndex(of: $1.status) ?? 0, $1.name)
        }
        let formatter = ISO8601DateFormatter()
        func cell(_ s: String?) -> String { (s?.isEmpty ?? true) ? "-" : s! }
        func ago(_ date: Date?) -> String {
            guard let date else { return "-" }
            return wide ? formatter.string(from: date) : Self.duration(now.timeIntervalSince(date)) + " ago"
        }
        func next(_ date: Date?) -> String {
            guard let date else { return "-" }
            if wide { return formatter.string(from: date) }
            let left = date.timeIntervalSince(now)
            return left <= 0 ? "due" : "in " + Self.duration(left)
        }
        // Scale-out: the owner shard, when the documents name one.
        let sharded = documents.contains { $0.shard != nil }
        var rows = [
            ["NAME", "NAMESPACE", "STATUS"] + (sharded ? ["SHARD"] : [])
                + (wide ? ["DRIFT", "PIN", "HEALTH", "LAST ATTEMPTED"] : [])
                + ["COMMIT", "LAST SYNC", "NEXT", "MESSAGE"]
        ]
        for d in sorted {
            let message =
                d.error.map { e in
                    // A registration's diagnostic names its file: the stage adds nothing.
                    (e.stage == .registration && !wide && e.file != nil ? "" : "\(e.stage.rawValue): ")
                        + Self.located(e, wide: wide)
                } ?? d.message ?? ""
            let commit = d.source.commit.map { wide ? $0 : String($0.prefix(8)) }
            // A drifted or pinned app is not plain `synced`: marked in the status cell.
            let marks =
                (Self.drifted(d) ? ["drift"] : [])
                + (d.pinned != nil ? [d.pinned?.automatic == true ? "auto-pin" : "pin"] : [])
                + (d.health?.status == .degraded ? ["degraded"] : [])
            let status = d.status.rawValue + (marks.isEmpty ? "" : " [" + marks.joined(separator: ",") + "]")
            let drift = d.drift.map { "\($0.items.count)" + ($0.corrected > 0 ? " (\($0.corrected) healed)" : "") }
            rows.append(
                [d.name, cell(d.namespace), status] + (sharded ? [cell(d.shard.map(String.init))] : [])
                    + (wide
                        ? [
                            cell(drift), cell(d.pinned.map { String($0.commit.prefix(12)) }),
                            cell(d.health?.status.rawValue),
                            cell(d.source.lastAttemptedCommit.map { String($0.prefix(12)) }),
                        ] : [])
                    + [
                        cell(commit), ago(d.lastSync), next(d.nextSync),
                        cell(message.replacingOccurrences(of: "\n", with: " ")),
                    ])
        }
        let fixed = rows[0].count - 1
        let widths = (0..<fixed).map { col in rows.map { $0[col].count }.max() ?? 0 }
        let room = max(20, width - widths.reduce(0, +) - 2 * fixed)
        var out = rows.map { row in
            let message = wide ? row[fixed] : Self.cut(row[fixed], to: room)
            return ((0..<fixed).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) } + [message])
                .joined(separator: "  ")
        }
        var counts: [StatusDocument.Phase: Int] = [:]
        for d in documents { counts[d.status, default: 0] += 1 }
        let summary = severity.reversed().compactMap { phase in counts[phase].map { "\($0) \(phase.rawValue)" } }
        let drifted = documents.filter(Self.drifted).count
        let pinned = documents.filter { $0.pinned != nil }.count
        let degraded = documents.filter { $0.health?.status == .degraded }.count
        let marked =
            (drifted > 0 ? ["\(drifted) drifted"] : []) + (pinned > 0 ? ["\(pinned) pinned"] : [])
            + (degraded > 0 ? ["\(degraded) degraded"] : [])
        out.append(
            "\(documents.count) app\(documents.count == 1 ? "" : "s")"
                + (summary.isEmpty ? "" : ": " + summary.joined(separator: ", "))
                + (marked.isEmpty ? "" : "; " + marked.joined(separator: ", ")))
        return out.joined(separator: "\n")
    }

    /// A failure's message with its place: the file as its base name in the table (a
    /// registration's diagnostics start with the file's whole path, which left no room
    /// for the error), in full with `--wide`.
    static func located(_ e: StatusDocument.Failure, wide: Bool) -> String {
        guard !wide, let file = e.file, file.contains("/") else { return e.message }
        let base = (file as NSString).lastPathComponent
        return e.message.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            guard line.hasPrefix(file) else { return String(line) }
            // `FILE:7:17: error: field: message` -> `base:7:17: field: message`.
            return base + line.dropFirst(file.count).replacingOccurrences(of: ": error: ", with: ": ")
        }.joined(separator: "\n")
    }

    /// The terminal's width (at least 100), or 100 when the output is not a terminal.
    static func terminalWidth() -> Int {
        var size = winsize()
        guard isatty(STDOUT_FILENO) == 1, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else {
            return 100
        }
        return max(100, Int(size.ws_col))
    }

    /// The last drift pass found the target differing from what the app deployed.
    static func drifted(_ d: StatusDocument) -> Bool { !(d.drift?.items.isEmpty ?? true) }

    /// At most `width` characters, cut at a word boundary with "…".
    static func cut(_ text: String, to width: Int) -> String {
        guard text.count > width else { return text }
        var cut = String(text.prefix(width - 1))
        if let space = cut.lastIndex(of: " "), cut.distance(from: cut.startIndex, to: space) > width / 2 {
            cut = String(cut[..<space])
        }
        return cut + "…"
    }

    /// `45s`, `12m`, `3h`, `2d`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(max(0, seconds))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86400 { return "\(s / 3600)h" }
        return "\(s / 86400)d"
    }

    /// The table, redrawn on every change (changes within 100 ms are one redraw).
    func watchTable() async throws {
        let layout = StateLayout(root: stateDir)
        // A beat each second: the relative times move, and changes held back are drawn.
        let feed = StatusFeed(layout: layout, heartbeat: .seconds(1))
        let changes = await feed.subscribe()
        let terminal = isatty(STDOUT_FILENO) == 1
        func draw() {
            let documents = shown(
                (name.map { [$0] } ?? layout.applications()).compactMap { try? layout.readStatus($0) })
            // A terminal is redrawn in place; a pipe or a file gets each table after the
            // last, under a line with the time (no escape sequences in a log).
            let screen =
                terminal
                ? "\u{1B}[H\u{1B}[2J" + Self.table(documents, wide: wide, now: Date(), width: Self.terminalWidth())
                    + "\n(watching \(layout.appsDir); Ctrl-C ends)\n"
                : "--- \(ISO8601DateFormatter().string(from: Date()))\n"
                    + Self.table(documents, wide: wide, now: Date()) + "\n"
            FileHandle.standardOutput.write(Data(screen.utf8))
        }
        draw()
        var pending = false
        var last = ContinuousClock.now
        for await change in changes {
            if case .status(let changed, _, _) = change, name == nil || changed == name { pending = true }
            if case .deleted = change { pending = true }
            // The beat moves the relative times on a terminal; a pipe gets a table per change.
            if case .heartbeat = change, terminal { pending = true }
            if pending, ContinuousClock.now - last >= .milliseconds(100) {
                pending = false
                last = ContinuousClock.now
                draw()
            }
        }
    }
}
