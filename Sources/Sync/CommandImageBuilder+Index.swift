import Foundation
import Processes
import Synchronization
import Toolkit

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
    /// The names are parsed once per version of the file (its inode, size and write time);
    /// an index over 16 MiB is not read (tenants' builds make it grow).
    static func listed(_ image: String, in index: String) -> Bool {
        let stamp = FileStamp.of(index)
        guard stamp.count == 4, stamp[1] <= 16 << 20 else { return false }
        let names: Set<String>
        if let known = indexNames.withLock({ $0.path == index && $0.stamp == stamp ? $0.names : nil }) {
            names = known
        } else {
            guard let data = FileManager.default.contents(atPath: index),
                let images = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
            else { return false }
            names = Set(images.flatMap { $0["names"] as? [String] ?? [] })
            // Kept only when the file did not change while it was read.
            if FileStamp.of(index) == stamp { indexNames.withLock { $0 = (index, stamp, names) } }
        }
        return names.contains(image) || names.contains("localhost/" + image)
    }
}

/// The last image index read: its path, stamp and names.
private let indexNames = Mutex<(path: String, stamp: [Int], names: Set<String>)>(("", [], []))
