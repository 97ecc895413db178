import Foundation
import Processes
import State
import Synchronization
import Toolkit

/// What a tenant's Dockerfile may do while it builds, per namespace (the operator's
/// options `--docker-build-namespaces`, `--build-network-namespaces`, `--build-timeout`).
/// By default every namespace may build, no build step has a network (the host's loopback
/// holds the REST API and, often, the orchestrator's unauthenticated API), every
/// capability is dropped where the builder can drop them, and a build ends after 10 min.
public struct BuildPolicy: Sendable, Hashable {
    /// nil: every namespace may build; empty: none.
    public var buildNamespaces: Set<String>?
    /// nil: every namespace's build steps have the host's network; empty: none.
    public var networkNamespaces: Set<String>?
    public var timeout: Duration

    public init(
        buildNamespaces: Set<String>? = nil, networkNamespaces: Set<String>? = [], timeout: Duration = .seconds(600)
    ) {
        self.buildNamespaces = buildNamespaces
        self.networkNamespaces = networkNamespaces
        self.timeout = timeout
    }

    public func mayBuild(_ namespace: String) -> Bool { buildNamespaces?.contains(namespace) ?? true }
    public func mayUseNetwork(_ namespace: String) -> Bool { networkNamespaces?.contains(namespace) ?? true }

    /// `*` (all), `none` (or empty), or `ns1,ns2`.
    public static func namespaces(_ text: String) -> Set<String>? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "*" { return nil }
        if trimmed.isEmpty || trimmed == "none" { return [] }
        return Set(trimmed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }
}

/// Builds images with the host's tool: `docker build`, `podman build` or `buildah bud`
/// (`auto` picks the first that works: a docker CLI without a running engine does not
/// count), under a `BuildPolicy`:
///
/// - no network unless the namespace is allowed it: `--network none` for docker and
///   podman; buildah's chroot isolation cannot take one, so the build runs in a network
///   namespace of its own (`unshare --net`: only an unconfigured loopback), after its
///   `FROM` images are pulled with the network;
/// - `--cap-drop all` for podman and buildah (docker build has no such option: its
///   steps keep Docker's default set, without the host's network);
/// - a time limit, then the whole process group is killed; a failure reports the tail of
///   the build log.
public struct CommandImageBuilder: ImageBuilder {
    public enum Tool: String, Sendable, CaseIterable {
        case docker, podman, buildah
    }

    public let tool: Tool
    public let executable: String
    /// Arguments before the subcommand (buildah: `--storage-driver vfs`, `--root DIR`).
    public var globalArguments: [String]
    public var policy: BuildPolicy

    public var registry: ImageRegistry?
    /// buildah's image index (`GRAPHROOT/DRIVER-images/images.json`, from `buildah info`
    /// when it was detected): `exists` reads the names there before it asks the CLI.
    public var imageIndex: String?

    public init(
        tool: Tool, executable: String, globalArguments: [String] = [], policy: BuildPolicy = BuildPolicy(),
        registry: ImageRegistry? = nil, imageIndex: String? = nil
    ) {
        self.tool = tool
        self.executable = executable
        self.globalArguments = globalArguments
        self.policy = policy
        self.registry = registry
        self.imageIndex = imageIndex
    }

    /// The builder for `--docker-builder auto|docker|podman|buildah`, or nil when none works.
    public static func detect(
        _ choice: String = "auto", globalArguments: [String] = [], policy: BuildPolicy = BuildPolicy(),
        registry: ImageRegistry? = nil
    ) -> CommandImageBuilder? {
        let tools: [Tool] = choice == "auto" ? Tool.allCases : Tool(rawValue: choice).map { [$0] } ?? []
        for tool in tools {
            guard let path = ChildProcess.which([tool.rawValue]) else { continue }
            if tool == .buildah, let index = buildahImageIndex(path, globalArguments) {
                return CommandImageBuilder(
                    tool: tool, executable: path, globalArguments: globalArguments, policy: policy, registry: registry,
                    imageIndex: index)
            }
            let probe: [String] = tool == .buildah ? ["--version"] : ["info"]
            if let out = try? ChildProcess.runBlocking(
                path, globalArguments + probe, timeout: .seconds(20), outputLimit: 64 << 10),
                out.status == 0, !out.timedOut
            {
                return CommandImageBuilder(
                    tool: tool, executable: path, globalArguments: globalArguments, policy: policy, registry: registry)
            }
        }
        return nil
    }

    public func exists(_ image: String) async -> Bool {
        // The CLI costs ~75 ms of a first sync (a Go program starting, the store's locks);
        // the index is a small file written atomically by buildah's store.
        if tool == .buildah, let imageIndex, Self.listed(image, in: imageIndex) { return true }
        let args: [String]
        switch tool {
        case .docker: args = ["image", "inspect", image]
        case .podman: args = ["image", "exists", image]
        case .buildah: args = ["inspect", "--type", "image", image]
        }
        return
            (try? await ChildProcess.run(executable, globalArguments + args, timeout: .seconds(60), outputLimit: 4096))?
            .status == 0
    }

    public func build(image: String, dockerfile: String, context: String, namespace: String) async throws(TargetError) {
        guard policy.mayBuild(namespace) else {
            throw TargetError(
                "Docker builds are turned off for namespace \(namespace) on this host (--docker-build-namespaces); the function is not deployed",
                retryable: false)
        }
        let network = policy.mayUseNetwork(namespace)
        if !network, let text = try? String(contentsOfFile: dockerfile, encoding: .utf8),
            let problem = Self.networkUse(text)
        {
            // The builder itself fetches these on the host's network, whatever --network says.
            throw TargetError(
                "\(problem), which builds of namespace \(namespace) may not do (--build-network-namespaces); the function is not built",
                retryable: false)
        }
        var command = executable
        var args = globalArguments
        switch tool {
        case .docker:
            args += ["build"] + (network ? [] : ["--network", "none"]) + ["-f", dockerfile, "-t", image, context]
        case .podman:
            args +=
                ["build", "--cap-drop", "all"] + (network ? [] : ["--network", "none"]) + [
                    "-f", dockerfile, "-t", image, context,
                ]
        case .buildah:
            args += ["bud", "--isolation", "chroot", "--cap-drop", "all"]
            if !network {
                guard let unshare = ChildProcess.which(["unshare"]) else {
                    throw TargetError(
                        "cannot cut the build off the network (no unshare on this host); the function is not built",
                        retryable: false)
                }
                try await pullBaseImages(dockerfile)
                command = unshare
                args = ["--net", "--", executable] + args + ["--pull=never"]
            }
            args += ["-f", dockerfile, "-t", image, context]
        }
        let out: ChildProcess.Output
        do {
            out = try await ChildProcess.run(command, args, timeout: policy.timeout, outputLimit: 256 << 10)
        } catch {
            throw TargetError("\(tool.rawValue) could not be started: \(error)", retryable: true)
        }
        if out.timedOut {
            throw TargetError(
                "\(tool.rawValue) build of \(image) did not finish within \(policy.timeout.components.seconds)s",
                retryable: true)
        }
        guard out.status == 0 else {
            let tail = out.text.split(separator: "\n").suffix(15).joined(separator: "\n")
            throw TargetError(
                "\(tool.rawValue) build of \(image) failed (exit \(out.status)):\n\(tail)", retryable: false)
        }
    }

    /// Pushes `image` to the registry its name starts with; returns the manifest's digest.
    /// buildah and podman write it to a file; docker reports it among the image's
    /// RepoDigests (docker takes `--image-registry-insecure` from its daemon.json only).
    public func push(_ image: String) async throws(TargetError) -> String {
        let insecure = registry?.insecure ?? false
        let dir: String
        do { dir = try ScratchFolder.make("zg-push") } catch { throw TargetError("\(error)", retryable: true) }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let args: [String]
        switch tool {
        case .buildah, .podman:
            args =
                ["push", "--digestfile", dir + "/digest"] + (insecure ? ["--tls-verify=false"] : []) + [
                    image, "docker://" + image,
                ]
        case .docker:
            args = ["push", image]
        }
        let out: ChildProcess.Output
        do {
            out = try await ChildProcess.run(
                executable, globalArguments + args, timeout: policy.timeout, outputLimit: 64 << 10)
        } catch {
            throw TargetError("\(tool.rawValue) could not be started: \(error)", retryable: true)
        }
        guard out.status == 0, !out.timedOut else {
            let tail = out.text.split(separator: "\n").suffix(5).joined(separator: "\n")
            throw TargetError(
                out.timedOut
                    ? "the push did not finish within \(policy.timeout.components.seconds)s"
                    : "\(tool.rawValue) push of \(image) failed (exit \(out.status)):\n\(tail)",
                retryable: true)
        }
        var digest = ""
        if tool == .docker {
            let inspect = try? await ChildProcess.run(
                executable, globalArguments + ["image", "inspect", "--format", "{{join .RepoDigests \"\\n\"}}", image],
                timeout: .seconds(60), outputLimit: 64 << 10)
            let repository = image.lastIndex(of: ":").map { String(image[..<$0]) } ?? image
            digest =
                inspect?.text.split(separator: "\n").first { $0.hasPrefix(repository + "@") }.map {
                    String($0.split(separator: "@").last!)
                } ?? ""
        } else {
            digest = ((try? String(contentsOfFile: dir + "/digest", encoding: .utf8)) ?? "").trimmingCharacters(
                in: .whitespacesAndNewlines)
        }
        guard digest.hasPrefix("sha256:"), digest.count == 71 else {
            throw TargetError("\(tool.rawValue) pushed \(image) but did not report its digest", retryable: true)
        }
        return digest
    }

    /// buildah without network: the `FROM` images are pulled first (with it), then the
    /// build uses only what is in the store.
    private func pullBaseImages(_ dockerfile: String) async throws(TargetError) {
        guard let text = try? String(contentsOfFile: dockerfile, encoding: .utf8) else { return }
        for image in Self.baseImages(text) {
            if await exists(image) { continue }
            let out = try? await ChildProcess.run(
                executable, globalArguments + ["pull", image], timeout: policy.timeout, outputLimit: 64 << 10)
            if out?.status != 0 {
                let tail =
                    out.map { $0.text.split(separator: "\n").suffix(5).joined(separator: "\n") }
                    ?? "buildah could not be started"
                throw TargetError("cannot pull the base image \(image):\n\(tail)", retryable: true)
            }
        }
    }

    /// What in a Dockerfile makes the builder itself reach the network (not a `RUN` step,
    /// which `--network none` covers): `ADD` of a URL or a git repository, a `# syntax=`
    /// frontend image, and secret or ssh mounts. nil when there is none.
    static func networkUse(_ dockerfile: String) -> String? {
        for raw in dockerfile.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let lower = line.lowercased()
            if lower.hasPrefix("#"), lower.replacingOccurrences(of: " ", with: "").hasPrefix("#syntax=") {
                return "the Dockerfile asks for a frontend image (\(line))"
            }
            if lower.hasPrefix("add "), lower.contains("://") || lower.contains("git@") {
                return "the Dockerfile downloads with ADD (\(line.prefix(120)))"
            }
            if lower.contains("--mount=type=secret") || lower.contains("--mount=type=ssh") {
                return "the Dockerfile mounts the builder's secrets or ssh agent"
            }
        }
        return nil
    }

    /// The external images a Dockerfile's `FROM` lines name (not `scratch`, not earlier
    /// stages, not ones built from `ARG`s).
    static func baseImages(_ dockerfile: String) -> [String] {
        var stages = Set<String>()
        var images: [String] = []
        for raw in dockerfile.split(separator: "\n") {
            let words = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = words.first, first.uppercased() == "FROM" else { continue }
            let rest = words.dropFirst().filter { !$0.hasPrefix("--") }
            guard let image = rest.first else { continue }
            if rest.count >= 3, rest[rest.startIndex + 1].uppercased() == "AS" {
                stages.insert(rest[rest.startIndex + 2].lowercased())
            }
            if image == "scratch" || stages.contains(image.lowercased()) || image.contains("$") { continue }
            if !images.contains(image) { images.append(image) }
        }
        return images
    }
}

/// Finds the builder on first use (a probe runs `docker info` or `buildah --version`), so
/// that a daemon whose applications have no Docker function never starts one.
public final class DetectingImageBuilder: ImageBuilder {
    public let choice: String
    public let policy: BuildPolicy
    public let registry: ImageRegistry?
    private let found = Mutex<CommandImageBuilder??>(nil)

    public init(choice: String, policy: BuildPolicy = BuildPolicy(), registry: ImageRegistry? = nil) {
        self.choice = choice
        self.policy = policy
        self.registry = registry
    }

    public var builder: CommandImageBuilder? {
        if let known = found.withLock({ $0 }) { return known }
        let detected = CommandImageBuilder.detect(choice, policy: policy, registry: registry)
        found.withLock { $0 = .some(detected) }
        return detected
    }

    public func exists(_ image: String) async -> Bool {
        await builder?.exists(image) ?? false
    }

    public func build(image: String, dockerfile: String, context: String, namespace: String) async throws(TargetError) {
        guard let builder else {
            throw TargetError(
                "no Docker builder on this host (\(choice == "auto" ? "docker, podman or buildah" : choice)); the function is not deployed",
                retryable: false)
        }
        try await builder.build(image: image, dockerfile: dockerfile, context: context, namespace: namespace)
    }

    public func push(_ image: String) async throws(TargetError) -> String {
        guard let builder else { throw TargetError("no Docker builder on this host to push with", retryable: false) }
        return try await builder.push(image)
    }
}
