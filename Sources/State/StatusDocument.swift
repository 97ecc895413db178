import Foundation
import Manifest
import Toolkit

/// The status document of one application (`apps/NAME/status.json`), as interface section 4
/// defines it. `lastSync` and `source.commit` always describe the last successful sync.
public struct StatusDocument: Sendable, Hashable, Codable {
    public enum Phase: String, Sendable, Hashable, Codable, CaseIterable {
        case pending, syncing, synced, error, invalid, suspended, deleting
    }

    public struct Source: Sendable, Hashable, Codable {
        public var repoURL: String
        /// The branch followed (branch refs only).
        public var branch: String?
        public var path: String
        public var commit: String?
        /// What is followed: exactly one of branch, tag, semver (with the tag it resolved
        /// to), commit.
        public var ref: Ref?
        /// The commit the last attempt that reached the repository tried, good or not
        /// (Flux's `lastAttemptedRevision`); `commit` stays the last good one.
        public var lastAttemptedCommit: String?

        public init(
            repoURL: String, branch: String?, path: String, commit: String? = nil, ref: Ref? = nil,
            lastAttemptedCommit: String? = nil
        ) {
            self.repoURL = repoURL
            self.branch = branch
            self.path = path
            self.commit = commit
            self.ref = ref
            self.lastAttemptedCommit = lastAttemptedCommit
        }
    }

    /// `source.ref`: `{"branch": "main"}`, `{"tag": "v1.4.0"}`, `{"semver": ">=1.2.0 <2.0.0", "resolved": "v1.4.2"}`, `{"commit": "..."}`.
    public struct Ref: Sendable, Hashable, Codable {
        public var branch: String?
        public var tag: String?
        public var semver: String?
        public var resolved: String?
        public var commit: String?

        public init(_ ref: Registration.Ref, resolved: String? = nil) {
            switch ref {
            case .branch(let b): branch = b
            case .tag(let t): tag = t
            case .semver(let r):
                semver = r
                self.resolved = resolved
            case .commit(let c): commit = c
            }
        }
    }

    /// `verified`: the signer and key of the deployed commit or tag.
    public struct Verified: Sendable, Hashable, Codable {
        public var signer: String
        public var keyFingerprint: String
        /// `verify.mode: tag`: the id of the tag object that was verified (the one the head
        /// lookup advertised for the tag).
        public var tagObject: String?

        public init(signer: String, keyFingerprint: String, tagObject: String? = nil) {
            self.signer = signer
            self.keyFingerprint = keyFingerprint
            self.tagObject = tagObject
        }
    }

    /// `pinned`: a rollback in force.
    public struct Pinned: Sendable, Hashable, Codable {
        public var commit: String
        public var reason: String?
        public var since: Date
        /// An automatic rollback's pin (health): lifted by the daemon when the source moves.
        public var automatic: Bool?

        public init(commit: String, reason: String?, since: Date, automatic: Bool? = nil) {
            self.commit = commit
            self.reason = reason
            self.since = since
            self.automatic = automatic
        }
    }

    /// `health` (interface section 8): whether what was deployed answers as its checks say.
    public struct Health: Sendable, Hashable, Codable {
        public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
            case progressing, healthy, degraded, unknown
        }

        public struct Check: Sendable, Hashable, Codable {
            public enum Result: String, Sendable, Hashable, Codable { case pass, fail }
            /// The function's path, or `static/FILE`.
            public var name: String
            public var url: String
            public var result: Result
            public var code: Int?
            public var latencyMs: Int?
            public var message: String?

            public init(
                name: String, url: String, result: Result, code: Int? = nil, latencyMs: Int? = nil,
                message: String? = nil
            ) {
                self.name = name
                self.url = url
                self.result = result
                self.code = code
                self.latencyMs = latencyMs
                self.message = message
            }
        }

        public var status: Status
        public var checkedAt: Date?
        /// The commit the checks are about.
        public var commit: String?
        public var checks: [Check]
        /// Why `unknown` (no invoke URL), or what `degraded` led to.
        public var message: String?

        public init(
            status: Status, checkedAt: Date? = nil, commit: String? = nil, checks: [Check] = [], message: String? = nil
        ) {
            self.status = status
            self.checkedAt = checkedAt
            self.commit = commit
            self.checks = checks
            self.message = message
        }
    }

    /// `suspended`: a suspension written by `zerverless-gitops suspend` (state-side, like a
    /// pin: a rewrite of the registration does not undo it).
    public struct Suspended: Sendable, Hashable, Codable {
        public var reason: String?
        public var since: Date

        public init(reason: String?, since: Date) {
            self.reason = reason
            self.since = since
        }
    }

    /// `progress`, while `syncing`: how far the long part of the sync is.
    public struct Progress: Sendable, Hashable, Codable {
        public enum Stage: String, Sendable, Hashable, Codable, CaseIterable {
            case fetch, check, build, deploy, `static`, prune
        }
        public enum Unit: String, Sendable, Hashable, Codable { case objects, files, steps }
        public var stage: Stage
        public var done: Int
        public var total: Int?
        public var unit: Unit
        public var updatedAt: Date

        public init(stage: Stage, done: Int, total: Int?, unit: Unit, updatedAt: Date) {
            self.stage = stage
            self.done = done
            self.total = total
            self.unit = unit
            self.updatedAt = updatedAt
        }
    }

    /// Where a failure happened (`error.stage`).
    public enum Stage: String, Sendable, Hashable, Codable, CaseIterable {
        case registration, fetch, manifest, deploy, `static`, prune, verify
    }

    /// What became of one function (`functions[].state`).
    public enum FunctionState: String, Sendable, Hashable, Codable, CaseIterable {
        case deployed, pending, error, conflict
    }

    public struct Failure: Sendable, Hashable, Codable {
        public var stage: Stage
        public var message: String
        public var file: String?
        public var line: Int?
        public var column: Int?

        public init(stage: Stage, message: String, file: String? = nil, line: Int? = nil, column: Int? = nil) {
            self.stage = stage
            self.message = message
            self.file = file
            self.line = line
            self.column = column
        }
    }

    public struct Function: Sendable, Hashable, Codable {
        public var path: String
        public var runtime: String
        public var url: String
        public var state: FunctionState
        public var message: String?

        public init(path: String, runtime: String, url: String, state: FunctionState, message: String? = nil) {
            self.path = path
            self.runtime = runtime
            self.url = url
            self.state = state
            self.message = message
        }
    }

    public struct Static: Sendable, Hashable, Codable {
        public var dir: String
        public var files: Int
        public var bytes: Int

        public init(dir: String, files: Int, bytes: Int) {
            self.dir = dir
            self.files = files
            self.bytes = bytes
        }
    }

    public var name: String
    public var namespace: String
    public var source: Source
    public var lastSync: Date?
    public var status: Phase
    public var message: String?
    public var lastAttempt: Date?
    public var nextSync: Date?
    public var error: Failure?
    public var functions: [Function]
    public var `static`: Static?
    public var registrationFile: String?
    /// Paths the manifest wants that another application of the namespace owns: not
    /// deployed (the status is `error` while there are any).
    public var conflicts: [Conflict]?
    /// The rollback pin the app is held at, if any.
    public var pinned: Pinned?
    /// Who signed what was deployed, when the registration verifies signatures.
    public var verified: Verified?
    /// The last drift pass: what the target no longer holds as the app deployed it.
    public var drift: Drift?
    /// Scale-out: the index of the shard that wrote it (absent with one shard).
    public var shard: Int?
    /// The state-side suspension in force, if any.
    public var suspended: Suspended?
    /// The registration's `metadata.labels` (absent when it has none).
    public var labels: [String: String]?
    /// Whether the deployed commit works (absent when the manifest declares no checks).
    public var health: Health?
    /// While `syncing`: the stage and how far it is (absent otherwise).
    public var progress: Progress?
    /// An application set's application: the set's name.
    public var generatedBy: String?
    /// A preview (an application set's `pathPrefix`): where it is reached.
    public var preview: Preview?

    /// Where a preview's functions and static index are reached (`--public-url` base, or
    /// paths from the root without one).
    public struct Preview: Sendable, Hashable, Codable {
        public var pathPrefix: String
        /// The static index: `{public}/static/{namespace}{pathPrefix}/index.html`.
        public var url: String
        /// Each function: `{public}/{namespace}{pathPrefix}{path}`.
        public var functions: [String]

        public init(pathPrefix: String, url: String, functions: [String]) {
            self.pathPrefix = pathPrefix
            self.url = url
            self.functions = functions
        }
    }

    /// `drift`: what differed from the inventory at the last pass.
    public struct Drift: Sendable, Hashable, Codable {
        public struct Item: Sendable, Hashable, Codable {
            public enum Kind: String, Sendable, Hashable, Codable { case function, `static` }
            public enum Change: String, Sendable, Hashable, Codable { case modified, missing }
            public var kind: Kind
            public var path: String
            public var change: Change

            public init(kind: Kind, path: String, change: Change) {
                self.kind = kind
                self.path = path
                self.change = change
            }
        }
        public var checkedAt: Date
        public var items: [Item]
        /// Items deployed again by the last pass (selfHeal correct).
        public var corrected: Int
        /// Functions and files of the namespace that no application's inventory owns
        /// (never deleted).
        public var unmanaged: Int

        public init(checkedAt: Date, items: [Item], corrected: Int, unmanaged: Int) {
            self.checkedAt = checkedAt
            self.items = items
            self.corrected = corrected
            self.unmanaged = unmanaged
        }
    }

    /// A function or static file another application owns.
    public struct Conflict: Sendable, Hashable, Codable {
        public enum Kind: String, Sendable, Hashable, Codable { case function, file }
        public var kind: Kind
        public var path: String
        /// The application that owns it.
        public var owner: String

        public init(kind: Kind, path: String, owner: String) {
            self.kind = kind
            self.path = path
            self.owner = owner
        }
    }

    public init(
        name: String, namespace: String, source: Source, status: Phase, message: String? = nil,
        lastSync: Date? = nil, lastAttempt: Date? = nil, nextSync: Date? = nil, error: Failure? = nil,
        functions: [Function] = [], static: Static? = nil, registrationFile: String? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.source = source
        self.status = status
        self.message = message
        self.lastSync = lastSync
        self.lastAttempt = lastAttempt
        self.nextSync = nextSync
        self.error = error
        self.functions = functions
        self.static = `static`
        self.registrationFile = registrationFile
    }
}
