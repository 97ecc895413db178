import Foundation
import Toolkit

/// `--api-tokens-file`: who may see and change which namespaces. One token per line:
///
///     # comment
///     <token> myuser,web        the namespaces this token may see and change
///     <token> *                 every namespace
///
/// The file is read again when it changes (its mtime, size or inode), so tokens rotate
/// without a restart. Tokens are compared in constant time and appear in no message.
public final class APITokens: Sendable {
    public struct Grant: Sendable, Equatable {
        /// nil: every namespace.
        public var namespaces: Set<String>?

        public func allows(_ namespace: String) -> Bool { namespaces?.contains(namespace) ?? true }
    }

    public let file: String
    private let cache = NSLock()
    nonisolated(unsafe) private var stamp: [Int] = []
    nonisolated(unsafe) private var entries: [(token: [UInt8], grant: Grant)] = []
    nonisolated(unsafe) private var failure: String?
    nonisolated(unsafe) private var reads = 0
    /// Told (once per change) when the file cannot be used any more, and when it can again.
    private let report: @Sendable (_ problem: String?) -> Void

    /// Reads the file once (a missing, empty or malformed file is an error: better not to start).
    public init(file: String, report: @escaping @Sendable (_ problem: String?) -> Void = { _ in }) throws {
        self.file = file
        self.report = report
        let parsed = try Self.parse(file)
        guard !parsed.isEmpty else {
            throw TokenFileError(message: "\(file) holds no token (lines: TOKEN NAMESPACE[,NAMESPACE...] or TOKEN *)")
        }
        entries = parsed
        stamp = Self.stamp(file)
    }

    /// Counts the reads of the file since the start: it moves each time the file changed
    /// (or was reread on SIGHUP), so an open event stream knows to check its token again.
    public var generation: Int {
        refreshIfChanged()
        cache.lock()
        defer { cache.unlock() }
        return reads
    }

    /// Why the file cannot be used (then no token is accepted), or nil.
    public var problem: String? {
        refreshIfChanged()
        cache.lock()
        defer { cache.unlock() }
        return failure
    }

    static func parse(_ file: String) throws -> [(token: [UInt8], grant: Grant)] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw TokenFileError(message: "cannot read \(file)")
        }
        var parsed: [(token: [UInt8], grant: Grant)] = []
        for (n, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated()
        {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count == 2, parts[0].count >= 16 else {
                throw TokenFileError(
                    message: "\(file):\(n + 1): expected TOKEN NAMESPACES, with a token of at least 16 characters")
            }
            let spaces = parts[1] == "*" ? nil : Set(parts[1].split(separator: ",").map(String.init))
            parsed.append((Array(parts[0].utf8), Grant(namespaces: spaces)))
        }
        return parsed
    }

    static func stamp(_ file: String) -> [Int] { FileStamp.of(file) }

    /// Reads the file again when it changed. Fails closed: a file that cannot be read or
    /// parsed (deleted, one malformed line) grants nothing until it is fixed, so a token
    /// meant to be revoked never keeps working by accident.
    func refreshIfChanged() {
        let now = Self.stamp(file)
        cache.lock()
        let stale = stamp != now
        cache.unlock()
        guard stale else { return }
        var parsed: [(token: [UInt8], grant: Grant)] = []
        var problem: String?
        do {
            parsed = try Self.parse(file)
            if parsed.isEmpty { problem = "\(file) holds no token" }
        } catch {
            problem = "\(error)"
        }
        cache.lock()
        let changed = failure != problem
        entries = problem == nil ? parsed : []
        failure = problem
        stamp = now
        reads += 1
        cache.unlock()
        if changed { report(problem) }
    }

    /// Rereads the file whatever its stamp says (SIGHUP).
    public func reload() {
        cache.lock()
        stamp = [-1]
        cache.unlock()
        refreshIfChanged()
    }

    /// The grant of an `Authorization: Bearer` header, or nil.
    public func grant(authorization: String?) -> Grant? {
        guard let authorization, authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else {
            return nil
        }
        let presented = Array(authorization.dropFirst(7).trimmingCharacters(in: .whitespaces).utf8)
        refreshIfChanged()
        cache.lock()
        defer { cache.unlock() }
        var found: Grant?
        for entry in entries where constantTimeEqual(entry.token, presented) { found = entry.grant }
        return found
    }
}

public struct TokenFileError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// Compares without an early exit on the first differing byte.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var diff = UInt8(truncatingIfNeeded: a.count ^ b.count)
    for i in 0..<max(a.count, b.count) {
        diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
    }
    return diff == 0
}
