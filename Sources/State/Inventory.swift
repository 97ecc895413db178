import Foundation
import Toolkit

/// What an application has deployed: the only things it may ever delete. A record whose
/// fingerprint (or id) is nil was written before a target call that has not been
/// confirmed: its state on the target is unknown, so the next sync redoes it.
public struct Inventory: Sendable, Hashable, Codable {
    public struct Function: Sendable, Hashable, Codable {
        public var runtime: String
        public var codeID: String?
        public var image: String?
        public var port: Int?
        /// nil: a deploy was attempted and not confirmed.
        public var fingerprint: String?
        public var commit: String?

        public init(runtime: String, codeID: String?, image: String?, port: Int?, fingerprint: String?, commit: String?)
        {
            self.runtime = runtime
            self.codeID = codeID
            self.image = image
            self.port = port
            self.fingerprint = fingerprint
            self.commit = commit
        }
    }

    public struct File: Sendable, Hashable, Codable {
        /// nil: an upload was attempted and not confirmed.
        public var id: String?
        public var size: Int

        public init(id: String?, size: Int) {
            self.id = id
            self.size = size
        }
    }

    public var namespace: String
    public var functions: [String: Function] = [:]
    public var files: [String: File] = [:]
    /// Set after a clean, complete sync; see `Synced`.
    public var synced: Synced?

    public init(namespace: String) {
        self.namespace = namespace
    }

    public var isEmpty: Bool { functions.isEmpty && files.isEmpty }

    /// Every record confirmed by the target.
    public var isConfirmed: Bool {
        functions.values.allSatisfy { $0.fingerprint != nil } && files.values.allSatisfy { $0.id != nil }
    }

    public static func read(_ path: String) throws -> Inventory? { try InventoryCodec.read(path) }
    public func write(to path: String) throws { try InventoryCodec.write(self, to: path) }
}
