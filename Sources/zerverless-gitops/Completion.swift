import ArgumentParser
import Foundation
import Manifest
import State

/// Shell completion of application names (bash, zsh and fish, through argument-parser's
/// custom completion: the script runs `zerverless-gitops ---completion ...` with the words
/// typed so far). The names are the state dir's applications (`STATE/apps/*/`) and the
/// apps dir's registrations, each dir taken from the command line being typed, else its
/// `ZG_*` variable, else its default. Nothing is printed on errors: an unreadable dir
/// gives no names.
enum AppNameCompletion {
    /// After a NAME argument.
    static let names = CompletionKind.custom { words, _, prefix in
        candidates(words: words, prefix: prefix)
    }

    /// After a FILE|NAME argument: the names, and the registration files and folders.
    static let namesAndFiles = CompletionKind.custom { words, _, prefix in
        candidates(words: words, prefix: prefix) + files(prefix: prefix)
    }

    static func candidates(
        words: [String], prefix: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String] {
        func setting(_ option: String, _ variable: String, _ fallback: String) -> String {
            value(of: option, in: words) ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
        }
        let state = StateLayout(root: setting("--state-dir", "ZG_STATE_DIR", StateLayout.defaultRoot))
        let appsDir = setting("--apps-dir", "ZG_APPS_DIR", "/etc/zerverless/apps.d")
        var names = Set<String>()
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: state.appsDir)) ?? [] {
            var isDir: ObjCBool = false
            if Rules.dnsLabelProblem(entry) == nil,
                FileManager.default.fileExists(atPath: state.appDir(entry), isDirectory: &isDir), isDir.boolValue
            {
                names.insert(entry)
            }
        }
        let scan = AppsDir(directory: appsDir).scan()
        names.formUnion(AppsDir.resolve(scan.files).entries.keys)
        return names.filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// The value of the last `--option VALUE` or `--option=VALUE` among the words, without
    /// the quotes a shell passes verbatim, `~/` expanded.
    static func value(of option: String, in words: [String]) -> String? {
        var found: String?
        for (i, word) in words.enumerated() {
            if word == option, i + 1 < words.count {
                found = words[i + 1]
            } else if word.hasPrefix(option + "=") {
                found = String(word.dropFirst(option.count + 1))
            }
        }
        guard var text = found, !text.isEmpty else { return nil }
        if text.count >= 2, let q = text.first, q == "'" || q == "\"", text.last == q {
            text = String(text.dropFirst().dropLast())
        }
        text = text.replacingOccurrences(of: "\\ ", with: " ")
        if text.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] {
            text = home + text.dropFirst()
        }
        return text
    }

    /// Folders (with a trailing `/`) and `*.yaml` / `*.yml` files that start with `prefix`.
    static func files(prefix: String) -> [String] {
        let slash = prefix.lastIndex(of: "/")
        let folder = slash.map { String(prefix[...$0]) } ?? ""
        let start = slash.map { String(prefix[prefix.index(after: $0)...]) } ?? prefix
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? []
        return entries.filter { $0.hasPrefix(start) && (!$0.hasPrefix(".") || start.hasPrefix(".")) }.compactMap {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder + $0, isDirectory: &isDir) else { return nil }
            if isDir.boolValue { return folder + $0 + "/" }
            return $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") ? folder + $0 : nil
        }.sorted()
    }
}
