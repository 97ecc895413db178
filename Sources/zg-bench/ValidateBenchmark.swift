import Foundation
import Manifest

/// `validate` on a typical file and on hostile ones, in process, against PyYAML's C-based
/// safe_load of the same bytes (a parser only: it checks no field, so the ratio is of a
/// validator against a bare parser).
enum ValidateBenchmark {
    static func inputs(root: String) -> [(String, [UInt8])] {
        var list: [(String, [UInt8])] = []
        if let typical = FileManager.default.contents(atPath: root + "/examples/hello-app/zerverless.yaml") {
            list.append(("typical manifest (hello-app)", Array(typical)))
        }
        if let reg = FileManager.default.contents(atPath: root + "/etc/zerverless/apps.d/hello-app.yaml.sample") {
            list.append(("typical registration", Array(reg)))
        }
        var bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 {
            bomb += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]\n"
        }
        list.append(("alias bomb (9^10 nodes)", Array(bomb.utf8)))
        list.append(("200,000 '['", Array(String(repeating: "[", count: 200_000).utf8)))
        list.append(("1 MiB scalar", Array(("name: \"" + String(repeating: "x", count: (1 << 20) - 20) + "\"\n").utf8)))
        var many =
            "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: a, namespace: b}\nspec:\n  functions:\n"
        var i = 0
        while many.utf8.count < 1_000_000 {
            many += "    - {path: /f\(i), runtime: lua, code: \"function handle(req) return {status=200} end\"}\n"
            i += 1
        }
        list.append(("1 MiB manifest, \(i) functions", Array(many.utf8)))
        return list
    }

    static func run() {
        let root = FileManager.default.currentDirectoryPath
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zg-bench-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        print(
            "validate: median of repeated in-process runs; peer: PyYAML yaml.load(CSafeLoader) in its own process, timed inside it"
        )
        print(pad("input", 34) + pad("bytes", 10) + pad("validate", 12) + pad("PyYAML", 12) + "ratio   result")
        for (index, (name, bytes)) in inputs(root: root).enumerated() {
            var result: ValidationResult?
            let ours = median { result = Validator.validate(bytes, file: "bench.yaml") }
            let path = dir.appendingPathComponent("in\(index).yaml").path
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let peer = pyyaml(path)
            let ratio = peer.map { String(format: "%.2fx", ours / $0) } ?? "-"
            let verdict =
                result.map {
                    $0.valid ? "valid" : "invalid: " + String(($0.diagnostics.first?.message ?? "").prefix(40))
                } ?? ""
            print(
                pad(name, 34) + pad("\(bytes.count)", 10) + pad(formatSeconds(ours), 12)
                    + pad(peer.map(formatSeconds) ?? "failed", 12) + pad(ratio, 8) + verdict)
        }
    }

    /// PyYAML's median for one file, or nil where it failed (crashed, or python3 or PyYAML is missing).
    static func pyyaml(_ path: String) -> Double? {
        let script = """
            import sys, time, yaml
            data = open(sys.argv[1], 'rb').read()
            samples = []
            start = time.perf_counter()
            while len(samples) < 5 or time.perf_counter() - start < 1.0:
                t = time.perf_counter()
                try:
                    yaml.load(data, Loader=getattr(yaml, 'CSafeLoader', yaml.SafeLoader))
                except Exception:
                    pass
                samples.append(time.perf_counter() - t)
                if len(samples) >= 10000: break
            samples.sort()
            print(samples[len(samples) // 2])
            """
        guard let out = capture("/usr/bin/env", ["python3", "-c", script, path]) else { return nil }
        return Double(out.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
