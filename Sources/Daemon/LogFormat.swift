import Foundation
import Logging
import Manifest
import Synchronization

/// Log lines on stderr: `text` for people, `json` (one object per line) for log shippers.
/// Every message and value passes through `Redact`, so a credential that slipped into an
/// error text never reaches the log.
public struct StderrLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable { case text, json }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String
    let format: Format

    static let lock = Mutex(())

    public init(label: String, format: Format, level: Logger.Level) {
        self.label = label
        self.format = format
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        for (k, v) in event.metadata ?? [:] { merged[k] = v }
        let time = Date().formatted(
            .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(
                .colon
            ).timeZone(separator: .omitted))
        let message = Redact.urls(in: Redact.line("\(event.message)"))
        var line: String
        switch format {
        case .text:
            line = "\(time) \(event.level.rawValue.uppercased()) \(message)"
            for (k, v) in merged.sorted(by: { $0.key < $1.key }) {
                let value = Redact.urls(in: Redact.line("\(v)"))
                line +=
                    " \(k)="
                    + (value.contains(" ") || value.isEmpty || value.contains("\"") ? Self.quoted(value) : value)
            }
        case .json:
            // Numbers stay numbers (`"duration_ms": 23`): log shippers aggregate them.
            var object: [String: Any] = ["time": time, "level": event.level.rawValue, "msg": message]
            for (k, v) in merged {
                if case .stringConvertible(let value) = v, let number = value as? any BinaryInteger {
                    object[k] = Int(number)
                } else if case .stringConvertible(let value) = v, let number = value as? Double {
                    object[k] = number
                } else {
                    object[k] = Redact.urls(in: Redact.line("\(v)"))
                }
            }
            line =
                (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
                .map { String(decoding: $0, as: UTF8.self) } ?? message
        }
        line += "\n"
        Self.lock.withLock { _ in
            var bytes = Array(line.utf8)[...]
            while !bytes.isEmpty {
                let n = bytes.withUnsafeBytes { Foundation.write(2, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    break
                }
                bytes = bytes.dropFirst(n)
            }
        }
    }

    static func quoted(_ s: String) -> String {
        "\""
            + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}
