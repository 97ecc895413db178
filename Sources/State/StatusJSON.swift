import Foundation
import Toolkit

/// The status document's JSON, written by hand: the same text as JSONEncoder with
/// `.prettyPrinted, .sortedKeys, .withoutEscapingSlashes` and ISO 8601 dates, at a
/// fraction of the cost (the daemon rewrites every status document at every poll; the
/// encoder was a third of the CPU of an unchanged look).
public enum JSONText {
    public indirect enum Value: Sendable {
        case null
        case string(String)
        case int(Int)
        case bool(Bool)
        case object([(String, Value?)])
        case array([Value])
    }

    public static func write(_ value: Value, into out: inout [UInt8], indent: Int) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .string(let s): string(s, into: &out)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .object(let pairs):
            let present = pairs.compactMap { k, v in v.map { (k, $0) } }.sorted { $0.0 < $1.0 }
            if present.isEmpty {
                out.append(contentsOf: "{\n\n".utf8)
                spaces(indent, &out)
                out.append(UInt8(ascii: "}"))
                return
            }
            out.append(contentsOf: "{\n".utf8)
            for (i, (k, v)) in present.enumerated() {
                spaces(indent + 2, &out)
                string(k, into: &out)
                out.append(contentsOf: " : ".utf8)
                write(v, into: &out, indent: indent + 2)
                out.append(contentsOf: (i == present.count - 1 ? "\n" : ",\n").utf8)
            }
            spaces(indent, &out)
            out.append(UInt8(ascii: "}"))
        case .array(let items):
            if items.isEmpty {
                out.append(contentsOf: "[\n\n".utf8)
                spaces(indent, &out)
                out.append(UInt8(ascii: "]"))
                return
            }
            out.append(contentsOf: "[\n".utf8)
            for (i, v) in items.enumerated() {
                spaces(indent + 2, &out)
                write(v, into: &out, indent: indent + 2)
                out.append(contentsOf: (i == items.count - 1 ? "\n" : ",\n").utf8)
            }
            spaces(indent, &out)
            out.append(UInt8(ascii: "]"))
        }
    }

    static func spaces(_ n: Int, _ out: inout [UInt8]) {
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: n))
    }

    static func string(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape: copied at once.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            out.append(contentsOf: s.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        func hex(_ v: UInt8) -> UInt8 { v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "a") + v - 10 }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0x08: out.append(contentsOf: "\\b".utf8)
            case 0x0C: out.append(contentsOf: "\\f".utf8)
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex(b >> 4))
                out.append(hex(b & 15))
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `2024-01-15T10:30:00Z` (whole seconds, UTC), as JSONEncoder's `.iso8601`.
    public static func date(_ d: Date) -> String {
        var t = time_t(d.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        let year = Int(tm.tm_year) + 1900
        guard (0...9999).contains(year) else {
            func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
            return
                "\(year)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))T\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))Z"
        }
        // The common case written digit by digit (interpolation was a fifth of the encoding).
        return String(unsafeUninitializedCapacity: 20) { out in
            func put(_ v: Int, _ at: Int, _ width: Int) {
                var v = v
                for i in stride(from: at + width - 1, through: at, by: -1) {
                    out[i] = UInt8(ascii: "0") + UInt8(v % 10)
                    v /= 10
                }
            }
            put(year, 0, 4)
            out[4] = UInt8(ascii: "-")
            put(Int(tm.tm_mon) + 1, 5, 2)
            out[7] = UInt8(ascii: "-")
            put(Int(tm.tm_mday), 8, 2)
            out[10] = UInt8(ascii: "T")
            put(Int(tm.tm_hour), 11, 2)
            out[13] = UInt8(ascii: ":")
            put(Int(tm.tm_min), 14, 2)
            out[16] = UInt8(ascii: ":")
            put(Int(tm.tm_sec), 17, 2)
            out[19] = UInt8(ascii: "Z")
            return 20
        }
    }
}

extension StatusDocument {
    /// The document as the status file holds it.
    public func jsonBytes() -> [UInt8] {
        typealias V = JSONText.Value
        func s(_ x: String?) -> V? { x.map { .string($0) } }
        func i(_ x: Int?) -> V? { x.map { .int($0) } }
        func d(_ x: Date?) -> V? { x.map { .string(JSONText.date($0)) } }
        let value: V = .object([
            ("name", .string(name)),
            ("namespace", .string(namespace)),
            (
                "source",
                .object([
                    ("repoURL", .string(source.repoURL)), ("branch", s(source.branch)),
                    ("path", .string(source.path)), ("commit", s(source.commit)),
                    (
                        "ref",
                        source.ref.map { r in
                            .object([
                                ("branch", s(r.branch)), ("tag", s(r.tag)), ("semver", s(r.semver)),
                                ("resolved", s(r.resolved)), ("commit", s(r.commit)),
                            ])
                        }
                    ),
                    ("lastAttemptedCommit", s(source.lastAttemptedCommit)),
                ])
            ),
            ("lastSync", d(lastSync)),
            ("status", .string(status.rawValue)),
            ("message", s(message)),
            ("lastAttempt", d(lastAttempt)),
            ("nextSync", d(nextSync)),
            (
                "error",
                error.map { e in
                    .object([
                        ("stage", .string(e.stage.rawValue)), ("message", .string(e.message)), ("file", s(e.file)),
                        ("line", i(e.line)), ("column", i(e.column)),
                    ])
                }
            ),
            (
                "functions",
                .array(
                    functions.map { f in
                        .object([
                            ("path", .string(f.path)), ("runtime", .string(f.runtime)),
                            ("url", .string(f.url)), ("state", .string(f.state.rawValue)),
                            ("message", s(f.message)),
                        ])
                    })
            ),
            (
                "static",
                self.static.map { st in
                    .object([("dir", .string(st.dir)), ("files", .int(st.files)), ("bytes", .int(st.bytes))])
                }
            ),
            ("registrationFile", s(registrationFile)),
            (
                "conflicts",
                conflicts.map { list in
                    .array(
                        list.map { c in
                            .object([
                                ("kind", .string(c.kind.rawValue)), ("path", .string(c.path)),
                                ("owner", .string(c.owner)),
                            ])
                        })
                }
            ),
            (
                "verified",
                verified.map { v in
                    .object([
                        ("signer", .string(v.signer)), ("keyFingerprint", .string(v.keyFingerprint)),
                        ("tagObject", v.tagObject.map { .string($0) }),
                    ])
                }
            ),
            (
                "pinned",
                pinned.map { p in
                    .object([
                        ("commit", .string(p.commit)), ("reason", s(p.reason)),
                        ("since", .string(JSONText.date(p.since))), ("automatic", p.automatic.map { .bool($0) }),
                    ])
                }
            ),
            (
                "drift",
                drift.map { d in
                    .object([
                        ("checkedAt", .string(JSONText.date(d.checkedAt))),
                        (
                            "items",
                            .array(
                                d.items.map { it in
                                    .object([
                                        ("kind", .string(it.kind.rawValue)), ("path", .string(it.path)),
                                        ("change", .string(it.change.rawValue)),
                                    ])
                                })
                        ),
                        ("corrected", .int(d.corrected)), ("unmanaged", .int(d.unmanaged)),
                    ])
                }
            ),
            ("shard", shard.map { .int($0) }),
            (
                "suspended",
                suspended.map { su in
                    .object([("reason", s(su.reason)), ("since", .string(JSONText.date(su.since)))])
                }
            ),
            ("labels", labels.map { l in .object(l.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }) }),
            (
                "health",
                health.map { h in
                    .object([
                        ("status", .string(h.status.rawValue)), ("checkedAt", d(h.checkedAt)), ("commit", s(h.commit)),
                        (
                            "checks",
                            .array(
                                h.checks.map { c in
                                    .object([
                                        ("name", .string(c.name)), ("url", .string(c.url)),
                                        ("result", .string(c.result.rawValue)), ("code", i(c.code)),
                                        ("latencyMs", i(c.latencyMs)), ("message", s(c.message)),
                                    ])
                                })
                        ),
                        ("message", s(h.message)),
                    ])
                }
            ),
            (
                "progress",
                progress.map { p in
                    .object([
                        ("stage", .string(p.stage.rawValue)), ("done", .int(p.done)),
                        ("total", p.total.map { .int($0) }),
                        ("unit", .string(p.unit.rawValue)), ("updatedAt", .string(JSONText.date(p.updatedAt))),
                    ])
                }
            ),
            ("generatedBy", s(generatedBy)),
            (
                "preview",
                preview.map { p in
                    .object([
                        ("pathPrefix", .string(p.pathPrefix)), ("url", .string(p.url)),
                        ("functions", .array(p.functions.map { .string($0) })),
                    ])
                }
            ),
        ])
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        JSONText.write(value, into: &out, indent: 0)
        return out
    }
}
