import ArgumentParser
import Foundation
import State

/// `zerverless-gitops status [NAME] [--json] [--state-dir DIR]`: reads the status files.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the applications' status, from the state dir's status files.",
        discussion: "A table (name, namespace, status, commit, last sync, message), or with --json the status documents. Exit 1 when NAME has no status."
    )

    @Argument(help: "One application (default: all).")
    var name: String?

    @Flag(help: "Print the status documents as JSON: one document for NAME, else {\"applications\": [...], \"total\": N}.")
    var json = false

    @OptionGroup var state: StateDirOption
    var stateDir: String { state.stateDir }

    func run() throws {
        let layout = StateLayout(root: stateDir)
        var documents: [StatusDocument] = []
        let names = name.map { [$0] } ?? layout.applications()
        for n in names {
            do {
                guard let doc = try layout.readStatus(n) else {
                    printErr("error: no status for application \"\(n)\" in \(layout.appsDir) (not registered, or the daemon has not seen it yet)")
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
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            struct List: Encodable { var applications: [StatusDocument]; var total: Int }
            let data = name == nil ? try encoder.encode(List(applications: documents, total: documents.count))
                                   : try encoder.encode(documents[0])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(Self.table(documents))
    }

    static func table(_ documents: [StatusDocument]) -> String {
        let formatter = ISO8601DateFormatter()
        var rows = [["NAME", "NAMESPACE", "STATUS", "COMMIT", "LAST SYNC", "MESSAGE"]]
        for d in documents {
            let message = d.error.map { "\($0.stage): \($0.message)" } ?? d.message ?? ""
            rows.append([d.name, d.namespace, d.status.rawValue, String((d.source.commit ?? "-").prefix(12)),
                         d.lastSync.map { formatter.string(from: $0) } ?? "-",
                         message.count > 80 ? String(message.prefix(79)) + "…" : message])
        }
        let widths = (0..<5).map { col in rows.map { $0[col].count }.max() ?? 0 }
        return rows.map { row in
            (0..<5).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + row[5]
        }.joined(separator: "\n")
    }
}
