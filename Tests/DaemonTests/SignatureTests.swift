import Foundation
import TestSupport
import Testing

/// Signature verification on the built binary, with real signatures made by the tests:
/// ed25519 SSH keys (`git commit -S` with `gpg.format ssh`) and an OpenPGP key generated
/// without passphrase in a scratch GNUPGHOME. What does not verify is not deployed.
@Suite(.serialized) struct SignatureTests {
    /// Keys and the `-c` options that make git sign with them.
    struct Keys {
        let dir: TempDir
        let alice: [String]  // ssh, in the keys file
        let mallory: [String]  // ssh, not in it
        let bob: [String]  // OpenPGP, in it
        let carol: [String]  // OpenPGP, in it, expired since 2020 (made and used then)
        let keysFile: String  // alice's public key line and bob's armored key

        init(_ w: World) throws {
            let scratch = try TempDir("zg-keys")
            dir = scratch
            func sshKey(_ name: String) throws -> (options: [String], pub: String) {
                let key = scratch.file(name)
                let out = try run(
                    "/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "\(name)@example.com", "-f", key])
                guard out.status == 0 else { throw CommandFailed(description: out.stderr) }
                return (
                    ["-c", "gpg.format=ssh", "-c", "user.signingkey=\(key)"],
                    try String(contentsOfFile: key + ".pub", encoding: .utf8)
                )
            }
            let a = try sshKey("alice")
            let m = try sshKey("mallory")
            alice = a.options
            mallory = m.options
            // OpenPGP: a key without passphrase in a scratch home; git reaches it through a
            // wrapper that sets GNUPGHOME.
            let home = scratch.file("gnupg")
            try FileManager.default.createDirectory(
                atPath: home, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            let gen = try run(
                "/usr/bin/gpg",
                [
                    "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                    "--quick-gen-key", "Bob <bob@example.com>", "ed25519", "sign", "0",
                ])
            guard gen.status == 0 else { throw CommandFailed(description: gen.stderr) }
            let armored = try run("/usr/bin/gpg", ["--homedir", home, "--armor", "--export", "bob@example.com"]).stdout
            let wrapper = scratch.file("gpg-wrapper")
            try
                "#!/bin/sh\nexec /usr/bin/gpg --homedir \(home) --batch --pinentry-mode loopback --passphrase '' \"$@\"\n"
                .write(toFile: wrapper, atomically: true, encoding: .utf8)
            chmod(wrapper, 0o755)
            bob = ["-c", "gpg.format=openpgp", "-c", "gpg.program=\(wrapper)", "-c", "user.signingkey=bob@example.com"]
            // Carol's key lived for a day in January 2020 and signed then (gpg's faked clock:
            // no waiting for anything to expire).
            let then = ["--faked-system-time", "20200101T120000"]
            let carolGen = try run(
                "/usr/bin/gpg",
                ["--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", ""] + then
                    + ["--quick-gen-key", "Carol <carol@example.com>", "ed25519", "sign", "1d"])
            guard carolGen.status == 0 else { throw CommandFailed(description: carolGen.stderr) }
            let carolArmored = try run("/usr/bin/gpg", ["--homedir", home, "--armor", "--export", "carol@example.com"])
                .stdout
            let oldWrapper = scratch.file("gpg-2020")
            try
                "#!/bin/sh\nexec /usr/bin/gpg --homedir \(home) --batch --pinentry-mode loopback --passphrase '' --faked-system-time 20200101T130000 \"$@\"\n"
                .write(toFile: oldWrapper, atomically: true, encoding: .utf8)
            chmod(oldWrapper, 0o755)
            carol = [
                "-c", "gpg.format=openpgp", "-c", "gpg.program=\(oldWrapper)", "-c",
                "user.signingkey=carol@example.com",
            ]
            keysFile = a.pub + "\n" + armored + carolArmored
        }
    }

    static func site(_ v: String) -> [String: String] {
        [
            "zerverless.yaml":
                "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: site, namespace: web}\nspec:\n  static: {dir: static}\n",
            "static/index.html": "\(v)\n",
        ]
    }

    static func registration(_ url: String, ref: String, mode: String) -> String {
        "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: site, namespace: web}\nspec:\n  source:\n    repoURL: \"\(url)\"\n    \(ref)\n    verify: {mode: \(mode), publicKeysFile: signers.pub}\n  pollInterval: 1s\n"
    }

    static func setUp(_ name: String) throws -> (World, Keys, String, [String]) {
        let w = try World(name)
        let keys = try Keys(w)
        let secrets = w.dir.file("secrets")
        try FileManager.default.createDirectory(atPath: secrets + "/web", withIntermediateDirectories: true)
        try keys.keysFile.write(toFile: secrets + "/web/signers.pub", atomically: true, encoding: .utf8)
        return (w, keys, secrets, ["--secrets-dir", secrets])
    }

    func message(_ d: DaemonProcess) -> String { d.status("site")?["message"] as? String ?? "" }

    @Test func onlyCommitsSignedByAKnownKeyAreDeployed() throws {
        let (w, keys, _, options) = try Self.setUp("verify-commit")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: ["README.md": "x\n"])
        let one = try repo.commit(Self.site("one"), message: "one", signWith: keys.alice)
        let url = w.url("site", port: try w.serve())
        try w.write("site.yaml", Self.registration(url, ref: "branch: main", mode: "commit"))
        let d = try w.daemon(options)
        try d.waitFor("site", "synced", commit: one, timeout: .seconds(60))
        let verified = d.status("site")?["verified"] as? [String: Any]
        #expect(verified?["signer"] as? String == "alice@example.com")
        #expect((verified?["keyFingerprint"] as? String)?.hasPrefix("SHA256:") == true)

        // Unsigned: invalid at the verify stage, the commit named, what is deployed stays.
        let unsigned = try repo.commit(Self.site("unsigned"), message: "unsigned")
        try waitUntil(timeout: .seconds(30), "the unsigned commit to be refused") { d.phase("site") == "invalid" }
        #expect((d.status("site")?["error"] as? [String: Any])?["stage"] as? String == "verify")
        #expect(message(d).contains("commit \(unsigned.prefix(12)) is not deployed: it is not signed"), "\(message(d))")
        #expect(w.published("static/web/index.html") == "one\n")
        #expect(d.commit("site") == one)
        // plan says the same, and why.
        let plan = try run(
            Build.binary, ["plan", "site", "--state-dir", w.stateDir, "--apps-dir", w.appsDir] + options)
        #expect(plan.status == 1)
        #expect(
            plan.stdout.contains("error: commit \(unsigned.prefix(12)) is not deployed: it is not signed"),
            "\(plan.stdout)\(plan.stderr)")

        // Signed by a key that is not in publicKeysFile.
        let stranger = try repo.commit(Self.site("mallory"), message: "mallory", signWith: keys.mallory)
        try waitUntil(timeout: .seconds(30), "mallory's commit to be refused") {
            message(d).contains("commit \(stranger.prefix(12)) is not deployed")
        }
        #expect(message(d).contains("not in publicKeysFile"), "\(message(d))")

        // A tampered commit: alice's signature over other content.
        let signed = try repo.commit(Self.site("two"), message: "two", signWith: keys.alice)
        let raw = try git(["cat-file", "commit", signed], cwd: repo.work).replacingOccurrences(
            of: "\ntwo", with: "\ntwo, changed after signing")
        let forged = try run(
            "/usr/bin/git", ["-C", repo.work, "hash-object", "-t", "commit", "-w", "--stdin"],
            input: Data((raw + "\n").utf8)
        )
        .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try git(["push", "-q", "-f", repo.bare, "\(forged):refs/heads/main"], cwd: repo.work)
        try waitUntil(timeout: .seconds(30), "the forged commit to be refused") {
            message(d).contains("commit \(forged.prefix(12)) is not deployed")
        }
        #expect(message(d).contains("bad SSH signature"), "\(message(d))")
        #expect(w.published("static/web/index.html") == "one\n")

        // OpenPGP: bob's key is in the file too.
        _ = try git(["reset", "-q", "--hard", signed], cwd: repo.work)
        let three = try repo.commit(Self.site("three"), message: "three", signWith: keys.bob)
        try d.waitFor("site", "synced", commit: three, timeout: .seconds(30))
        let pgp = d.status("site")?["verified"] as? [String: Any]
        #expect(pgp?["signer"] as? String == "Bob <bob@example.com>")
        #expect((pgp?["keyFingerprint"] as? String)?.count == 40)
        #expect(w.published("static/web/index.html") == "three\n")
        let verifiedPlan = try run(
            Build.binary, ["plan", "site", "--state-dir", w.stateDir, "--apps-dir", w.appsDir] + options)
        #expect(
            verifiedPlan.stdout.contains("verified: commit \(three.prefix(12)) signed by Bob <bob@example.com>"),
            "\(verifiedPlan.stdout)")

        // A pin does not skip verification: rolling back to the unsigned commit is refused.
        let rollback = try run(
            Build.binary,
            ["rollback", "site", "--to", unsigned, "--state-dir", w.stateDir, "--apps-dir", w.appsDir] + options)
        #expect(rollback.status == 0, "\(rollback.stderr)")
        try waitUntil(timeout: .seconds(30), "the pinned unsigned commit to be refused") {
            message(d).contains("commit \(unsigned.prefix(12)) is not deployed")
        }
        #expect(w.published("static/web/index.html") == "three\n")
        #expect(!d.log.contains("PRIVATE KEY"))
    }

    @Test func aSignatureByAnExpiredKeyIsRefused() throws {
        let (w, keys, _, options) = try Self.setUp("verify-expired")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: ["README.md": "x\n"])
        let one = try repo.commit(Self.site("one"), message: "one", signWith: keys.bob)
        try w.write(
            "site.yaml", Self.registration(w.url("site", port: try w.serve()), ref: "branch: main", mode: "commit"))
        let d = try w.daemon(options)
        try d.waitFor("site", "synced", commit: one, timeout: .seconds(60))
        let old = try repo.commit(Self.site("old"), message: "old", signWith: keys.carol)
        try waitUntil(timeout: .seconds(30), "the expired key's commit to be refused") {
            message(d).contains("commit \(old.prefix(12)) is not deployed")
        }
        #expect(message(d).contains("signed by an expired OpenPGP key"), "\(message(d))")
        #expect(w.published("static/web/index.html") == "one\n")
    }

    @Test func tagModeNeedsAnnotatedSignedTags() throws {
        let (w, keys, _, options) = try Self.setUp("verify-tag")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: Self.site("1.0.0"))
        let v100 = try repo.tag("v1.0.0", signWith: keys.alice)
        let url = w.url("site", port: try w.serve())
        try w.write("site.yaml", Self.registration(url, ref: "semver: \"^1.0\"", mode: "tag"))
        let d = try w.daemon(options)
        try d.waitFor("site", "synced", commit: v100, timeout: .seconds(60))
        #expect((d.status("site")?["verified"] as? [String: Any])?["signer"] as? String == "alice@example.com")

        try repo.commit(Self.site("1.1.0"), message: "1.1.0")
        try repo.tag("v1.1.0")  // lightweight
        try waitUntil(timeout: .seconds(30), "the lightweight tag to be refused") { d.phase("site") == "invalid" }
        #expect(message(d).contains("tag v1.1.0") && message(d).contains("lightweight tag"), "\(message(d))")

        try repo.commit(Self.site("1.2.0"), message: "1.2.0")
        try repo.tag("v1.2.0", message: "annotated, unsigned")
        try waitUntil(timeout: .seconds(30), "the unsigned tag to be refused") {
            message(d).contains("tag v1.2.0 (commit")
        }
        #expect(message(d).contains("the annotated tag is not signed"), "\(message(d))")
        #expect(w.published("static/web/index.html") == "1.0.0\n")

        let v130 = try repo.commit(Self.site("1.3.0"), message: "1.3.0")
        try repo.tag("v1.3.0", signWith: keys.bob)
        try d.waitFor("site", "synced", commit: v130, timeout: .seconds(30))
        #expect(w.published("static/web/index.html") == "1.3.0\n")
    }

    @Test func validateRefusesTagModeWithoutATagRef() throws {
        let w = try World("verify-validate")
        let file = try w.dir.write("a.yaml", Self.registration("https://h/o/r", ref: "branch: main", mode: "tag"))
        let out = try run(Build.binary, ["validate", file])
        #expect(out.status == 1)
        #expect(
            (out.stdout + out.stderr).contains(
                "spec.source.verify.mode: tag verifies an annotated tag: it needs source.tag or source.semver"),
            "\(out.stdout)\(out.stderr)")
        let other = try w.dir.write("b.yaml", Self.registration("https://h/o/r", ref: "tag: v1", mode: "signed"))
        let wrong = try run(Build.binary, ["validate", other])
        #expect(
            (wrong.stdout + wrong.stderr).contains("\"signed\" is not a mode; expected commit or tag"),
            "\(wrong.stderr)")
    }
}
