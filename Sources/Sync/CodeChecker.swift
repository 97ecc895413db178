import Foundation
import Manifest
import Processes
import State
import Synchronization
import Toolkit

/// Syntax checks before deploy, with the checkers the host has: `luac5.4 -p` (Debian
/// lua5.4), Python's `ast.parse`, `node --check`. A missing checker skips the check.
public struct CodeChecker: Sendable {
    public struct Problem: Sendable, Hashable {
        public var line: Int
        public var message: String
    }

    public var lua: String?
    public var python: String?
    public var node: String?

    public init(lua: String? = nil, python: String? = nil, node: String? = nil) {
        self.lua = lua
        self.python = python
        self.node = node
    }

    /// The checkers found on PATH.
    public static func detect() -> CodeChecker {
        CodeChecker(
            lua: which(["luac5.4", "luac5.3", "luac"]), python: which(["python3"]), node: which(["node", "nodejs"]))
    }

    /// The interpreter behind a `python3` on PATH: a version manager's shim (pyenv's is a
    /// shell script) costs ~70 ms per start, the interpreter itself ~25 ms.
    static let interpreters = Mutex<[String: String]>([:])

    /// Resolves what the first check would otherwise resolve (the Python interpreter
    /// behind a shim); a daemon calls it at startup, off the path of any sync.
    /// It also starts the Python and node checkers ahead (see `Spares`).
    public func warmUp() -> [String] {
        var found: [String] = []
        if let lua { found.append(lua) }
        if let python { found.append(Self.realInterpreter(python)) }
        if let node { found.append(node) }
        Spares.shared.enable(starters())
        return found
    }

    /// What a spare checker runs: it reads the code on stdin. Python's does the whole
    /// check (the same `ast.parse` as below); node's only says "fine" (exit 0) when the
    /// code compiles as CommonJS, as `node --check` compiles it, and anything else (exit
    /// 3: a syntax error, or an ES module, which `--check` accepts) is decided by
    /// `node --check` itself.
    func starters() -> [AppManifest.Runtime: @Sendable () -> PreparedProcess?] {
        var out: [AppManifest.Runtime: @Sendable () -> PreparedProcess?] = [:]
        if let python {
            let interpreter = Self.realInterpreter(python)
            let script =
                "import ast,sys\ntry:\n    ast.parse(sys.stdin.buffer.read().decode('utf-8'), 'code.py')\nexcept SyntaxError as e:\n    print(f'{e.lineno}:{e.msg}'); sys.exit(1)"
            out[.python] = { try? PreparedProcess(interpreter, ["-I", "-S", "-c", script]) }
        }
        if let node {
            let script =
                "const c=[];process.stdin.on('data',d=>c.push(d));process.stdin.on('end',()=>{try{require('vm').compileFunction("
                + "Buffer.concat(c).toString('utf8'),['exports','require','module','__filename','__dirname'],{filename:'code.js'})}catch(e){process.exit(3)}})"
            out[.js] = { try? PreparedProcess(node, ["-e", script]) }
        }
        return out
    }

    static func realInterpreter(_ python: String) -> String {
        if let known = interpreters.withLock({ $0[python] }) { return known }
        let resolved = resolveInterpreter(python)
        interpreters.withLock { $0[python] = resolved }
        return resolved
    }

    private static func resolveInterpreter(_ python: String) -> String {
        guard
            let out = try? ChildProcess.runBlocking(
                python, ["-c", "import sys; print(sys.executable)"], timeout: .seconds(20), outputLimit: 4096),
            out.status == 0
        else { return python }
        let path = out.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return FileManager.default.isExecutableFile(atPath: path) ? path : python
    }

    static func which(_ names: [String]) -> String? { ChildProcess.which(names) }

    public func check(_ runtime: AppManifest.Runtime, code: String) -> Problem? {
        let mine = runtime == .js ? node != nil : runtime == .python ? python != nil : false
        if mine, let spare = Spares.shared.take(runtime), let verdict = check(runtime, code: code, with: spare) {
            return verdict
        }
        return checkAlone(runtime, code: code)
    }

    /// The verdict of a checker started ahead: `.some(nil)` fine, `.some(problem)`, or nil
    /// when `checkAlone` decides (node's exit 3, a checker that died).
    func check(_ runtime: AppManifest.Runtime, code: String, with spare: PreparedProcess) -> Problem?? {
        let out = spare.finish(input: Array(code.utf8), timeout: .seconds(30), outputLimit: 64 << 10)
        switch (runtime, out.timedOut, out.status) {
        case (_, true, _): return .some(nil)  // as a checker run past its deadline below
        case (_, false, 0): return .some(nil)
        case (.python, false, 1):
            let parts = out.text.split(separator: ":", maxSplits: 1)
            return Problem(
                line: Int(parts.first ?? "") ?? 1,
                message: parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespacesAndNewlines) : out.text)
        default: return nil
        }
    }

    /// The check in a process of its own, the code in a scratch file.
    func checkAlone(_ runtime: AppManifest.Runtime, code: String) -> Problem? {
        guard let path = try? ScratchFolder.make("zg-check") else { return nil }
        let dir = URL(fileURLWithPath: path)
        defer { try? FileManager.default.removeItem(at: dir) }
        switch runtime {
        case .lua:
            guard let lua else { return nil }
            let file = dir.appendingPathComponent("code.lua").path
            _ = FileManager.default.createFile(atPath: file, contents: Data(code.utf8))
            return problem(run(lua, ["-p", "-o", "/dev/null", file]), file: file)
        case .python:
            guard let python else { return nil }
            let file = dir.appendingPathComponent("code.py").path
            _ = FileManager.default.createFile(atPath: file, contents: Data(code.utf8))
            let script =
                "import ast,sys\ntry:\n    ast.parse(open(sys.argv[1],encoding='utf-8').read(), sys.argv[1])\nexcept SyntaxError as e:\n    print(f'{e.lineno}:{e.msg}'); sys.exit(1)"
            // -I -S: no environment, no site-packages (ast is in the standard library).
            guard let out = run(Self.realInterpreter(python), ["-I", "-S", "-c", script, file]), out.status != 0 else {
                return nil
            }
            let parts = out.text.split(separator: ":", maxSplits: 1)
            return Problem(
                line: Int(parts.first ?? "") ?? 1,
                message: parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespacesAndNewlines) : out.text)
        case .js:
            guard let node else { return nil }
            let file = dir.appendingPathComponent("code.js").path
            _ = FileManager.default.createFile(atPath: file, contents: Data(code.utf8))
            return problem(run(node, ["--check", file]), file: file)
        case .docker:
            return nil
        }
    }

    /// `FILE:LINE: message` (luac) or `FILE:LINE` then the message (node).
    private func problem(_ out: (status: Int32, text: String)?, file: String) -> Problem? {
        guard let out, out.status != 0 else { return nil }
        let text = out.text
        var line = 1
        if let range = text.range(of: file + ":") {
            let digits = text[range.upperBound...].prefix { $0.isNumber }
            line = Int(digits) ?? 1
        }
        let lines = text.split(separator: "\n").map(String.init)
        var message = lines.first { $0.contains("SyntaxError") } ?? lines.first ?? "syntax error"
        if let range = message.range(of: file + ":\(line): ") {
            message = String(message[range.upperBound...])  // luac: "PROGRAM: FILE:LINE: message"
        }
        return Problem(line: line, message: message.trimmingCharacters(in: .whitespaces))
    }

    /// A checker run: 30 s at most, 64 KiB of output kept.
    private func run(_ executable: String, _ args: [String]) -> (status: Int32, text: String)? {
        guard let out = try? ChildProcess.runBlocking(executable, args, timeout: .seconds(30), outputLimit: 64 << 10),
            !out.timedOut
        else { return nil }
        return (out.status, out.text)
    }
}

/// One interpreter per runtime started ahead and waiting for code on stdin, replaced as
/// soon as it is taken: a sync's check does not wait for the interpreter to start (node
/// ~80 ms, Python ~25 ms, of a ~100 ms sync). Each check still gets a process of its own
/// (nothing of one tenant's code is seen by the next); a second check of the same runtime
/// at the same moment starts its own process as before.
final class Spares: Sendable {
    static let shared = Spares()
    private let state = Mutex<
        (
            starters: [AppManifest.Runtime: @Sendable () -> PreparedProcess?],
            ready: [AppManifest.Runtime: PreparedProcess]
        )
    >(([:], [:]))

    /// Processes dropped by these functions are returned out of the lock first: their
    /// deinit (kill, reap) does not run under it.
    func enable(_ starters: [AppManifest.Runtime: @Sendable () -> PreparedProcess?]) {
        var started: [AppManifest.Runtime: PreparedProcess] = [:]
        for (runtime, start) in starters { started[runtime] = start() }
        let replaced = state.withLock { s in
            defer { s = (starters, started) }
            return s.ready
        }
        _ = replaced
    }

    /// The waiting process, if there is one; a replacement is started at once (also when
    /// there was none: a start that failed is tried again at the next check).
    func take(_ runtime: AppManifest.Runtime) -> PreparedProcess? {
        let (taken, start) = state.withLock { s in (s.ready.removeValue(forKey: runtime), s.starters[runtime]) }
        if let start, let next = start() {
            // Another check's replacement may have arrived meanwhile: that one is kept.
            let surplus = state.withLock { s -> PreparedProcess? in
                guard s.ready[runtime] == nil else { return next }
                s.ready[runtime] = next
                return nil
            }
            _ = surplus
        }
        return taken
    }
}
