import Foundation
import Hummingbird
import Manifest
import NIOCore
import State
import Toolkit

extension Facade {
    /// A file under `auth` that leads outside the namespace's secrets folder, by its text.
    func secretProblem(_ registration: Registration) -> String? {
        let dir = secrets.namespaceDir(registration.namespace)
        for (field, name) in registration.secretFiles {
            guard name.hasPrefix("/") else { continue }
            if !SecretsDir.isInside(name, dir) {
                return
                    "\(field): \"\(name)\" is outside \(dir)/; upload the file with PUT /api/gitops/secrets/\(registration.namespace)/FILE and name it relative to that folder"
            }
        }
        return nil
    }

    // MARK: Secrets (write-only)

    func namespaceProblem(_ namespace: String, grant: APITokens.Grant) -> Response? {
        if Rules.dnsLabelProblem(namespace) != nil {
            return error(.badRequest, "\"\(namespace)\" is not a namespace (a DNS label)")
        }
        if !grant.allows(namespace) {
            return error(.forbidden, "this token may not see or change the secrets of namespace \"\(namespace)\"")
        }
        return nil
    }

    func listSecrets(_ namespace: String, grant: APITokens.Grant) -> Response {
        if let refused = namespaceProblem(namespace, grant: grant) { return refused }
        let formatter = ISO8601DateFormatter()
        let entries = secrets.list(namespace: namespace).map { e -> [String: Any] in
            ["name": e.name, "size": e.size, "modified": formatter.string(from: e.modified)]
        }
        return json(.ok, ["namespace": namespace, "secrets": entries])
    }

    func putSecret(_ request: Request, namespace: String, file: String, grant: APITokens.Grant) async -> Response {
        if let refused = namespaceProblem(namespace, grant: grant) { return refused }
        if let refused = readOnlySecretsDir() { return refused }
        if let problem = SecretsDir.uploadNameProblem(file) { return error(.badRequest, problem) }
        // Raw bytes only: a cross-site form cannot send this type without a preflight.
        if let refused = unsupportedMediaType(request, MediaType.octetStream, what: "a secret file's bytes") {
            return refused
        }
        if let refused = secretsLimit(namespace, file) { return refused }  // early, before the body is read
        let bytes: [UInt8]
        do {
            bytes = Array(buffer: try await request.body.collect(upTo: SecretsDir.maxSize))
        } catch {
            return self.error(.contentTooLarge, "a secret file is at most \(SecretsDir.maxSize / 1024) KiB")
        }
        // Counting and creating are one step for every upload of the namespace, in every
        // process sharing the secrets dir (shards): a lock file in the namespace's folder
        // (a dot name: never listed, never an upload's name).
        let lock: FileLock
        do {
            lock = try await FileLock.acquire(
                path: secrets.namespaceDir(namespace) + "/" + Self.secretsLockName, timeout: .seconds(30))
        } catch {
            return self.error(
                .serviceUnavailable, "the secrets of namespace \"\(namespace)\" are busy (\(error)); try again")
        }
        defer { lock.unlock() }
        if let refused = secretsLimit(namespace, file) { return refused }
        do {
            let replaced = try secrets.write(bytes, name: file, namespace: namespace)
            return json(.created, ["namespace": namespace, "name": file, "size": bytes.count, "replaced": replaced])
        } catch {
            return self.error(.internalServerError, "cannot store the secret: \(error)")
        }
    }

    static let secretsLockName = ".uploads.lock"

    /// 403 when a new file would pass the namespace's limit (replacing one is fine).
    func secretsLimit(_ namespace: String, _ file: String) -> Response? {
        let held = secrets.list(namespace: namespace)
        guard held.count >= SecretsDir.maxFiles, !held.contains(where: { $0.name == file }) else { return nil }
        return error(
            .forbidden,
            "namespace \"\(namespace)\" has \(held.count) secret files, the most allowed (\(SecretsDir.maxFiles)); delete one first"
        )
    }

    func deleteSecret(namespace: String, file: String, grant: APITokens.Grant) -> Response {
        if let refused = namespaceProblem(namespace, grant: grant) { return refused }
        if let refused = readOnlySecretsDir() { return refused }
        if let problem = SecretsDir.uploadNameProblem(file) { return error(.badRequest, problem) }
        do {
            guard try secrets.delete(name: file, namespace: namespace) else {
                return error(.notFound, "namespace \"\(namespace)\" has no secret named \"\(file)\"")
            }
            return Response(status: .noContent)
        } catch {
            return self.error(.internalServerError, "cannot remove the secret: \(error)")
        }
    }

    /// 405 when the daemon may not write the secrets dir (a Kubernetes Secret volume, the
    /// packaged service): the operator places the files.
    func readOnlySecretsDir() -> Response? {
        guard let problem = WritableFolder.problem(secrets.root) else { return nil }
        var response = error(
            .methodNotAllowed,
            "the secrets dir is read-only here: \(problem); the operator places secret files in it (SECRETS_DIR/NAMESPACE/FILE), and the REST API cannot upload them."
        )
        response.headers[.allow] = "GET, HEAD"
        return response
    }
}
