import Foundation
import Manifest
import TestSupport
import Testing

@testable import GitSource

@Test func listsTreesWithIdsSizesAndSymlinks() throws {
    let f = try Fixture(files: [
        "app/a.txt": "alpha\n", "app/sub/b.txt": "bravo!\n", "app/run.sh": "#!/bin/sh\n", "top.txt": "t",
    ])
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: f.repo.work + "/app/run.sh")
    try FileManager.default.createSymbolicLink(atPath: f.repo.work + "/app/link", withDestinationPath: "../top.txt")
    try FileManager.default.createSymbolicLink(atPath: f.repo.work + "/app/etc", withDestinationPath: "/etc")
    let commit = try f.repo.commit([:], message: "links")
    let remote = try f.remote(f.repo.bare, allowLocal: true)
    _ = try f.git.fetch(remote, branch: "main")
    let snapshot = try f.git.open(remote.url)
    let entries = try snapshot.list(commit: commit, path: "app")
    #expect(entries.map(\.path) == ["a.txt", "etc", "link", "run.sh", "sub/b.txt"])
    #expect(entries[0].kind == .file && entries[0].size == 6)
    #expect(entries[0].id == (try git(["--git-dir", f.repo.bare, "rev-parse", "\(commit):app/a.txt"])))
    #expect(entries[1].kind == .symlink && entries[1].symlinkTarget == "/etc")
    #expect(entries[2].symlinkTarget == "../top.txt")
    #expect(entries[3].kind == .executable)
    #expect(try snapshot.blob(entries[4].id) == Array("bravo!\n".utf8))
    #expect(
        try snapshot.treeID(commit: commit, path: "app/sub")
            == (try git(["--git-dir", f.repo.bare, "rev-parse", "\(commit):app/sub"])))
    #expect(try snapshot.treeID(commit: commit, path: "nope") == nil)
    #expect(gitError { try snapshot.list(commit: commit, path: "nope") }?.code == .pathNotFound)

    let folder = f.dir.file("w")
    try snapshot.export(commit: commit, path: "app", to: folder)
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: folder + "/etc") == "/etc")
    let mode = try FileManager.default.attributesOfItem(atPath: folder + "/run.sh")[.posixPermissions] as? Int
    #expect(mode == 0o755)
}

@Test func knownHostsMatching() {
    let key = Array("key-one".utf8)
    let other = Array("key-two".utf8)
    let b64 = Data(key).base64EncodedString()
    // A hashed entry for "example.com", made as ssh-keygen -H does (salt, HMAC-SHA1).
    let salt = Array("0123456789abcdefghij".utf8)
    // HMAC-SHA1(salt, "example.com") as Python's hmac module computes it.
    let hashed = "|1|\(Data(salt).base64EncodedString())|jaHXoMQTU/+rEgquOJTQzPGCF4I="
    let hosts = KnownHosts(
        text: """
            # comment
            github.com,140.82.112.3 ssh-ed25519 \(b64)
            [127.0.0.1]:2222 ssh-ed25519 \(b64)
            *.corp.example ssh-ed25519 \(b64)
            \(hashed) ssh-ed25519 \(b64)
            @revoked bad.example ssh-ed25519 \(b64)
            """)
    #expect(hosts.verdict(host: "github.com", port: nil, key: key) == .trusted)
    #expect(hosts.verdict(host: "GitHub.com", port: 22, key: key) == .trusted)
    #expect(hosts.verdict(host: "github.com", port: nil, key: other) == .changed)
    #expect(hosts.verdict(host: "127.0.0.1", port: 2222, key: key) == .trusted)
    #expect(hosts.verdict(host: "127.0.0.1", port: 22, key: key) == .unknown)
    #expect(hosts.verdict(host: "git.corp.example", port: nil, key: key) == .trusted)
    #expect(hosts.verdict(host: "example.com", port: nil, key: key) == .trusted)
    #expect(hosts.verdict(host: "example.org", port: nil, key: key) == .unknown)
    #expect(hosts.verdict(host: "bad.example", port: nil, key: key) == .revoked)
}
