import Foundation
import Hummingbird
import Processes

/// How the contract server runs a deployment: the real interpreters the tests install
/// (`lua5.4`, `node`, `python3`), one process per call (its own process group, killed as a
/// whole at the deadline), the request in and the result out as the platform passes them:
/// lua and js code defines `handle(req)` and is run with `return handle(INPUT)` /
/// `handle(INPUT)` appended (as the orchestrator wraps it); python code calls
/// `handle(INPUT)` itself and prints the JSON result (its last line of output).
extension ContractServer {
    enum RunOutcome: Sendable {
        /// The handler's result, as JSON.
        case result([UInt8])
        /// The code failed (did not compile, threw, printed no result): the error text.
        case failed(String)
        /// Killed at the deadline.
        case timedOut(Duration)
        /// Not run here (no interpreter, docker, an unknown runtime).
        case notRun(HTTPResponse.Status, String)
    }

    /// The interpreters on PATH, by runtime.
    public static func detectInterpreters() -> [String: String] {
        var found: [String: String] = [:]
        found["lua"] = ChildProcess.which(["lua5.4", "lua5.3", "lua"])
        found["js"] = ChildProcess.which(["node", "nodejs"])
        found["python"] = ChildProcess.which(["python3"])
        return found
    }

    /// The line before the result on stdout (lua, js): what the code prints stays apart.
    static let resultMarker = "\u{1}ZG-RESULT\u{1}"

    func run(_ deployment: Deployment, _ input: FunctionRequest) async -> RunOutcome {
        let runtime =
            switch deployment.runtime {
            case "js", "javascript": "js"
            case "python", "py": "python"
            default: deployment.runtime
            }
        if runtime == "docker" {
            return .notRun(.badGateway, "docker functions are not run by the contract server")
        }
        let (interpreter, timeout) = state.withLock { ($0.interpreters[runtime], $0.invokeTimeout) }
        let arguments: [String]
        let stdin: [UInt8]
        switch runtime {
        case "lua":
            arguments = ["-"]
            stdin = Array(Self.luaProgram(code: deployment.code, input: input).utf8)
        case "js":
            arguments = ["-e", Self.nodeWrapper]
            stdin = Self.jsonInput(code: deployment.code, input: input)
        case "python":
            arguments = ["-I", "-c", Self.pythonWrapper]
            stdin = Self.jsonInput(code: deployment.code, input: input)
        default:
            return .notRun(.notImplemented, "runtime \(deployment.runtime) is not run by the contract server")
        }
        guard let interpreter else {
            return .notRun(.notImplemented, "no interpreter for the \(runtime) runtime on this host")
        }
        let out: ChildProcess.Output
        do {
            out = try await ChildProcess.run(
                interpreter, arguments, input: stdin, timeout: timeout, outputLimit: 4 << 20, separateErrors: true)
        } catch {
            return .notRun(.notImplemented, "\(runtime): \(error)")
        }
        if out.timedOut { return .timedOut(timeout) }
        let stdout = out.text
        let stderr = String(decoding: out.errorOutput, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard out.status == 0 else {
            let text = stderr.isEmpty ? stdout.trimmingCharacters(in: .whitespacesAndNewlines) : stderr
            return .failed(text.isEmpty ? "\(runtime) exited with status \(out.status)" : text)
        }
        let line: Substring?
        if runtime == "python" {
            line = stdout.split(whereSeparator: \.isNewline).last { !$0.allSatisfy(\.isWhitespace) }
        } else {
            line = stdout.components(separatedBy: Self.resultMarker).dropFirst().last.map {
                $0.prefix { !$0.isNewline }
            }
        }
        guard let line, (try? JSONSerialization.jsonObject(with: Data(line.utf8), options: .fragmentsAllowed)) != nil
        else {
            return .failed(line.map { "the result is not JSON: \($0)" } ?? "the function printed no result")
        }
        return .result(Array(line.utf8))
    }

    static func jsonInput(code: String, input: FunctionRequest) -> [UInt8] {
        struct Input: Encodable {
            var code: String
            var req: FunctionRequest
        }
        return Array((try? JSONEncoder().encode(Input(code: code, req: input))) ?? Data())
    }

    /// A Lua string literal of any bytes: printable ASCII as is, the rest as `\ddd`.
    static func luaString(_ text: String) -> String {
        var out = "\""
        for byte in text.utf8 {
            if byte >= 0x20 && byte < 0x7f && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "\\" + String(repeating: "0", count: byte < 10 ? 2 : byte < 100 ? 1 : 0) + String(byte)
            }
        }
        return out + "\""
    }

    static func luaTable(_ entries: [String: String]) -> String {
        "{"
            + entries.sorted { $0.key < $1.key }.map { "[\(luaString($0.key))]=\(luaString($0.value))" }
            .joined(separator: ", ") + "}"
    }

    /// The whole program for `lua5.4 -`: the request as a table literal, the code loaded as
    /// the chunk "code.lua" (its error messages name its lines), a small JSON encoder for
    /// the result (plain Lua has none).
    static func luaProgram(code: String, input: FunctionRequest) -> String {
        """
        INPUT = {method=\(luaString(input.method)), path=\(luaString(input.path)), \
        query=\(luaTable(input.query)), headers=\(luaTable(input.headers)), body=\(luaString(input.body))}
        local function enc(v)
          local t = type(v)
          if t == "string" then
            return '"' .. (v:gsub('[%c"\\\\]', function(c) return string.format("\\\\u%04x", c:byte()) end)) .. '"'
          elseif t == "number" then
            if v ~= v or v == math.huge or v == -math.huge then return "null" end
            if math.type(v) == "integer" then return string.format("%d", v) end
            return string.format("%.17g", v)
          elseif t == "boolean" then
            return tostring(v)
          elseif t == "table" then
            local parts = {}
            if #v > 0 then
              for i = 1, #v do parts[i] = enc(v[i]) end
              return "[" .. table.concat(parts, ",") .. "]"
            end
            for k, x in pairs(v) do parts[#parts + 1] = enc(tostring(k)) .. ":" .. enc(x) end
            return "{" .. table.concat(parts, ",") .. "}"
          end
          return "null"
        end
        local chunk, err = load(\(luaString(code + "\nreturn handle(INPUT)")), "=code.lua")
        if not chunk then io.stderr:write(err, "\\n"); os.exit(1) end
        local ok, res = pcall(chunk)
        if not ok then io.stderr:write(tostring(res), "\\n"); os.exit(1) end
        io.write("\\n", \(luaString(resultMarker)), enc(res), "\\n")
        """
    }

    /// node -e: `{code, req}` on stdin; the code run as the script "code.js" with
    /// `handle(INPUT)` appended, its value (awaited, if a promise) printed as JSON.
    static let nodeWrapper = """
        const c = []; process.stdin.on('data', d => c.push(d)); process.stdin.on('end', () => {
          const fail = e => { process.stderr.write(String((e && e.stack) || e) + '\\n'); process.exit(1) };
          try {
            const d = JSON.parse(Buffer.concat(c).toString('utf8'));
            globalThis.INPUT = d.req;
            const v = require('vm').runInThisContext(d.code + '\\nhandle(INPUT)', { filename: 'code.js' });
            Promise.resolve(v).then(r => {
              process.stdout.write('\\n\\u0001ZG-RESULT\\u0001' + JSON.stringify(r === undefined ? null : r) + '\\n');
              process.exit(0);
            }, fail);
          } catch (e) { fail(e) }
        });
        """

    /// python3 -c: `{code, req}` on stdin; the code run as "code.py" with INPUT defined.
    static let pythonWrapper = """
        import json, sys, traceback
        d = json.load(sys.stdin)
        g = {"__name__": "__main__", "INPUT": d["req"]}
        try:
            exec(compile(d["code"], "code.py", "exec"), g)
        except SystemExit:
            raise
        except BaseException:
            traceback.print_exc()
            sys.exit(1)
        """
}
