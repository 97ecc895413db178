import Foundation
import Hummingbird
import Manifest
import NIOCore
import State
import Toolkit

extension Facade {
    func ready() -> Response {
        var problems: [String] = []
        if let readiness, !readiness.firstScanDone { problems.append("the first read of the apps dir is not done") }
        if let problem = readiness?.problem { problems.append(problem) }
        if let problem = readiness?.writeProblem { problems.append(problem) }
        if let dir = opendir(appsDir) {
            closedir(dir)
        } else {
            problems.append("the apps dir \(appsDir) cannot be read")
        }
        if access(layout.root, W_OK) != 0 { problems.append("the state dir \(layout.root) is not writable") }
        if let problem = tokens?.problem {
            problems.append("the API tokens file cannot be used, so every API call is refused: \(problem)")
        }
        return problems.isEmpty
            ? json(.ok, ["status": "ready"]) : json(.serviceUnavailable, ["status": "not ready", "problems": problems])
    }

    /// The process's counters, and what the status files say: applications by status and
    /// the time of each one's last successful sync.
    func metricsText() -> String {
        var out = processMetrics()
        if let tokens {
            out +=
                "# HELP zerverless_gitops_api_tokens_file_valid 1 when --api-tokens-file can be used; 0: it cannot, and every API call is refused.\n"
            out +=
                "# TYPE zerverless_gitops_api_tokens_file_valid gauge\nzerverless_gitops_api_tokens_file_valid \(tokens.problem == nil ? 1 : 0)\n"
        }
        var byStatus: [String: Int] = Dictionary(
            uniqueKeysWithValues: StatusDocument.Phase.allCases.map { ($0.rawValue, 0) })
        var info = ""
        var lastSync = ""
        var conflicts = ""
        var health = ""
        var pinned = 0
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        for doc in documents() {
            guard let status = try? decoder.decode(StatusDocument.self, from: Data(doc.bytes)) else { continue }
            byStatus[status.status.rawValue, default: 0] += 1
            if status.pinned != nil { pinned += 1 }
            let labels = "app=\"\(Self.label(status.name))\",namespace=\"\(Self.label(status.namespace))\""
            // One series per application, as Argo CD's argocd_app_info: its state in labels.
            info +=
                "zerverless_gitops_app_info{\(labels),status=\"\(status.status.rawValue)\",commit=\"\(status.source.commit ?? "")\"} 1\n"
            conflicts += "zerverless_gitops_app_conflicts{\(labels)} \(status.conflicts?.count ?? 0)\n"
            if let current = status.health?.status {
                // The contract's labels (name, not app): a series per value, 1 for the current one.
                let named = "name=\"\(Self.label(status.name))\",namespace=\"\(Self.label(status.namespace))\""
                for value in StatusDocument.Health.Status.allCases {
                    health +=
                        "zerverless_gitops_app_health{\(named),health=\"\(value.rawValue)\"} \(value == current ? 1 : 0)\n"
                }
            }
            if let at = status.lastSync {
                lastSync +=
                    "zerverless_gitops_last_successful_sync_timestamp_seconds{\(labels)} \(Int(at.timeIntervalSince1970))\n"
            }
        }
        out +=
            "# HELP zerverless_gitops_applications Applications by status (from the status files).\n# TYPE zerverless_gitops_applications gauge\n"
        for (status, count) in byStatus.sorted(by: { $0.key < $1.key }) {
            out += "zerverless_gitops_applications{status=\"\(status)\"} \(count)\n"
        }
        out += "# HELP zerverless_gitops_applications_pinned Applications held at a commit by a rollback pin.\n"
        out += "# TYPE zerverless_gitops_applications_pinned gauge\nzerverless_gitops_applications_pinned \(pinned)\n"
        out +=
            "# HELP zerverless_gitops_app_info Each application, with its status and the commit of its last successful sync.\n"
        out += "# TYPE zerverless_gitops_app_info gauge\n" + info
        out +=
            "# HELP zerverless_gitops_app_health Each checked application's health: 1 for its current value (progressing, healthy, degraded, unknown), 0 for the others.\n"
        out += "# TYPE zerverless_gitops_app_health gauge\n" + health
        out +=
            "# HELP zerverless_gitops_app_conflicts Paths each application's manifest wants that another application owns.\n"
        out += "# TYPE zerverless_gitops_app_conflicts gauge\n" + conflicts
        out +=
            "# HELP zerverless_gitops_last_successful_sync_timestamp_seconds Time of each application's last successful sync.\n"
        out += "# TYPE zerverless_gitops_last_successful_sync_timestamp_seconds gauge\n" + lastSync
        return out
    }

    /// A Prometheus label value: `\`, `"` and newlines escaped.
    static func label(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
