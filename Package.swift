// swift-tools-version:6.0
import PackageDescription

/// Strict settings for every target: `any` spelled out, imports visible where used.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "zerverless-gitops",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "zerverless-gitops", targets: ["zerverless-gitops"]),
        .executable(name: "zg-bench", targets: ["zg-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        // System-library shims (Debian: libyaml-dev, libgit2-dev, libinotifytools0-dev).
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CInotifyTools", providers: [.apt(["libinotifytools0-dev"])]),

        // Deadlines for libgit2's sockets: a stream registered with libgit2 and a watchdog.
        .target(name: "CGitStream", dependencies: ["CGit2"]),
        // memfd_create (not in Swift's Glibc module): the hot list's body answered with sendfile.
        .target(name: "CMemFile"),

        // libyaml events -> a Node tree whose nodes carry their marks.
        .target(name: "YAML", dependencies: ["CYAML"], swiftSettings: strict),
        // Pure decoding and validation of registration files, application sets and
        // zerverless.yaml; repository paths as bytes; the failure vocabulary. (Crypto: the
        // short SHA-256 suffixes of generated application names.)
        .target(
            name: "Manifest",
            dependencies: ["YAML", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),
        // The one way to run another program: posix_spawn, a deadline, bounded output.
        .target(name: "Processes", swiftSettings: strict),
        // File-system and concurrency tools below everything: atomic and rooted writes, locks,
        // the blocking pool, the one folder watcher, the daemon's clock, hex and durations.
        .target(
            name: "Toolkit",
            dependencies: ["CInotifyTools"], swiftSettings: strict),
        // Every file under the state dir and the apps dir has its one owner here: status
        // documents, history, inventories, sync requests, registrations, secrets, locks.
        .target(
            name: "State",
            dependencies: [
                "Manifest", "Toolkit",
                .product(name: "Crypto", package: "swift-crypto"),
            ], swiftSettings: strict),
        // libgit2: head lookup, shared fetch caches, tree and blob reads, checkouts.
        .target(
            name: "GitSource",
            dependencies: [
                "CGit2", "CGitStream", "Manifest", "Toolkit", "Processes",
                .product(name: "Crypto", package: "swift-crypto"),
            ], swiftSettings: strict),
        // Plan (pure diff) and apply, behind the DeployTarget protocol.
        .target(
            name: "Sync",
            dependencies: [
                "Manifest", "GitSource", "State", "Toolkit", "Processes",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ], swiftSettings: strict),
        // Notifications: the outbox's deliveries (generic, slack, forge commit statuses).
        .target(
            name: "Notify",
            dependencies: [
                "Manifest", "State", "Toolkit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ], swiftSettings: strict),
        // Composition root of the daemon: the scheduler, the supervisor, the looks.
        .target(
            name: "Daemon",
            dependencies: [
                "Sync", "GitSource", "Manifest", "State", "Toolkit", "Notify",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ], swiftSettings: strict),
        // The REST facade over the files (Hummingbird 2): State and Manifest only.
        .target(
            name: "HTTPFacade",
            dependencies: [
                "CMemFile", "Manifest", "State", "Toolkit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ], swiftSettings: strict),
        // The whole daemon built from typed settings (the supervisor, the notifier, the REST
        // facade as one service group): used by `run`, and by tests in process.
        .target(
            name: "Agent",
            dependencies: [
                "Daemon", "HTTPFacade", "Notify", "Sync", "GitSource", "State", "Toolkit", "Manifest",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ], swiftSettings: strict),
        // The thin CLI.
        .executableTarget(
            name: "zerverless-gitops",
            dependencies: [
                "Agent", "Manifest", "GitSource", "State", "Toolkit", "Sync", "Daemon", "HTTPFacade", "Notify",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // Real servers and repositories on loopback, shared by the tests and the benchmarks:
        // git repositories, git daemon / http-backend / sshd, the built daemon as a process.
        .target(name: "LocalServers", dependencies: ["Processes"], swiftSettings: strict),
        // Helpers of the test targets only (the orchestrator's contract server...).
        .target(
            name: "TestSupport",
            dependencies: [
                "LocalServers",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ], path: "Tests/TestSupport"),
        // The benchmarks (make bench).
        .executableTarget(
            name: "zg-bench",
            dependencies: [
                "Manifest", "GitSource", "Sync", "State", "Toolkit", "HTTPFacade", "LocalServers", "Processes",
                "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ], swiftSettings: strict),

        .testTarget(name: "YAMLTests", dependencies: ["YAML"]),
        .testTarget(name: "ManifestTests", dependencies: ["Manifest", "YAML", "TestSupport"]),
        .testTarget(name: "ProcessesTests", dependencies: ["Processes"]),
        .testTarget(name: "ToolkitTests", dependencies: ["Toolkit", "TestSupport"]),
        .testTarget(name: "StateTests", dependencies: ["State", "Toolkit", "TestSupport"]),
        .testTarget(
            name: "GitSourceTests", dependencies: ["GitSource", "Manifest", "State", "Toolkit", "TestSupport"]),
        .testTarget(
            name: "SyncTests",
            dependencies: [
                "Sync", "GitSource", "Manifest", "State", "Toolkit", "TestSupport", "Processes",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        .testTarget(
            name: "NotifyTests",
            dependencies: [
                "Notify", "State", "Toolkit", "Manifest", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The daemon's types in process, and the end-to-end tests on the built binary (one
        // test at a time: make test runs this target with --no-parallel).
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "Daemon", "zerverless-gitops", "State", "Toolkit", "Sync", "GitSource", "Manifest", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        .testTarget(
            name: "HTTPFacadeTests",
            dependencies: [
                "HTTPFacade", "State", "Toolkit", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]),
        .testTarget(
            name: "AgentTests",
            dependencies: [
                "Agent", "Daemon", "Notify", "State", "Toolkit", "Manifest", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "CLITests",
            dependencies: [
                "zerverless-gitops", "GitSource", "Manifest", "State", "Toolkit", "TestSupport", "CGit2",
                "CInotifyTools",
            ]),
    ],
    swiftLanguageModes: [.v6]
)
