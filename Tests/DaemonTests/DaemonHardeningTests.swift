import Foundation
import TestSupport
import Testing

/// The daemon as a host's service: one per state dir, SIGHUP reloads, a repository cannot
/// fill the disk, what a crash left is cleaned up. The built binary, real processes.
@Suite(.serialized) struct DaemonHardeningTests {
    @Test func aSecondDaemonOnTheSameStateDirRefusesToStart() throws {
        let w = try World("second-daemon")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        try w.write("site.yaml", registration("site", namespace: "web", url: w.url("site", port: try w.serve())))
        let first = try w.daemon()
        try first.waitFor("site", "synced", commit: try repo.head())
        let second = try w.daemon(log: "second.log")
        try waitUntil(timeout: .seconds(20), "the second daemon to exit") { second.exited() != nil }
        #expect(second.exited() == 1)
        #expect(second.log.contains("another zerverless-gitops holds the state dir \(w.stateDir)"), "\(second.log)")
        #expect(second.log.contains("pid \(first.pid) on "))
        #expect(first.exited() == nil)
        // The first one goes on.
        let pushed = try repo.commit(["static/index.html": "second\n"], message: "push")
        #expect(try w.cli(["sync", "site", "--wait", "--timeout", "60s"]).status == 0)
        #expect(first.commit("site") == pushed)
    }

    @Test func sighupReloadsInsteadOfKilling() throws {
        let w = try World("sighup")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        try w.write("site.yaml", registration("site", namespace: "web", url: w.url("site", port: try w.serve())))
        let d = try w.daemon()
        try d.waitFor("site", "synced", commit: try repo.head())
        for _ in 0..<2 { d.signal(SIGHUP) }
        try waitUntil(timeout: .seconds(10), "the reload to be logged") {
            d.log.contains("SIGHUP: reloading") || d.exited() != nil
        }
        #expect(d.exited() == nil, "SIGHUP ended the daemon")
        let pushed = try repo.commit(["static/index.html": "after the reload\n"], message: "push")
        #expect(try w.cli(["sync", "site", "--wait", "--timeout", "60s"]).status == 0)
        #expect(d.commit("site") == pushed)
        #expect(try d.stop(SIGTERM) == 0)
    }

    @Test func aRepositoryOverTheSizeLimitIsRefusedAndNotKept() throws {
        let w = try World("repo-size")
        var random = SystemRandomNumberGenerator()
        var noise = [UInt64](repeating: 0, count: 250_000)
        for i in noise.indices { noise[i] = random.next() }
        var files = siteFiles(namespace: "web")
        // 2 MB of random bytes as base64: about 2 MB packed, over the limit.
        files["static/noise.txt"] = noise.withUnsafeBytes { Data($0) }.base64EncodedString()
        _ = try GitRepo(root: w.reposDir, name: "big", files: files)
        try w.write("big.yaml", registration("big", namespace: "web", url: w.url("big", port: try w.serve())))
        let d = try w.daemon(["--max-repo-size", "1MiB"])
        try d.waitFor("big", "error", timeout: .seconds(60))
        let message = try #require(d.status("big")?["message"] as? String)
        #expect(message.contains("larger than the limit of 1 MiB"), "\(message)")
        let caches = (try? FileManager.default.contentsOfDirectory(atPath: "\(w.stateDir)/cache")) ?? []
        var kept = 0
        for name in caches where name.hasSuffix(".git") {
            kept +=
                (FileManager.default.enumerator(atPath: "\(w.stateDir)/cache/\(name)")?.allObjects as? [String] ?? [])
                .reduce(0) { total, rel in
                    total
                        + ((try? FileManager.default.attributesOfItem(atPath: "\(w.stateDir)/cache/\(name)/\(rel)")[
                            .size] as? Int) ?? 0)
                }
        }
        #expect(kept < 1 << 20, "\(kept) bytes kept in the fetch cache")
        #expect(w.published("static/web/noise.txt") == nil)
    }

    @Test func aClientHoldingEveryConnectionCannotKeepOthersOut() throws {
        let w = try World("connection-cap")
        let d = try w.daemon(["--listen", "127.0.0.1:0", "--api-read-timeout", "60s", "--api-max-connections", "50"])
        let port = try listeningPort(d)
        // 100 half-sent heads, reopened as they are closed, for longer than any test waits.
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        for _ in 0..<100 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            if withUnsafePointer(
                to: &addr,
                {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }) == 0
            {
                _ = "GET /healthz HTTP/1.1\r\n".withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            }
            sockets.append(fd)
        }
        // Well before the 60 s head deadline, a client with a whole request gets in.
        for _ in 0..<3 { #expect(httpStatus(port: port, path: "/healthz") == 200) }
    }

    @Test func secretsInsideURLsAreUsedDecodedAndShownNowhere() async throws {
        let w = try World("url-secrets")
        let trap = try await CredentialTrap.start()
        // A percent-encoded password is sent decoded; a token in the query is never shown.
        let userinfo = trap.url.replacingOccurrences(of: "http://", with: "http://deploy:p%40ss%2Fword@")
        try w.write("info.yaml", registration("info", namespace: "web", url: userinfo))
        try w.write(
            "query.yaml", registration("query", namespace: "web", url: trap.url + "?private_token=SeCrEtQuErY123&x=1"))
        let d = try w.daemon(["--listen", "127.0.0.1:0"])
        let port = try listeningPort(d)
        try d.waitFor("info", "error")
        try d.waitFor("query", "error")
        #expect(trap.passwords.contains("p@ss/word"), "\(trap.passwords)")
        let statusText = try String(contentsOfFile: d.statusFile("query"), encoding: .utf8)
        let cli = try w.cli(["status", "--json"])
        let rest = try await call(.GET, "http://127.0.0.1:\(port)/api/gitops/applications")
        for shown in [statusText, cli.stdout + cli.stderr, d.log, "\(rest.1)"] {
            #expect(!shown.contains("SeCrEtQuErY123"))
            #expect(!shown.contains("p%40ss") && !shown.contains("p@ss"))
        }
        #expect(statusText.contains("private_token=***"))
    }

    @Test func temporaryFilesACrashLeftInTheAppsDirAreRemovedAtStartup() throws {
        let w = try World("stale-temp")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        try w.write("site.yaml", registration("site", namespace: "web", url: w.url("site", port: try w.serve())))
        // What a kill -9 during a REST POST leaves: the temporary file before its rename.
        try w.write(".other.yaml.tmp-1a2b3c4d", "name: other\n")
        try w.write(".keep-me.yaml", "an editor's file\n")
        let d = try w.daemon()
        try d.waitFor("site", "synced", commit: try repo.head())
        #expect(!FileManager.default.fileExists(atPath: w.app(".other.yaml.tmp-1a2b3c4d")))
        #expect(FileManager.default.fileExists(atPath: w.app(".keep-me.yaml")))
    }

    @Test func slowClientsCannotExhaustTheListenerOrStopTheSyncs() throws {
        let w = try World("slowloris")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        try w.write("site.yaml", registration("site", namespace: "web", url: w.url("site", port: try w.serve())))
        // 1,024 descriptors, as on many hosts.
        let d = try w.daemon(
            ["--listen", "127.0.0.1:0", "--api-read-timeout", "2s"],
            launcher: ["/usr/bin/prlimit", "--nofile=1024:1024", "--"])
        let port = try listeningPort(d)
        try d.waitFor("site", "synced", commit: try repo.head())

        // 1,100 connections that send half a request head and wait.
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        for _ in 0..<1100 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if ok == 0 {
                _ = "GET /healthz HTTP/1.1\r\nHost: x\r\n".withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            }
            sockets.append(fd)
        }
        // Syncs go on: a push is deployed on request.
        let pushed = try repo.commit(["static/index.html": "under attack\n"], message: "push")
        let out = try w.cli(["sync", "site", "--wait", "--timeout", "60s"])
        #expect(out.status == 0, "\(out.stderr)\n\(d.log.suffix(3000))")
        #expect(d.commit("site") == pushed)
        // And the API answers again once the slow heads have timed out.
        try waitUntil(timeout: .seconds(30), "/healthz to answer") { httpStatus(port: port, path: "/healthz") == 200 }
        #expect(d.exited() == nil)
    }
}

/// A GET over a plain socket (2 s timeouts): the status code, or nil.
func httpStatus(port: Int, path: String) -> Int? {
    guard let fd = loopbackSocket(port: port, timeout: timeval(tv_sec: 2, tv_usec: 0)) else { return nil }
    defer { close(fd) }
    let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    guard request.withCString({ send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }) > 0 else { return nil }
    var buffer = [UInt8](repeating: 0, count: 512)
    let n = recv(fd, &buffer, buffer.count, 0)
    guard n > 12 else { return nil }
    return Int(String(decoding: buffer[9..<12], as: UTF8.self))
}
