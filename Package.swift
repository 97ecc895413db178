// swift-tools-version:6.0
import PackageDescription

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
    ],
    targets: [
        // System-library shims (Debian: libyaml-dev, libgit2-dev, libinotifytools0-dev).
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CInotifyTools", providers: [.apt(["libinotifytools0-dev"])]),

        // Deadlines for libgit2's sockets: a stream registered with libgit2 and a watchdog.
        .target(name: "CGitStream", dependencies: ["CGit2"]),

        // libyaml events -> a Node tree whose nodes carry their marks.
        .target(name: "YAML", dependencies: ["CYAML"]),
        // Pure decoding and validation of registration files and zerverless.yaml.
        .target(name: "Manifest", dependencies: ["YAML"]),
        // libgit2: head lookup, shared fetch caches, checkouts, tree and blob reads, credentials.
        .target(name: "GitSource", dependencies: ["CGit2", "CGitStream", "Manifest", "State"]),
        // The file layout under the state dir: atomic writes, locks, secrets.
        .target(name: "State"),
        // The one way to run another program: posix_spawn, a deadline, bounded output.
        .target(name: "Processes"),
        // Plan (pure diff) and apply, behind the DeployTarget protocol.
        .target(name: "Sync", dependencies: [
            "Manifest", "GitSource", "State", "Processes",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // Composition root of the daemon: the apps-dir watcher, workers, scheduling.
        .target(name: "Daemon", dependencies: [
            "CInotifyTools", "Sync", "GitSource", "Manifest", "State", "YAML",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The REST facade over the files (Hummingbird 2).
        .target(name: "HTTPFacade", dependencies: [
            "Daemon", "Manifest", "State",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        ]),
        // The thin CLI.
        .executableTarget(
            name: "zerverless-gitops",
            dependencies: [
                "Manifest",
                "GitSource",
                "State",
                "Sync",
                "Daemon",
                "HTTPFacade",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Helpers shared by the test targets: processes, temp dirs, the built binary.
        .target(name: "TestSupport", dependencies: [.product(name: "Hummingbird", package: "hummingbird")], path: "Tests/TestSupport"),
        // The benchmarks (make bench).
        .executableTarget(name: "zg-bench", dependencies: [
            "Manifest", "GitSource", "Sync", "State", "TestSupport", "HTTPFacade",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .testTarget(name: "YAMLTests", dependencies: ["YAML"]),
        .testTarget(name: "ManifestTests", dependencies: ["Manifest", "YAML"]),
        .testTarget(name: "GitSourceTests", dependencies: ["GitSource", "Manifest", "TestSupport"]),
        .testTarget(name: "SyncTests", dependencies: [
            "Sync", "GitSource", "Manifest", "State", "TestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .testTarget(name: "DaemonTests", dependencies: [
            "Daemon", "zerverless-gitops", "State", "Sync", "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "HTTPFacadeTests", dependencies: [
            "HTTPFacade", "Daemon", "State", "TestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .testTarget(name: "CLITests", dependencies: ["zerverless-gitops", "GitSource", "Manifest", "State", "TestSupport", "CGit2", "CInotifyTools"]),
    ],
    swiftLanguageModes: [.v6]
)
