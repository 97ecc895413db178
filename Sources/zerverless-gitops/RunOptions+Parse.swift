import Agent
import ArgumentParser
import Daemon
import Foundation
import Logging
import Manifest
import State
import Sync
import Toolkit

/// The option values' parsers: one per kind, each failing with what to write instead.
enum Parse {
    static func duration(_ text: String) throws -> Duration {
        guard let seconds = Rules.parseDuration(text), seconds > 0 else {
            throw ValidationError("\"\(text)\" is not a duration; write it like 90s, 5m, 1h or 1h30m")
        }
        return .seconds(seconds)
    }

    /// A duration, or 0 (off).
    static func durationOrZero(_ text: String) throws -> Duration {
        if text == "0" { return .zero }
        guard let seconds = Rules.parseDuration(text) else {
            throw ValidationError("\"\(text)\" is not a duration; write it like 90s, 5m, 1h or 1h30m (0 turns it off)")
        }
        return .seconds(seconds)
    }

    static func size(_ text: String) throws -> Int {
        guard let bytes = Rules.parseSize(text), bytes > 0 else {
            throw ValidationError("\"\(text)\" is not a size; write it like 500MiB or 2GiB")
        }
        return bytes
    }

    /// A number (the settings check its range).
    static func number(_ text: String) throws -> Int {
        guard let n = Int(text) else { throw ValidationError("\"\(text)\" is not a number") }
        return n
    }

    /// A number of at least 0.
    static func count(_ text: String) throws -> Int {
        guard let n = Int(text), n >= 0 else { throw ValidationError("\"\(text)\" is not a number (0 for no limit)") }
        return n
    }

    static func listen(_ text: String) throws -> ListenAddress? {
        if text == "none" { return nil }
        guard let address = ListenAddress(text) else {
            throw ValidationError("\"\(text)\"; expected HOST:PORT or none")
        }
        return address
    }

    static func target(_ text: String) throws -> TargetChoice {
        guard let choice = TargetChoice(text) else {
            throw ValidationError("\"\(text)\"; expected local, local:DIR, or http(s)://HOST:PORT")
        }
        return choice
    }

    static func builder(_ text: String) throws -> DockerBuilderChoice {
        guard let choice = DockerBuilderChoice(rawValue: text) else {
            throw ValidationError("\"\(text)\"; expected auto, docker, podman or buildah")
        }
        return choice
    }

    static func logFormat(_ text: String) throws -> StderrLogHandler.Format {
        guard let format = StderrLogHandler.Format(rawValue: text) else {
            throw ValidationError("\"\(text)\"; expected text or json")
        }
        return format
    }

    static func logLevel(_ text: String) throws -> Logger.Level {
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ValidationError("\"\(text)\"; expected trace, debug, info, notice, warning, error or critical")
        }
        return level
    }

    static func shards(_ text: String) throws -> Int {
        guard let n = Int(text), (1...1024).contains(n) else {
            throw ValidationError("\"\(text)\" is not a number of shards from 1 to 1024")
        }
        return n
    }

    /// An index, or `auto`: the trailing -K of the host name (a StatefulSet pod's).
    static func shardIndex(_ text: String) throws -> Int {
        if text == "auto" {
            let host = ProcessInfo.processInfo.hostName
            guard let found = Sharding.index(fromHostName: host) else {
                throw ValidationError(
                    "auto: the host name \"\(host)\" does not end in -K (a StatefulSet pod's name, like zerverless-gitops-2); give the index"
                )
            }
            return found
        }
        guard let n = Int(text), n >= 0 else { throw ValidationError("\"\(text)\" is not an index (0 to N-1) or auto") }
        return n
    }
}
