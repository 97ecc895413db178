import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// The packaged service (ProtectSystem=strict) and Kubernetes (ConfigMap and Secret
/// volumes) give the daemon a read-only apps dir and secrets dir: it keeps syncing what is
/// there, the REST API still reads, and its writes answer 405 saying why and what to do.
/// The folders are made read-only for real: bind mounts remounted read-only in a mount
/// namespace of the daemon's own (`unshare -m`).
@Suite(.serialized) struct ReadOnlyConfigTests {
    @Test func writesToReadOnlyFoldersAnswer405AndSyncsGoOn() async throws {
        let w = try World("read-only")
        let secrets = w.dir.file("secrets")
        try FileManager.default.createDirectory(atPath: secrets + "/demo", withIntermediateDirectories: true)
        let repo = try GitRepo(
            root: w.reposDir, name: "site",
            files: [
                "zerverless.yaml":
                    "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: site, namespace: demo}\nspec:\n  static: {dir: static}\n",
                "static/index.html": "home\n",
            ])
        try w.write("site.yaml", registration("site", namespace: "demo", url: w.url("site", port: try w.serve())))
        let script =
            "for d in \"$ZG_RO_APPS\" \"$ZG_RO_SECRETS\"; do mount --bind \"$d\" \"$d\" && mount -o remount,ro,bind \"$d\" \"$d\" || exit 97; done; exec \"$@\""
        let d = try w.daemon(
            ["--listen", "127.0.0.1:0", "--secrets-dir", secrets],
            environment: ["ZG_RO_APPS": w.appsDir, "ZG_RO_SECRETS": secrets],
            launcher: ["/usr/bin/unshare", "-m", "/bin/sh", "-c", script, "sh"])
        try d.waitFor("site", "synced", commit: try repo.head(), timeout: .seconds(60))
        let base = "http://127.0.0.1:\(try listeningPort(d))/api/gitops"

        let body = #"{"name": "blog", "namespace": "demo", "source": {"repoURL": "https://git.example.com/blog.git"}}"#
        let (post, postBody) = try await call(.POST, base + "/applications", body)
        #expect(post == 405)
        let message = postBody["error"] as? String ?? ""
        #expect(
            message.contains("the apps dir is read-only here") && message.contains("read-only file system")
                && message.contains("ReadWritePaths"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: w.app("blog.yaml")))

        let (put, _) = try await call(
            .PUT, base + "/applications/site", body.replacingOccurrences(of: "blog", with: "site"))
        #expect(put == 405)
        let (delete, _) = try await call(.DELETE, base + "/applications/site")
        #expect(delete == 405)
        #expect(FileManager.default.fileExists(atPath: w.app("site.yaml")))

        // Reading goes on; so does syncing.
        let (get, status) = try await call(.GET, base + "/applications/site")
        #expect(get == 200)
        #expect(status["status"] as? String == "synced")
        let (sync, _) = try await call(.POST, base + "/applications/site/sync")
        #expect(sync == 202)

        let (secret, secretBody) = try await call(.PUT, base + "/secrets/demo/git-token", "t0ken")
        #expect(secret == 405)
        #expect((secretBody["error"] as? String)?.contains("the secrets dir is read-only here") == true)
        #expect(!FileManager.default.fileExists(atPath: secrets + "/demo/git-token"))
        #expect(d.exited() == nil)
    }
}
