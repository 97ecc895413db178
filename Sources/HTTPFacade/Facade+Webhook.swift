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
        let scan = scanner.scan()
        // The apps dir's registrations (the sets' applications are added once the delivery
        // is verified: they name no webhook secret of their own).
        var registrations = scan.files.compactMap { file -> Registration? in
            if case .success(let r) = file.result { return r }
            return nil
        }
        let sets = scan.sets.compactMap { file -> ApplicationSet? in
            if case .success(let s) = file.result { return s }
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
        if case .operatorSecret = signer {
            registrations += layout.generatedApplications().values.map(\.registration).sorted { $0.name < $1.name }
        }
        if Webhook.isPullRequest(request.headers, provider: provider) {
            // A pull request opened, updated, labelled or closed: the sets listing that
            // project's pull requests list again (the forge at most once per interval).
            let project = Webhook.pullRequestProject(body)
            var listed = 0
            if case .operatorSecret = signer, let project {
                for set in sets
                where set.generators.contains(where: {
                    if case .pullRequests(let p) = $0 { return p.repo.lowercased() == project.lowercased() }
                    return false
                }) {
                    if requestListing(set.name, by: "a \(provider.rawValue) pull request event") { listed += 1 }
                }
            }
            webhookDelivery(provider: provider.rawValue, result: listed == 0 ? "no_match" : "triggered")
            return json(
                .accepted,
                [
                    "provider": provider.rawValue, "triggered": [String](), "count": 0, "sets": listed,
                    "message": "a pull request event: \(listed) application set\(listed == 1 ? "" : "s") list again",
                ])
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
        // The sets whose git generators read the pushed repository list again (a branch
        // made or deleted, a folder added or removed).
        var listed = 0
        if case .operatorSecret = signer {
            for set in sets
            where set.generators.contains(where: { generator in
                switch generator {
                case .gitBranches(let g): return push.keys.contains(g.repoURL.matchKey)
                case .gitDirectories(let g): return push.keys.contains(g.repoURL.matchKey) && push.branch == g.branch
                default: return false
                }
            }) {
                if requestListing(set.name, by: "a \(provider.rawValue) push") { listed += 1 }
            }
        }
        webhookDelivery(
            provider: provider.rawValue, result: triggered.isEmpty && listed == 0 ? "no_match" : "triggered")
        var answer: [String: Any] = ["provider": provider.rawValue, "count": triggered.count, "sets": listed]
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

    /// Writes `requests/SET.list`: the daemon lists the set's generators now.
    func requestListing(_ set: String, by whom: String) -> Bool {
        (try? AtomicFile.write(Array("\(whom)\n".utf8), to: layout.setRequestFile(set), durable: false)) != nil
    }

    func webhookDelivery(provider: String, result: String) {
        Counter(
            label: "zerverless_gitops_webhook_deliveries_total",
            dimensions: [("provider", provider), ("result", result)],
            factory: metricsFactory
        ).increment()
    }
}
