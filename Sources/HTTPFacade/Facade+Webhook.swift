import Foundation
import Hummingbird
import Manifest
import NIOCore
import State
import CoreMetrics

extension Facade {
    // MARK: Webhook

    func webhook(_ request: Request) async -> Response {
        guard let file = webhookSecretFile else { return error(.notFound, "the webhook is off (no --webhook-secret-file)") }
        guard let secretData = FileManager.default.contents(atPath: file) else {
            return error(.internalServerError, "cannot read the webhook secret file")
        }
        let secret = Array(String(decoding: secretData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        let body: [UInt8]
        do {
            body = Array(buffer: try await request.body.collect(upTo: Webhook.bodyLimit))
        } catch {
            return self.error(.contentTooLarge, "the payload is over 1 MiB")
        }
        guard !secret.isEmpty, let provider = Webhook.verify(request.headers, body: body, secret: secret) else {
            webhookDelivery(provider: "unknown", result: "unauthorized")
            return self.error(.unauthorized, "missing or invalid signature (X-Hub-Signature-256, X-Gitea-Signature, X-Gitlab-Token, X-Hub-Signature with X-Event-Key, or X-Zerverless-Signature)")
        }
        guard Webhook.isPush(request.headers, provider: provider) else {
            webhookDelivery(provider: provider.rawValue, result: "ignored")
            return json(.ok, ["provider": provider.rawValue, "triggered": [String](), "message": "not a push event; ignored"])
        }
        guard let push = Webhook.delivery(body) else {
            webhookDelivery(provider: provider.rawValue, result: "bad_payload")
            return self.error(.badRequest, "no repository URL in the payload")
        }
        guard push.branch != nil || push.tag != nil else {
            webhookDelivery(provider: provider.rawValue, result: "ignored")
            return json(.accepted, ["provider": provider.rawValue, "triggered": [String](), "message": "no branch or tag in the push; ignored"])
        }
        // A branch push triggers the apps that follow that branch; a tag push, the apps that
        // follow that tag or a semver range (the daemon decides whether the range moved).
        func follows(_ ref: Registration.Ref) -> Bool {
            switch ref {
            case .branch(let b): return b == push.branch
            case .tag(let t): return t == push.tag
            case .semver: return push.tag != nil
            case .commit: return false
            }
        }
        var triggered: [String] = []
        let requests = SyncRequests(layout: layout)
        for file in scanner.scan().files {
            guard case .success(let r) = file.result, follows(r.source.ref),
                  push.keys.contains(r.source.repoURL.matchKey), !triggered.contains(r.name) else { continue }
            if (try? requests.write(r.name, by: "a \(provider.rawValue) push", webhook: true)) != nil {
                triggered.append(r.name)
            }
        }
        webhookDelivery(provider: provider.rawValue, result: triggered.isEmpty ? "no_match" : "triggered")
        var answer: [String: Any] = ["provider": provider.rawValue, "triggered": triggered.sorted()]
        if let branch = push.branch { answer["branch"] = branch }
        if let tag = push.tag { answer["tag"] = tag }
        return json(.accepted, answer)
    }

    func webhookDelivery(provider: String, result: String) {
        Counter(label: "zerverless_gitops_webhook_deliveries_total", dimensions: [("provider", provider), ("result", result)],
                factory: metricsFactory).increment()
    }
}
