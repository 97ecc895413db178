import Foundation
import Processes

/// buildah's image index: whether an image exists, without starting the CLI.
extension CommandImageBuilder {
    /// Where buildah keeps its image names, from `buildah info` (which also proves it works),
    /// or nil.
    static func buildahImageIndex(_ path: String, _ globalArguments: [String]) -> String? {
        guard
            let out = try? ChildProcess.runBlocking(
                path, globalArguments + ["info", "--format", "{{.store.GraphRoot}}\t{{.store.GraphDriverName}}"],
                timeout: .seconds(20), outputLimit: 64 << 10, separateErrors: true),
            out.status == 0, !out.timedOut
        else { return nil }
        let fields = String(decoding: out.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: "\t").map(String.init)
        guard fields.count == 2, fields[0].hasPrefix("/"), !fields[1].isEmpty, !fields[1].contains("/") else {
            return nil
        }
        return fields[0] + "/" + fields[1] + "-images/images.json"
    }

    /// Whether buildah's image index names `image` (buildah stores a name without a
    /// registry as `localhost/NAME`). Only a yes is trusted: anything else asks the CLI.
    static func listed(_ image: String, in index: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: index),
            let images = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else { return false }
        let local = "localhost/" + image
        return images.contains { entry in
            (entry["names"] as? [String])?.contains { $0 == image || $0 == local } ?? false
        }
    }
}
