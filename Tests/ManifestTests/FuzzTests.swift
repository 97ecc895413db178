import Foundation
import Testing
import YAML

@testable import Manifest

/// SplitMix64: deterministic, so a failure reproduces from its iteration number.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let fuzzSeeds: [String] = [
    contractApplicationSet,
    """
    apiVersion: zerverless.io/v1
    kind: Application
    metadata:
      name: my-app
      namespace: myuser
    spec:
      source:
        repoURL: https://github.com/user/repo
        branch: main
      functions:
        - path: /api/hello
          runtime: lua
          code: |
            function handle(req)
              return {status=200, body="Hello from GitOps!"}
            end
        - path: /api/python
          runtime: python
          codeFile: handlers/python.py
        - path: /api/docker
          runtime: docker
          dockerfile: ./services/api/Dockerfile
          context: ./services/api
          port: 8080
      static:
        dir: ./static
    """,
    """
    apiVersion: zerverless.io/v1
    kind: Application
    metadata: {name: my-app, namespace: myuser, labels: {a: b}}
    spec:
      source:
        repoURL: ssh://git@host:2222/o/r.git
        branch: dev
        path: ./deploy
        auth: {sshKeyFile: /k, knownHostsFile: /kh}
      pollInterval: 1h30m
      syncPolicy: {automated: true, prune: false, allowEmpty: false, suspend: false}
    """,
    """
    name: &n flat
    namespace: *n
    source:
      repoURL: "https://user:tok@h.io/o/r"
      auth:
        username: x
        tokenFile: /t
    pollInterval: 90s
    """,
]

/// Fragments that stress the parser: flow and block indicators, anchors, tags, quotes.
let fuzzFragments: [String] = [
    "[", "]", "{", "}", ": ", "- ", "? ", "&a ", "*a", "!!str ", "!x ", "|", ">", "\"", "'", "#", "%YAML 1.1\n",
    "---\n", "...\n", "\t", "\n", "  ", ",", "<<: *a\n", "\u{FEFF}", "\\u0000", "&a [*a]", "~", "null", "0o17", "0x1F",
    "é", "🚀", "\r\n",
]

enum Mutation: CaseIterable {
    case truncate, flipByte, insertByte, deleteRange, duplicateLine, insertFragment, deepNesting, hugeScalar,
        aliasChain, swapLines
}

func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
    var bytes = input
    let rounds = Int.random(in: 1...3, using: &rng)
    for _ in 0..<rounds {
        let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
        switch Mutation.allCases.randomElement(using: &rng)! {
        case .truncate:
            bytes = Array(bytes.prefix(at))
        case .flipByte:
            if !bytes.isEmpty { bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng)) }
        case .insertByte:
            bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
        case .deleteRange:
            let end = min(bytes.count, at + Int.random(in: 1...40, using: &rng))
            bytes.removeSubrange(at..<end)
        case .duplicateLine:
            let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            if let line = lines.randomElement(using: &rng) {
                bytes.insert(contentsOf: Array(line) + [UInt8(ascii: "\n")], at: at)
            }
        case .insertFragment:
            bytes.insert(contentsOf: Array(fuzzFragments.randomElement(using: &rng)!.utf8), at: at)
        case .deepNesting:
            let depth = [10, 63, 64, 65, 1000, 50_000].randomElement(using: &rng)!
            let open = Bool.random(using: &rng) ? "[" : "{a: "
            bytes.insert(contentsOf: Array(String(repeating: open, count: depth).utf8), at: at)
        case .hugeScalar:
            let size = [1000, 100_000, 900_000, 1_100_000].randomElement(using: &rng)!
            bytes.insert(contentsOf: [UInt8](repeating: UInt8(ascii: "x"), count: size), at: at)
        case .aliasChain:
            var text = "\nz0: &z0 [q, q, q, q, q, q, q, q]\n"
            let levels = Int.random(in: 2...12, using: &rng)
            for i in 1...levels {
                text += "z\(i): &z\(i) [" + Array(repeating: "*z\(i - 1)", count: 8).joined(separator: ",") + "]\n"
            }
            bytes.append(contentsOf: Array(text.utf8))
        case .swapLines:
            var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
            if lines.count > 2 {
                let i = Int.random(in: 0..<lines.count, using: &rng)
                let j = Int.random(in: 0..<lines.count, using: &rng)
                lines.swapAt(i, j)
                bytes = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
            }
        }
    }
    return bytes
}

/// Thousands of mutated files through validate's code path: none may crash or hang, each
/// answers within a second, and every answer is well formed. The loop (tens of seconds of
/// CPU in a debug build) runs on a thread of its own: on one of the cooperative pool's
/// threads (as many as cores) it would starve the other suites' servers and deadlines.
@Test func mutatedFilesNeverCrashOrHang() async {
    let outcome = await onAThreadOfItsOwn { fuzzValidate(iterations: 6000) }
    print(
        "fuzz: \(outcome.iterations) mutated files, \(outcome.invalid) invalid, slowest \(outcome.slowest) "
            + "(iteration \(outcome.slowestInput))")
    #expect(outcome.problems.isEmpty, "\(outcome.problems.prefix(20))")
    #expect(outcome.invalid > outcome.iterations / 2)
}

struct FuzzOutcome: Sendable {
    var iterations = 0
    var invalid = 0
    var slowest = Duration.zero
    var slowestInput = 0
    var problems: [String] = []
}

func fuzzValidate(iterations: Int) -> FuzzOutcome {
    var rng = SplitMix64(state: 0x5EED_2026)
    let clock = ContinuousClock()
    var outcome = FuzzOutcome(iterations: iterations)
    for i in 0..<iterations {
        let seed = Array(fuzzSeeds[i % fuzzSeeds.count].utf8)
        let input = mutate(seed, &rng)
        let start = clock.now
        let result = Validator.validate(input, file: "fuzz.yaml")
        let elapsed = clock.now - start
        if elapsed > outcome.slowest {
            outcome.slowest = elapsed
            outcome.slowestInput = i
        }
        if elapsed >= .seconds(1) { outcome.problems.append("iteration \(i) took \(elapsed)") }
        if result.valid != result.diagnostics.allSatisfy({ $0.severity != .error }) {
            outcome.problems.append("iteration \(i): valid is \(result.valid) with \(result.diagnostics)")
        }
        if !result.valid {
            outcome.invalid += 1
            if result.diagnostics.isEmpty { outcome.problems.append("iteration \(i): invalid without a diagnostic") }
        }
        for d in result.diagnostics {
            if !(d.line >= 1 && d.column >= 1 && d.file == "fuzz.yaml") {
                outcome.problems.append("iteration \(i): \(d)")
            }
            if d.description.contains("tok@") { outcome.problems.append("iteration \(i) leaked a credential: \(d)") }
        }
    }
    return outcome
}

/// Runs CPU-bound work on a thread of its own and awaits it.
func onAThreadOfItsOwn<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}
