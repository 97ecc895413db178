import ArgumentParser
import Foundation
import Manifest

/// `zerverless-gitops validate [--manifest | --registration] [--format text|json] FILE...`
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check registration files, application sets and zerverless.yaml manifests, touching nothing",
        discussion: """
            The kind of each file is detected from its content (kind: ApplicationSet is an \
            application set, a manifest has spec.functions or spec.static) unless forced. \
            Exit status: 0 all valid, 1 some invalid, 2 a file could not be read or the \
            command line is wrong.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Flag(name: .customLong("manifest"), help: "Treat every file as a zerverless.yaml manifest.")
    var forceManifest = false

    @Flag(name: .customLong("registration"), help: "Treat every file as a registration file.")
    var forceRegistration = false

    @Option(help: "Output format: text (compiler style) or json.")
    var format: Format = .text

    @Argument(help: "The files to check ('-' reads standard input).")
    var files: [String]

    func validate() throws {
        if forceManifest && forceRegistration {
            throw ValidationError("--manifest and --registration exclude each other")
        }
        if files.isEmpty {
            throw ValidationError("name at least one file")
        }
    }

    func run() throws {
        let forced: DocumentKind? = forceManifest ? .manifest : forceRegistration ? .registration : nil
        var results: [ValidationResult] = []
        var unreadable: [(file: String, message: String)] = []
        var sources: [String: [UInt8]] = [:]
        for file in files {
            switch readInput(file) {
            case .success(let bytes):
                sources[file] = bytes
                results.append(Validator.validate(bytes, file: file, as: forced))
            case .failure(let problem):
                unreadable.append((file, problem.message))
            }
        }
        switch format {
        case .text:
            for result in results {
                for d in result.diagnostics {
                    printErr(DiagnosticRenderer.render(d, source: sources[result.file]))
                }
                if result.valid {
                    print("\(result.file): valid \(result.kind.rawValue)")
                }
            }
            for u in unreadable { printErr("\(u.file): error: \(u.message)") }
        case .json:
            print(JSONOutput.render(results: results, unreadable: unreadable))
        }
        if !unreadable.isEmpty { throw ExitCode(2) }
        if results.contains(where: { !$0.valid }) { throw ExitCode(1) }
    }

    struct ReadProblem: Error { let message: String }

    /// Reads a file (or stdin for "-"), refusing directories and anything over the YAML
    /// size limit plus one byte (the validator then reports the size with a mark).
    func readInput(_ file: String) -> Result<[UInt8], ReadProblem> {
        if file == "-" {
            return .success(Array(FileHandle.standardInput.readDataToEndOfFile()))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            return .failure(ReadProblem(message: "cannot read: no such file"))
        }
        if isDirectory.boolValue { return .failure(ReadProblem(message: "cannot read: is a directory")) }
        guard let handle = FileHandle(forReadingAtPath: file) else {
            return .failure(ReadProblem(message: "cannot read: permission denied or not a regular file"))
        }
        defer { try? handle.close() }
        do {
            let data = try handle.read(upToCount: (1 << 20) + 1) ?? Data()
            return .success(Array(data))
        } catch {
            return .failure(ReadProblem(message: "cannot read: \(error.localizedDescription)"))
        }
    }
}

func printErr(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

enum JSONOutput {
    struct Unreadable: Encodable {
        var file: String
        var error: String
    }

    struct Report: Encodable {
        var valid: Bool
        var files: [ValidationResult]
        var unreadable: [Unreadable]
    }

    static func render(results: [ValidationResult], unreadable: [(file: String, message: String)]) -> String {
        let report = Report(
            valid: unreadable.isEmpty && results.allSatisfy(\.valid), files: results,
            unreadable: unreadable.map { Unreadable(file: $0.file, error: $0.message) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(report)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
