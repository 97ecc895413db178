import Foundation
import Toolkit

extension Facade {
    /// What the list needs of a status document: its namespace, status and labels.
    struct NamespaceOnly: Decodable {
        var namespace: String
        var status: String?
        var labels: [String: String]?

        /// Read without decoding the whole document when it can be (`TopLevelJSON`).
        static func read(_ bytes: [UInt8]) -> NamespaceOnly? {
            if let fields = TopLevelJSON.fields(bytes, strings: ["namespace", "status"], objects: ["labels"]),
                let namespace = fields.strings["namespace"]
            {
                return NamespaceOnly(
                    namespace: namespace, status: fields.strings["status"], labels: fields.objects["labels"])
            }
            return try? JSONDecoder().decode(NamespaceOnly.self, from: Data(bytes))
        }
    }
}
