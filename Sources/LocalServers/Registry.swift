import Foundation

/// Debian's `docker-registry` (the CNCF distribution registry) on loopback, storing its
/// blobs under `dir/registry`; its request log (one line per call) is `dir/registry.log`.
public func startRegistry(dir: String) throws -> ServerProcess {
    let port = freePort()
    let config = (dir as NSString).appendingPathComponent("registry.yml")
    try """
    version: 0.1
    log:
      level: info
      accesslog:
        disabled: false
    storage:
      filesystem:
        rootdirectory: \(dir)/registry
    http:
      addr: 127.0.0.1:\(port)

    """.write(toFile: config, atomically: true, encoding: .utf8)
    return try ServerProcess(
        "docker-registry", executable: "/usr/bin/docker-registry", arguments: ["serve", config], port: port,
        log: (dir as NSString).appendingPathComponent("registry.log"))
}
