import Foundation
import TestSupport
import Testing

/// The ways operators install it, tried with their real clients: `make install` into a
/// scratch root, the Debian package through apt and dpkg (on this machine, purged after),
/// the unit through `systemd-analyze verify`, the Ansible role through `ansible-playbook`,
/// the image through buildah, the Kubernetes manifests through their schemas.
///
/// `make test` builds the artifacts first (`make packages BUILD=debug STATIC=`: the tests'
/// debug binary, packaged by the same Makefile targets as the release one).
@Suite(.serialized) struct PackagingTests {
    static let root = Build.packageRoot
    static var version: String {
        let text =
            (try? String(contentsOfFile: root + "/Sources/zerverless-gitops/ZerverlessGitops.swift", encoding: .utf8))
            ?? ""
        return text.split(separator: "\n").first { $0.contains("version: \"") }.map {
            String($0.split(separator: "\"")[1])
        } ?? "?"
    }
    static var deb: String? {
        let dir = root + "/.build"
        let name = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.first {
            $0.hasPrefix("zerverless-gitops_\(version)_") && $0.hasSuffix(".deb")
        }
        return name.map { dir + "/" + $0 }
    }

    static func artifacts(_ needs: String...) -> Bool {
        for need in needs {
            let present =
                switch need {
                case "dist": FileManager.default.isExecutableFile(atPath: root + "/.build/dist/zerverless-gitops")
                case "deb": deb != nil
                default: FileManager.default.isExecutableFile(atPath: need)
                }
            if !present {
                Issue.record(
                    "\(need) is missing: run `make packages BUILD=debug STATIC=` first (make test does), and make deps-test"
                )
                return false
            }
        }
        if getuid() != 0 {
            Issue.record("installing packages needs root (CI runs as root)")
            return false
        }
        return true
    }

    static func make(_ args: [String]) throws -> ProcessOutput {
        try run("/usr/bin/make", ["-C", root, "--no-print-directory"] + args)
    }

    /// Installs the package (apt resolves its Depends) and purges it when `body` is done.
    static func withPackage<T>(_ body: () throws -> T) throws -> T {
        let install = try run(
            "/usr/bin/apt-get", ["install", "-y", "-qq", "--no-install-recommends", deb!],
            environment: ProcessInfo.processInfo.environment.merging(["DEBIAN_FRONTEND": "noninteractive"]) { $1 })
        try #require(install.status == 0, "\(install.stdout)\(install.stderr)")
        defer { _ = try? run("/usr/bin/dpkg", ["--purge", "zerverless-gitops"]) }
        return try body()
    }

    /// A repository served by git daemon, and a registration of it.
    static func servedApp(_ dir: TempDir, _ name: String, namespace: String) throws -> (GitRepo, ServerProcess, String)
    {
        let repos = dir.file("repos")
        try FileManager.default.createDirectory(atPath: repos, withIntermediateDirectories: true)
        let repo = try GitRepo(
            root: repos, name: name,
            files: [
                "zerverless.yaml":
                    "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: \(name), namespace: \(namespace)}\nspec:\n  static: {dir: static}\n",
                "static/index.html": "\(name)\n",
            ])
        let server = try startGitDaemon(base: repos, dir: dir.path)
        return (repo, server, "git://127.0.0.1:\(server.port)/\(name).git")
    }

    static func waitForStatus(_ stateDir: String, _ name: String, _ phase: String) throws {
        try waitUntil(timeout: .seconds(60), "\(name) to be \(phase)") {
            guard let data = FileManager.default.contents(atPath: "\(stateDir)/apps/\(name)/status.json"),
                let doc = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return false }
            return doc["status"] as? String == phase
        }
    }

    @Test func makeInstallPutsEveryPieceInPlace() throws {
        guard Self.artifacts("dist") else { return }
        let dest = try TempDir("zg-install")
        let out = try Self.make(["install", "NO_BUILD=1", "DESTDIR=\(dest.path)", "PREFIX=/usr/local"])
        try #require(out.status == 0, "\(out.stdout)\(out.stderr)")
        let d = dest.path
        for file in [
            "/usr/local/bin/zerverless-gitops", "/usr/local/lib/systemd/system/zerverless-gitops.service",
            "/usr/local/share/man/man1/zerverless-gitops.1", "/usr/local/share/man/man1/zerverless-gitops-run.1",
            "/usr/local/share/man/man1/zerverless-gitops-validate.1",
            "/usr/local/share/bash-completion/completions/zerverless-gitops",
            "/usr/local/share/zsh/vendor-completions/_zerverless-gitops",
            "/usr/local/share/fish/vendor_completions.d/zerverless-gitops.fish",
            "/usr/local/share/zerverless-gitops/status.schema.json", "/etc/default/zerverless-gitops",
        ] {
            #expect(FileManager.default.fileExists(atPath: d + file), "\(file)")
        }
        let unit = try String(
            contentsOfFile: d + "/usr/local/lib/systemd/system/zerverless-gitops.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/zerverless-gitops run"))
        let man = try String(contentsOfFile: d + "/usr/local/share/man/man1/zerverless-gitops-run.1", encoding: .utf8)
        #expect(man.contains("Fl -image-registry") && man.contains("Fl -apps-dir"), "\(man.prefix(600))")
        #expect(
            try String(
                contentsOfFile: d + "/usr/local/share/bash-completion/completions/zerverless-gitops", encoding: .utf8
            ).contains("validate"))
        var st = stat()
        #expect(stat(d + "/etc/zerverless/secrets", &st) == 0 && st.st_mode & 0o777 == 0o700)
        #expect(stat(d + "/etc/zerverless/apps.d", &st) == 0 && st.st_mode & S_IFMT == S_IFDIR)
        let version = try run(d + "/usr/local/bin/zerverless-gitops", ["--version"])
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == Self.version)
    }

    @Test func theDebianPackageGivesAServiceSystemdAccepts() throws {
        guard Self.artifacts("deb", "/usr/bin/systemd-analyze") else { return }
        let fields = try run("/usr/bin/dpkg-deb", ["--field", Self.deb!, "Depends"])
        for dependency in ["libgit2-1.5", "libyaml-0-2", "libinotifytools0", "git"] {
            #expect(fields.stdout.contains(dependency), "\(fields.stdout)")
        }
        try Self.withPackage {
            #expect(try run("/usr/bin/getent", ["passwd", "zerverless-gitops"]).status == 0)
            var st = stat()
            #expect(stat("/etc/zerverless/secrets", &st) == 0 && st.st_mode & 0o777 == 0o700)
            // The apps dir: root's, writable by the service's group (what the REST API needs
            // once a ReadWritePaths= drop-in lets it), tried as the service's user.
            let group = try run("/usr/bin/getent", ["group", "zerverless-gitops"]).stdout.split(separator: ":")
            #expect(stat("/etc/zerverless/apps.d", &st) == 0 && st.st_mode & 0o7777 == 0o2775 && st.st_uid == 0)
            #expect(group.count > 2 && st.st_gid == gid_t(group[2]) ?? 0, "\(group)")
            let probe = "/etc/zerverless/apps.d/probe.yaml"
            let write = try run(
                "/usr/bin/setpriv",
                ["--reuid=zerverless-gitops", "--regid=zerverless-gitops", "--init-groups", "/usr/bin/touch", probe])
            #expect(write.status == 0, "the service user cannot write the apps dir: \(write.stderr)")
            unlink(probe)
            let verify = try run(
                "/usr/bin/systemd-analyze", ["verify", "/lib/systemd/system/zerverless-gitops.service"])
            #expect(
                verify.status == 0 && verify.stderr.isEmpty && verify.stdout.isEmpty, "\(verify.stdout)\(verify.stderr)"
            )
            let validate = try run(
                "/usr/bin/zerverless-gitops", ["validate", "/usr/share/zerverless-gitops/hello-app.yaml.sample"])
            #expect(validate.status == 0, "\(validate.stderr)")

            // A short run from the installed paths, as the service's user.
            let dir = try TempDir("zg-deb-run")
            let (repo, server, url) = try Self.servedApp(dir, "site", namespace: "web")
            let apps = dir.file("apps.d")
            let state = dir.file("state")
            try FileManager.default.createDirectory(atPath: apps, withIntermediateDirectories: true)
            try
                "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: site, namespace: web}\nspec:\n  source: {repoURL: \"\(url)\"}\n"
                .write(toFile: apps + "/site.yaml", atomically: true, encoding: .utf8)
            _ = try run("/bin/chmod", ["0755", dir.path])
            try FileManager.default.createDirectory(
                atPath: state, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            #expect(try run("/bin/chown", ["zerverless-gitops:", state]).status == 0)
            // setpriv execs the daemon in its own process (runuser would fork, and a kill of
            // runuser would leave the daemon running).
            let pid = try spawn(
                "/usr/bin/setpriv",
                [
                    "--reuid=zerverless-gitops", "--regid=zerverless-gitops", "--init-groups",
                    "/usr/bin/zerverless-gitops", "run", "--apps-dir", apps, "--state-dir", state, "--listen", "none",
                ],
                environment: ProcessInfo.processInfo.environment, log: dir.file("daemon.log"), append: false,
                name: "installed daemon")
            // Reaped as soon as it ends (the purge must see it gone, not a zombie of ours).
            let reaped = Reaper(pid)
            defer { kill(pid, SIGKILL) }
            try Self.waitForStatus(state, "site", "synced")
            // It runs as the service's user, and stops on SIGTERM with 0.
            #expect(
                try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8).contains(
                    "Uid:\t\(try run("/usr/bin/id", ["-u", "zerverless-gitops"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines))\t"
                ))
            #expect(
                FileManager.default.contents(atPath: state + "/published/static/web/index.html") == Data("site\n".utf8))
            var st2 = stat()
            #expect(stat(state + "/apps", &st2) == 0 && st2.st_uid != 0)

            // The commands, run by root on the host, read /etc/default/zerverless-gitops (no
            // flags needed) and leave what they write to the service's user.
            let defaults = try String(contentsOfFile: "/etc/default/zerverless-gitops", encoding: .utf8)
            try (defaults + "ZG_STATE_DIR=\(state)\nZG_APPS_DIR=\"\(apps)\"\n").write(
                toFile: "/etc/default/zerverless-gitops", atomically: true, encoding: .utf8)
            var environment = ProcessInfo.processInfo.environment
            for key in ["ZG_STATE_DIR", "ZG_APPS_DIR", "ZG_DEFAULTS_FILE"] { environment[key] = nil }
            let status = try run("/usr/bin/zerverless-gitops", ["status"], environment: environment)
            #expect(status.status == 0 && status.stdout.contains("site "), "\(status.stdout)\(status.stderr)")
            let suspend = try run(
                "/usr/bin/zerverless-gitops", ["suspend", "site", "--reason", "by root"], environment: environment)
            #expect(suspend.status == 0, "\(suspend.stdout)\(suspend.stderr)")
            #expect(stat(state + "/apps/site/suspend.json", &st2) == 0 && st2.st_uid != 0, "suspend.json is root's")
            try Self.waitForStatus(state, "site", "suspended")
            #expect(
                try run("/usr/bin/zerverless-gitops", ["resume", "site"], environment: environment).status == 0)
            try Self.waitForStatus(state, "site", "synced")
            for file in ["apps/site/status.json", "apps/site/history.json"] {
                #expect(stat(state + "/" + file, &st2) == 0 && st2.st_uid != 0, "\(file) belongs to root")
            }

            // No systemd here: a purge stops the service user's daemon (it was started by
            // hand) and removes the user, saying so, instead of leaving both.
            let purge = try run("/usr/bin/dpkg", ["--purge", "zerverless-gitops"])
            #expect(purge.status == 0, "\(purge.stdout)\(purge.stderr)")
            #expect(purge.stderr.contains("stopping the processes of the zerverless-gitops user"), "\(purge.stderr)")
            try waitUntil(timeout: .seconds(30), "the daemon stopped by the purge") { reaped.done }
            #expect(try run("/usr/bin/getent", ["passwd", "zerverless-gitops"]).status != 0)
            _ = (repo, server)
        }
        #expect(try run("/usr/bin/dpkg-query", ["-W", "zerverless-gitops"]).status != 0)
    }

    @Test func theAnsibleRoleConvergesAndTheDaemonPicksTheAppsUp() throws {
        guard Self.artifacts("deb", "/usr/bin/ansible-playbook") else { return }
        let dir = try TempDir("zg-ansible")
        let (repo, server, url) = try Self.servedApp(dir, "docs", namespace: "web")
        let apps = dir.file("apps.d")
        let state = dir.file("state")
        func playbook(_ appsList: [[String: Any]]) throws -> ProcessOutput {
            let vars: [String: Any] = [
                "zerverless_gitops_deb": Self.deb!, "zerverless_gitops_apps_dir": apps,
                "zerverless_gitops_apps": appsList,
            ]
            let file = dir.file("vars.json")
            try JSONSerialization.data(withJSONObject: vars).write(to: URL(fileURLWithPath: file))
            var env = ProcessInfo.processInfo.environment
            env["ANSIBLE_CONFIG"] = Self.root + "/examples/ansible/ansible.cfg"
            env["ANSIBLE_NOCOLOR"] = "1"
            env["ANSIBLE_LOCAL_TEMP"] = dir.file("ansible-tmp")
            env["ANSIBLE_REMOTE_TEMP"] = dir.file("ansible-tmp")
            return try run(
                "/usr/bin/ansible-playbook", ["-i", "localhost,", "-c", "local", "playbook.yml", "-e", "@" + file],
                environment: env, cwd: Self.root + "/examples/ansible")
        }
        func recap(_ out: ProcessOutput) -> String {
            out.stdout.split(separator: "\n").last { $0.contains("ok=") }.map(String.init) ?? out.stdout
        }
        defer { _ = try? run("/usr/bin/dpkg", ["--purge", "zerverless-gitops"]) }
        let two: [[String: Any]] = [
            ["name": "docs", "namespace": "web", "repo_url": url, "poll_interval": "1h"],
            [
                "name": "docs-preview", "namespace": "web", "repo_url": url, "branch": "main", "path": ".",
                "automated": false,
            ],
        ]
        let first = try playbook(two)
        try #require(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(!recap(first).contains("changed=0"), "\(recap(first))")
        let second = try playbook(two)
        #expect(second.status == 0)
        #expect(recap(second).contains("changed=0"), "\(recap(second))")
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/zerverless-gitops"))

        // The installed daemon picks the registrations up.
        let pid = try spawn(
            "/usr/bin/zerverless-gitops",
            ["run", "--apps-dir", apps, "--state-dir", state, "--listen", "none", "--removal-grace", "1s"],
            environment: ProcessInfo.processInfo.environment, log: dir.file("daemon.log"), append: false,
            name: "installed daemon")
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        try Self.waitForStatus(state, "docs", "synced")
        try Self.waitForStatus(state, "docs-preview", "pending")

        // One app leaves the list: its file goes, and the daemon forgets it.
        let third = try playbook(Array(two.prefix(1)))
        #expect(third.status == 0)
        #expect(!FileManager.default.fileExists(atPath: apps + "/docs-preview.yaml"))
        #expect(FileManager.default.fileExists(atPath: apps + "/docs.yaml"))
        try waitUntil(timeout: .seconds(30), "docs-preview to be removed") {
            !FileManager.default.fileExists(atPath: state + "/apps/docs-preview/status.json")
        }

        // A mistake in the variables never reaches the apps dir: the daemon's validator says why.
        let bad = try playbook(Array(two.prefix(1)) + [["name": "Broken", "namespace": "web", "repo_url": url]])
        #expect(bad.status != 0)
        #expect(bad.stdout.contains("metadata.name: \\\"Broken\\\" is not a DNS label"), "\(bad.stdout)")
        #expect(!FileManager.default.fileExists(atPath: apps + "/Broken.yaml"))
        _ = (repo, server)
    }

    @Test func theImageRunsItsBinaryAsANonRootUser() throws {
        guard Self.artifacts("dist", "/usr/bin/buildah") else { return }
        let image = "localhost/zerverless-gitops:\(Self.version)"
        let inspect = try run("/usr/bin/buildah", ["inspect", "--type", "image", image])
        try #require(inspect.status == 0, "no image \(image): run make packages (make test does): \(inspect.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
        let config = try #require((doc["Docker"] as? [String: Any])?["config"] as? [String: Any])
        #expect(config["User"] as? String == "10001:10001")
        #expect(
            ((config["Healthcheck"] as? [String: Any])?["Test"] as? [String])?.contains { $0.contains("/healthz") }
                == true)
        #expect(
            (config["Volumes"] as? [String: Any]).map { Set($0.keys) } == [
                "/etc/zerverless/apps.d", "/var/lib/zerverless-gitops",
            ])
        #expect(config["Entrypoint"] as? [String] == ["/usr/bin/zerverless-gitops"])

        let container = try run("/usr/bin/buildah", ["from", "--pull-never", image]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        defer { _ = try? run("/usr/bin/buildah", ["rm", container]) }
        let validate = try run(
            "/usr/bin/buildah",
            [
                "run", "--isolation", "chroot", container, "--",
                "/usr/bin/zerverless-gitops", "validate", "/usr/share/zerverless-gitops/hello-app.yaml.sample",
            ])
        #expect(
            validate.status == 0 && validate.stdout.contains("valid registration"),
            "\(validate.stdout)\(validate.stderr)")
        // The daemon starts in the image and its health check answers (busybox wget, as the
        // image's HEALTHCHECK runs it), then stops on SIGTERM.
        let port = freePort()
        let script = """
            id -u; /usr/bin/zerverless-gitops run --apps-dir /tmp/apps --state-dir /tmp/state --listen 127.0.0.1:\(port) & pid=$!
            i=0; until /bin/busybox wget -q -O - http://127.0.0.1:\(port)/healthz; do i=$((i+1)); [ $i -gt 300 ] && exit 9; /bin/busybox usleep 100000; done
            kill -TERM $pid; wait $pid; echo " exit=$?"
            """
        let health = try run(
            "/usr/bin/buildah", ["run", "--isolation", "chroot", container, "--", "/bin/sh", "-c", script])
        #expect(health.status == 0, "\(health.stdout)\(health.stderr)")
        #expect(health.stdout.hasPrefix("10001\n"), "\(health.stdout)")
        #expect(health.stdout.contains("{\"status\":\"ok\"} exit=0"), "\(health.stdout)")
    }

    /// A kubectl whose kustomize renders these kustomizations (Debian's kubernetes-client
    /// 1.20 does not: its kustomize is too old), found on PATH.
    static let kustomizer: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let kubectl = "\(dir)/kubectl"
            guard FileManager.default.isExecutableFile(atPath: kubectl) else { continue }
            if (try? run(kubectl, ["kustomize", root + "/etc/kubernetes/sharded"]))?.status == 0 { return kubectl }
        }
        return nil
    }()

    @Test(
        .enabled(
            if: PackagingTests.kustomizer != nil,
            "skipped: no kubectl on PATH renders kustomizations (kubectl 1.21+ from pkgs.k8s.io; Debian's kubernetes-client 1.20 is too old, and no other source is reachable from CI)"
        ))
    func theKustomizationsRenderToValidDocuments() throws {
        let validator = Self.root + "/.build/tools/bin/kubernetes-validate"
        try #require(FileManager.default.isExecutableFile(atPath: validator), "make deps-test installs it")
        let dir = Self.root + "/etc/kubernetes"
        let scratch = try TempDir("zg-k8s-rendered")
        // Both variants as kubectl renders them (kustomize, offline), every document
        // validated: the single replica and the sharded overlay.
        for variant in ["", "/sharded"] {
            let rendered = try run(Self.kustomizer!, ["kustomize", dir + variant])
            try #require(rendered.status == 0, "kubectl kustomize etc/kubernetes\(variant): \(rendered.stderr)")
            let documents = rendered.stdout.components(separatedBy: "\n---\n")
            #expect(documents.count >= (variant.isEmpty ? 6 : 9), "\(variant): \(documents.count) documents")
            for (i, doc) in documents.enumerated() {
                let file = try scratch.write("doc\(variant.isEmpty ? "" : "-sharded")-\(i).yaml", doc + "\n")
                let out = try run(validator, ["--strict", "--quiet", file])
                #expect(out.status == 0, "\(variant) document \(i): \(out.stdout)\(out.stderr)\n\(doc.prefix(300))")
            }
            if variant == "/sharded" {
                let text = rendered.stdout
                #expect(
                    text.contains("ReadWriteMany") && text.contains("kind: PodDisruptionBudget")
                        && text.contains("clusterIP: None"))
                let compact = text.replacingOccurrences(of: "\n *", with: " ", options: .regularExpression)
                #expect(compact.contains("- name: ZG_SHARD_INDEX value: auto"), "\(text)")
                #expect(!text.contains("volumeClaimTemplates"))
                // replicas and ZG_SHARDS agree.
                let replicas = text.components(separatedBy: "replicas: ")[1].prefix { $0.isNumber }
                #expect(compact.contains("- name: ZG_SHARDS value: \"\(replicas)\""), "\(replicas)")
            }
        }
    }

    @Test func theKubernetesManifestsValidateAgainstTheirSchemas() throws {
        let validator = Self.root + "/.build/tools/bin/kubernetes-validate"
        guard FileManager.default.isExecutableFile(atPath: validator) else {
            Issue.record("kubernetes-validate is missing (make deps-test installs it)")
            return
        }
        let dir = Self.root + "/etc/kubernetes"
        let scratch = try TempDir("zg-k8s")
        // Every resource file of the base and the overlay (not the kustomizations and the
        // patch), each document validated; rendered together below when kubectl is here.
        for file in [
            "base/configmap-apps.yaml", "base/namespace.yaml", "base/secret.yaml", "base/service.yaml",
            "base/serviceaccount.yaml", "base/statefulset.yaml", "sharded/pdb.yaml", "sharded/pvc-state.yaml",
            "sharded/service-headless.yaml",
        ] {
            let out = try run(validator, ["--strict", "--quiet", dir + "/" + file])
            #expect(out.status == 0, "\(file): \(out.stdout)\(out.stderr)")
        }
        // The validator does catch a mistake (so the checks above can fail).
        let broken = try String(contentsOfFile: dir + "/base/statefulset.yaml", encoding: .utf8).replacingOccurrences(
            of: "containerPort: 8090", with: "containerPort: http-8090")
        let brokenFile = try scratch.write("statefulset.yaml", broken)
        #expect(try run(validator, ["--strict", "--quiet", brokenFile]).status != 0)
        // The registration the ConfigMap carries is valid, and every ZG_ variable the
        // StatefulSet sets is one `run` reads.
        let configMap = try String(contentsOfFile: dir + "/base/configmap-apps.yaml", encoding: .utf8)
        let body = configMap.components(separatedBy: "hello-app.yaml: |\n")[1].split(separator: "\n").map {
            $0.dropFirst(4)
        }.joined(separator: "\n")
        let registration = try scratch.write("hello-app.yaml", body + "\n")
        let validate = try run(Build.binary, ["validate", "--registration", registration])
        #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")
        let help = try run(Build.binary, ["run", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(
            separator: " ")
        let statefulSet =
            try String(contentsOfFile: dir + "/base/statefulset.yaml", encoding: .utf8)
            + String(contentsOfFile: dir + "/sharded/statefulset-shards.yaml", encoding: .utf8)
        for line in statefulSet.split(separator: "\n") where line.contains("name: ZG_") {
            let variable = String(line.split(separator: " ").last!)
            #expect(help.contains("Env: \(variable)"), "\(variable) is not an option of run")
        }
    }
}
