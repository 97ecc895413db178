import Foundation
import Manifest
import TestSupport
import Testing

/// npm's own implementation, node-semver, where this machine has it (`make test` installs
/// Debian's node-semver; npm carries a copy too).
enum NodeSemver {
    static let candidates = [
        ProcessInfo.processInfo.environment["ZG_NODE_SEMVER"], "/usr/share/nodejs/semver",
        "/usr/lib/node_modules/npm/node_modules/semver", "/usr/local/lib/node_modules/npm/node_modules/semver",
        "/usr/lib/node_modules/semver", "/usr/local/lib/node_modules/semver",
    ].compactMap { $0 }

    static let node = ["/usr/bin/node", "/usr/local/bin/node", "/usr/bin/nodejs"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static let module = candidates.first { FileManager.default.fileExists(atPath: $0 + "/package.json") }
    static let found = node != nil && module != nil

    /// For each range, npm's desugared form (`Range.range`) or nil when it throws; for each
    /// (range, version), `Range.test`. One node process for all of them.
    static func answers(_ ranges: [String], _ versions: [[String]]) throws -> (ranges: [String?], tests: [[Bool]]) {
        let script = """
            const semver = require(process.argv[1]);
            const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
            const out = input.ranges.map((r, i) => {
              let range; try { range = new semver.Range(r) } catch (e) { return [null, []] }
              return [range.range, input.versions[i].map(v => range.test(v))];
            });
            process.stdout.write(JSON.stringify(out));
            """
        let input = try JSONSerialization.data(withJSONObject: ["ranges": ranges, "versions": versions])
        // Debian's copy finds its own dependencies (lru-cache) beside it.
        let environment = ["NODE_PATH": (module! as NSString).deletingLastPathComponent, "PATH": "/usr/bin:/bin"]
        let out = try run(node!, ["-e", script, module!], input: input, environment: environment)
        guard out.status == 0, let rows = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[Any]]
        else { throw CommandFailed(description: "node: \(out.status) \(out.stderr)") }
        return (rows.map { $0[0] as? String }, rows.map { ($0[1] as? [Bool]) ?? [] })
    }
}

/// The same questions to node-semver and to `SemverRange`: the table, the refused texts, and
/// a few thousand ranges made from the grammar's pieces (seeded: the same every run).
@Suite(.enabled(if: NodeSemver.found, "node-semver not found (apt-get install node-semver, or npm): not compared"))
struct SemverNodeTests {
    static let versions = [
        "0.0.0", "0.0.0-0", "0.0.3", "0.0.4", "0.1.0", "0.2.3", "0.2.9", "0.3.0", "1.0.0", "1.0.0-rc.1", "1.2.0",
        "1.2.2", "1.2.3", "1.2.3-beta.2", "1.2.3-alpha", "1.2.4", "1.2.9", "1.3.0", "1.3.0-0", "1.9.9", "2.0.0",
        "2.0.0-0", "2.3.4", "2.3.5", "2.4.0", "3.0.0", "3.0.0-beta", "10.0.0",
    ]

    @Test func theTableAndTheRefusedTextsGetNpmsAnswers() throws {
        let ranges = semverCases.map(\.range) + invalidSemverRanges
        let versions = semverCases.map { [$0.version] } + invalidSemverRanges.map { _ in [String]() }
        let npm = try NodeSemver.answers(ranges, versions)
        var mismatches: [String] = []
        for (i, text) in ranges.enumerated() {
            compare(text, versions[i], npm.ranges[i], npm.tests[i], into: &mismatches)
        }
        for (i, c) in semverCases.enumerated() where npm.tests[i] != [c.expected] {
            mismatches.append("the table says \(c.testDescription), npm says \(npm.tests[i])")
        }
        #expect(
            mismatches.isEmpty, "\(mismatches.count) differ from npm:\n\(mismatches.prefix(30).joined(separator: "\n"))"
        )
    }

    @Test func generatedRangesGetNpmsAnswers() throws {
        let ranges = Self.generated(count: 3000)
        let versions = ranges.map { _ in Self.versions }
        let npm = try NodeSemver.answers(ranges, versions)
        var mismatches: [String] = []
        for (i, text) in ranges.enumerated() {
            compare(text, versions[i], npm.ranges[i], npm.tests[i], into: &mismatches)
        }
        #expect(
            mismatches.isEmpty, "\(mismatches.count) differ from npm:\n\(mismatches.prefix(30).joined(separator: "\n"))"
        )
        // Both kinds are made: the comparison means something.
        #expect(npm.ranges.filter { $0 == nil }.count > 300 && npm.ranges.filter { $0 != nil }.count > 1000)
    }

    func compare(
        _ text: String, _ versions: [String], _ npmRange: String?, _ npmTests: [Bool], into out: inout [String]
    ) {
        switch (SemverRange.parse(text), npmRange) {
        case (.failure, nil): return
        case (.failure(let problem), let range?):
            out.append("\(debug(text)): npm takes it as \"\(range)\", we refuse: \(problem)")
        case (.success(let ours), nil):
            out.append("\(debug(text)): npm refuses it, we take it as \"\(ours.normalized)\"")
        case (.success(let ours), let range?):
            if ours.normalized != range { out.append("\(debug(text)): npm \"\(range)\", we \"\(ours.normalized)\"") }
            for (version, expected) in zip(versions, npmTests) {
                guard let v = SemanticVersion.parse(version) else { continue }
                if ours.contains(v) != expected { out.append("\(debug(text)) on \(version): npm \(expected)") }
            }
        }
    }

    func debug(_ text: String) -> String {
        "\"\(text.unicodeScalars.map { $0.isASCII ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined())\""
    }

    /// Ranges from the pieces of npm's grammar, put together at random (a fixed seed).
    static func generated(count: Int) -> [String] {
        let prefixes = [
            "", "", "", "=", "<", "<=", ">", ">=", "^", "~", "~>", "v", "=v", "> ", ">= ", "^ ", "~ ", "==", "v=",
        ]
        let versions = [
            "1", "1.2", "1.2.3", "0", "0.0", "0.0.3", "0.2", "0.2.3", "1.x", "1.2.x", "x", "*", "X.x", "1.*.3",
            "1.2.3-beta.2", "1.2.3-alpha", "0.0.0", "1.2.3+b.1", "2.x.x", "01.2", "1.2.3-", "1.2.3.4", "2.0.0-0",
            "1.2.x-beta", "9007199254740991", "a", "",
        ]
        let joints = [" ", " ", " ", "  ", " - ", " || ", "||", " | ", " -", "\t"]
        var seed: UInt64 = 0x2545_F491_4F6C_DD1D
        func pick<T>(_ items: [T]) -> T {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return items[Int((seed >> 33) % UInt64(items.count))]
        }
        return (0..<count).map { _ in
            var text = pick(prefixes) + pick(versions)
            for _ in 0..<pick([0, 0, 1, 1, 2, 3]) { text += pick(joints) + pick(prefixes) + pick(versions) }
            return text
        }
    }
}
