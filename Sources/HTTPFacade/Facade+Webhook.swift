import CoreMetrics
import Foundation
import Hummingbird
import Manifest
import NIOCore
import State
import Toolkit

extension Facade {
    // MARK: Webhook

    /// Who signed a delivery: the operator (`--webhook-secret-file`), or the applications
    /// whose own `webhookSecretFile` verified it.
    enum Signer {
        case operatorSecret
        case applications(Set<String>)
    }

    /// `POST /api/gitops/webhook`. A delivery signed with the operator's secret triggers
    /// every application that follows the pushed repository and ref, and is answered with a
    /// count only (the secret is handed to forges, and so to tenants: it must not tell
    /// them the names of other tenants' applications). A delivery signed with an
    /// application's own secret triggers only the applications whose own secret verified it
    /// (of the pushed repository and ref), and names them.
    func webhook(_ request: Request) async -> Response {
        var operatorSecret: [UInt8]?
        if let file = webhookSecretFile {
            guard let secretData = FileManager.default.contents(atPath: file) else {
                return error(.internalServerError, "cannot read the webhook secret file")
            }
            operatorSecret = Array(
                String(decoding: secretData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        }
        // The valid registrations that name a secret of their own.
        let registrations = scanner.scan().files.compactMap { file -> Registration? in
            if case .success(let r) = file.result { return r }
            return nil
        }
        let ownSecrets = registrations.filter { $0.source.webhookSecretFile != nil }
        if operatorSecret == nil && ownSecrets.isEmpty {
            return error(
                .notFound,
                "the webhook is off: no --webhook-secret-file, and no application names spec.source.webhookSecretFile")
        }
        let body: [UInt8]
        do {
            body = Array(buffer: try await request.body.collect(upTo: Webhook.bodyLimit))
        } catch {
            return self.error(.contentTooLarge, "the payload is over 1 MiB")
        }
        // Not yet trusted: only used to choose which applications' secrets to try.
        let push = Webhook.delivery(body)
        var signer: Signer?
        var provider: Webhook.Provider?
        if let operatorSecret, !operatorSecret.isEmpty,
            let p = Webhook.verify(request.headers, body: body, secret: operatorSecret)
        {
            signer = .operatorSecret
            provider = p
        } else if let push {
            // Each distinct secret of the applications of the pushed repository is tried once
            // (each read under the secrets rule: from SECRETS_DIR/NAMESPACE/ only).
            var bySecret: [[UInt8]: Set<String>] = [:]
            for r in ownSecrets where push.keys.contains(r.source.repoURL.matchKey) {
                guard
                    let bytes = try? secrets.read(
                        r.source.webhookSecretFile!, namespace: r.namespace, field: "spec.source.webhookSecretFile")
                else {
                    continue
                }
                let secret = Array(
                    String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
                guard !secret.isEmpty else { continue }  // an empty key would sign for anyone
                bySecret[secret, default: []].insert(r.name)
            }
            var verified = Set<String>()
            for (secret, names) in bySecret {
                if let p = Webhook.verify(request.headers, body: body, secret: secret) {
                    provider = p
                    verified.formUnion(names)
                }
            }
            if !verified.isEmpty { signer = .applications(verified) }
        }
        guard let signer, let provider else {
            webhookDelivery(provider: "unknown", result: "unauthorized")
            return self.error(
                .unauthorized,
                "missing or invalid signature (X-Hub-Signature-256, X-Gitea-Signature, X-Gitlab-Token, X-Hub-Signature with X-Event-Key, or X-Zerverless-Signature), with --webhook-secret-file's secret or the application's own spec.source.webhookSecretFile"
            )
        }
        guard Webhook.isPush(request.headers, provider: provider) else {
            webhookDelivery(provider: provider.rawValue, result: "ignored")
            return json(
                .ok,
                [
                    "provider": provider.rawValue, "triggered": [String](), "count": 0,
                    "message": "not a push event; ignored",
                ])
        }
        guard let push else {
            webhookDelivery(provider: provider.rawValue, result: "bad_payload")
            return self.error(.badRequest, "no repository URL in the payload")
        }
        guard push.branch != nil || push.tag != nil else {
            webhookDelivery(provider: provider.rawValue, result: "ignored")
            return json(
                .accepted,
                [
                    "provider": provider.rawValue, "triggered": [String](), "count": 0,
                    "message": "no branch or tag in the push; ignored",
                ])
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
        for r in registrations {
            guard follows(r.source.ref), push.keys.contains(r.source.repoURL.matchKey), !triggered.contains(r.name)
            else { continue }
            if case .applications(let names) = signer, !names.contains(r.name) { continue }
            if (try? requests.write(r.name, by: "a \(provider.rawValue) push", webhook: true)) != nil {
                triggered.append(r.name)
            }
        }
        webhookDelivery(provider: provider.rawValue, result: triggered.isEmpty ? "no_match" : "triggered")
        var answer: [String: Any] = ["provider": provider.rawValue, "count": triggered.count]
        switch signer {
        case .applications:
            answer["triggered"] = triggered.sorted()
        case .operatorSecret:
            // The operator's secret is handed to every forge, so to tenants: no names.
            answer["triggered"] = [String]()
            answer["message"] =
                "\(triggered.count) application\(triggered.count == 1 ? "" : "s") triggered; names are given only for deliveries signed with an application's own webhook secret (spec.source.webhookSecretFile)"
        }
        if let branch = push.branch { answer["branch"] = branch }
        if let tag = push.tag { answer["tag"] = tag }
        return json(.accepted, answer)
    }

    func webhookDelivery(provider: String, result: String) {
        Counter(
            label: "zerverless_gitops_webhook_deliveries_total",
            dimensions: [("provider", provider), ("result", result)],
            factory: metricsFactory
        ).increment()
    }
}
