import Foundation
import Manifest
import State
import Synchronization
import Toolkit

/// Executes a plan against a target: deploys, then uploads, then deletes, with bounded
/// parallelism. Before each batch of calls the inventory records the intent (records with
/// a nil fingerprint or id) and is saved: a crash between two calls leaves nothing
/// deployed that the inventory does not know, and the next sync redoes exactly what was
/// not confirmed. Confirmations are saved with the next intent and at the end.
public struct Applier: Sendable {
    public var app: String
    public var target: any DeployTarget
    /// Persists the inventory (atomically).
    public var save: @Sendable (Inventory) throws -> Void
    /// A blob's bytes by id (from the git object database).
    public var content: @Sendable (String) throws -> [UInt8]
    public var checker: CodeChecker?
    public var builder: (any ImageBuilder)?
    /// Writes a folder of the application (relative path) into a local folder: the Docker
    /// build context, materialized from the object database.
    public var export: (@Sendable (String, String) throws -> Void)?
    public var parallelism = 8
    public var batchSize = 256
    /// Where blocking work (syntax checks, blob reads, inventory saves) runs; nil: here.
    public var pool: BlockingPool?
    /// Told each item done, by stage (the status's `progress` while syncing).
    public var progress: ApplyProgress?

    public init(
        app: String, target: any DeployTarget, save: @escaping @Sendable (Inventory) throws -> Void,
        content: @escaping @Sendable (String) throws -> [UInt8], checker: CodeChecker? = nil,
        builder: (any ImageBuilder)? = nil
    ) {
        self.app = app
        self.target = target
        self.save = save
        self.content = content
        self.checker = checker
        self.builder = builder
    }

    struct Problem: Error {
        let message: String
        /// Where, for a syntax error: zerverless.yaml or the code file, and the line.
        var file: String?
        var line: Int?
        init(_ message: String, file: String? = nil, line: Int? = nil) {
            self.message = message
            self.file = file
            self.line = line
        }
    }

    enum Outcome: Sendable {
        case ok
        case failed(String, retryable: Bool)
    }

    /// `marker` is recorded in the inventory if the apply is clean and complete.
    public func apply(_ plan: Plan, desired: DesiredState, inventory start: Inventory, marker: Inventory.Synced? = nil)
        async -> ApplyReport
    {
        var start = start
        start.synced = nil
        var report = ApplyReport(inventory: start)
        let ns = desired.namespace
        let commit = desired.commit

        // 1. Functions: prepare (load code, check syntax) before recording any intent.
        // The syntax checks start an interpreter each: they run side by side, on the pool.
        let specs = plan.functions.filter { $0.action != .delete }.compactMap(\.spec)
        // Which images exist already (a builder process each) is asked meanwhile.
        async let existingImages = imagesPresent(specs.compactMap { $0.runtime == .docker ? $0.image : nil })
        let checked = StageCount(.check, total: specs.count, progress)
        let prepared = await withTaskGroup(of: (Int, Result<DeployRequest, Problem>).self) { group in
            for (i, spec) in specs.enumerated() {
                let deployed = start.functions[spec.path]?.fingerprint != nil
                group.addTask {
                    let result = await offload { prepare(spec, namespace: ns, commit: commit, deployed: deployed) }
                    checked.one()
                    return (i, result)
                }
            }
            var out = [Result<DeployRequest, Problem>?](repeating: nil, count: specs.count)
            for await (i, result) in group { out[i] = result }
            return out
        }
        var deploys: [(FunctionSpec, DeployRequest)] = []
        for (spec, result) in zip(specs, prepared) {
            switch result! {
            case .success(let request): deploys.append((spec, request))
            case .failure(let problem):
                report.functionFailures[spec.path] = SyncError(
                    .deploy, problem.message, file: problem.file, line: problem.line)
            }
        }
        let existing = await existingImages
        // Pushed images by function path: what the work closure learned, for its confirmation.
        let pushed = Mutex<[String: String]>([:])
        let previous = start.functions
        let built = StageCount(.build, total: deploys.count { $0.0.runtime == .docker }, progress)
        await batches(
            deploys, &report, stage: .deploy,
            intend: { item, report in
                report.inventory.functions[item.0.path] = Inventory.Function(
                    runtime: item.0.runtime.rawValue, codeID: nil, image: nil,
                    port: nil, fingerprint: nil, commit: commit)
            },
            work: { item in
                let (spec, request) = item
                if spec.runtime == .docker {
                    guard let builder else {
                        return .failed(
                            "no Docker builder on this host (docker, podman or buildah); the function is not deployed",
                            retryable: false)
                    }
                    do throws(TargetError) {
                        try await buildImage(spec, builder, namespace: ns, exists: spec.image.map(existing.contains))
                        built.one()
                    } catch { return .failed("image build failed: \(error.message)", retryable: error.retryable) }
                    if let registry = builder.registry, let image = spec.image {
                        // Deployed by digest; an image pushed before for the same inputs is not pushed again.
                        var request = request
                        if let before = previous[spec.path], before.codeID == spec.codeID, let ref = before.image,
                            registry.isPushed(ref, of: image)
                        {
                            request.code = ref
                        } else {
                            do throws(TargetError) {
                                request.code = registry.byDigest(image, digest: try await builder.push(image))
                            } catch {
                                return .failed(
                                    "image push to \(registry.base) failed: \(error.message)",
                                    retryable: error.retryable)
                            }
                        }
                        pushed.withLock { $0[spec.path] = request.code }
                        return await call { () async throws(TargetError) in try await target.deploy(request) }
                    }
                }
                return await call { () async throws(TargetError) in try await target.deploy(request) }
            },
            confirmed: { item, report in
                let spec = item.0
                let image = pushed.withLock { $0[spec.path] } ?? spec.image
                report.inventory.functions[spec.path] = Inventory.Function(
                    runtime: spec.runtime.rawValue, codeID: spec.codeID, image: image,
                    port: spec.port, fingerprint: spec.fingerprint, commit: commit)
                report.deployed.append(spec.path)
            }, failed: { item, failure, report in report.functionFailures[item.0.path] = failure(.deploy) })

        // 2. Static files.
        await batches(
            plan.files.filter { $0.action != .delete }, &report, stage: .static,
            intend: { change, report in
                report.inventory.files[change.path] = Inventory.File(id: nil, size: change.spec?.size ?? 0)
            },
            work: { change in
                guard let spec = change.spec else { return .failed("no content", retryable: false) }
                let bytes: [UInt8]
                do {
                    bytes = try await offload { try content(spec.id) }
                } catch {
                    return .failed("cannot read blob \(spec.id): \(error)", retryable: true)
                }
                return await call { () async throws(TargetError) in
                    try await target.upload(namespace: ns, path: change.path, bytes: bytes)
                }
            },
            confirmed: { change, report in
                report.inventory.files[change.path] = Inventory.File(id: change.spec?.id, size: change.spec?.size ?? 0)
                report.uploaded += 1
            }, failed: { change, failure, report in report.fileFailures[change.path] = failure(.static) })

        // 3. Deletes last: a record leaves the inventory only once the target confirmed.
        await batches(
            plan.functions.filter { $0.action == .delete }.map(\.path), &report, stage: .prune, intend: nil,
            work: { path in
                await call { () async throws(TargetError) in try await target.undeploy(namespace: ns, path: path) }
            },
            confirmed: { path, report in
                report.inventory.functions[path] = nil
                report.undeployed.append(path)
            }, failed: { path, failure, report in report.functionFailures[path] = failure(.prune, "undeploy failed: ") }
        )
        await batches(
            plan.files.filter { $0.action == .delete }.map(\.path), &report, stage: .prune, intend: nil,
            work: { path in
                await call { () async throws(TargetError) in try await target.deleteFile(namespace: ns, path: path) }
            },
            confirmed: { path, report in
                report.inventory.files[path] = nil
                report.deletedFiles += 1
            }, failed: { path, failure, report in report.fileFailures[path] = failure(.static, "delete failed: ") })

        // One final save with every confirmation (and, after a clean apply, the marker for
        // the fast paths). Confirmations need no save of their own: losing one to a crash
        // only means an idempotent call is made again.
        if !report.failed, plan.conflicts.isEmpty { report.inventory.synced = marker }
        await persist(&report)
        report.deployed.sort()
        return report
    }

    /// A failed call of a batch, made a `SyncError` by the stage its step is in.
    private struct Failure {
        var message: String
        var retry: SyncError.Retry
        func callAsFunction(_ stage: SyncStage, _ prefix: String = "") -> SyncError {
            SyncError(stage, prefix + message, retry: retry)
        }
    }

    /// The one batch loop of an apply: for each batch, the intents recorded and saved
    /// first (when there are), then the calls (at most `parallelism` at once), then each
    /// outcome folded into the report.
    private func batches<T: Sendable>(
        _ items: [T], _ report: inout ApplyReport, stage: ApplyProgress.Stage,
        intend: ((T, inout ApplyReport) -> Void)?,
        work: @escaping @Sendable (T) async -> Outcome,
        confirmed: (T, inout ApplyReport) -> Void,
        failed: (T, Failure, inout ApplyReport) -> Void
    ) async {
        let count = StageCount(stage, total: items.count, progress)
        let counted: @Sendable (T) async -> Outcome = { item in
            let outcome = await work(item)
            count.one()
            return outcome
        }
        for batch in items.chunked(batchSize) {
            if let intend {
                for item in batch { intend(item, &report) }
                await persist(&report)
            }
            let results = await run(batch, counted)
            for (item, outcome) in zip(batch, results) {
                switch outcome {
                case .ok:
                    confirmed(item, &report)
                case .failed(let message, let retryable):
                    failed(item, Failure(message: message, retry: retryable ? .retryable : .stalled), &report)
                }
            }
        }
    }

    /// One target call as an outcome.
    private func call(_ body: () async throws(TargetError) -> Void) async -> Outcome {
        do throws(TargetError) {
            try await body()
            return .ok
        } catch {
            return .failed(error.message, retryable: error.retryable)
        }
    }

    /// Blocking work on the pool (or here, without one).
    private func offload<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        guard let pool else { return body() }
        return await pool.run(body)
    }

    private func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        guard let pool else { return try body() }
        return try await pool.run(body)
    }

    /// Materializes the context (and a Dockerfile outside it) and builds, unless the image,
    /// whose tag is a digest of exactly these inputs, already exists.
    /// `exists`: already asked (nil: ask now).
    private func buildImage(_ spec: FunctionSpec, _ builder: any ImageBuilder, namespace: String, exists: Bool?)
        async throws(TargetError)
    {
        guard case .docker(let dockerfile, let dockerfileID, let context) = spec.code, let image = spec.image else {
            return
        }
        if let exists { if exists { return } } else if await builder.exists(image) { return }
        guard let export else { throw TargetError("no way to materialize the build context", retryable: false) }
        let dir: String
        do { dir = try ScratchFolder.make("zg-build") } catch { throw TargetError("\(error)", retryable: true) }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let contextDir = dir + "/context"
        var dockerfilePath: String
        do {
            try export(context, contextDir)
            // Paths arrive in RepoPath's escaped form; the builder gets the file's real name.
            func onDisk(_ escaped: some StringProtocol) -> String {
                String(decoding: RepoPath.unescape(String(escaped)), as: UTF8.self)
            }
            if context == "." {
                dockerfilePath = contextDir + "/" + onDisk(dockerfile)
            } else if dockerfile.hasPrefix(context + "/") {
                dockerfilePath = contextDir + "/" + onDisk(dockerfile.dropFirst(context.count + 1))
            } else {
                dockerfilePath = dir + "/Dockerfile"
                _ = FileManager.default.createFile(atPath: dockerfilePath, contents: Data(try content(dockerfileID)))
            }
        } catch {
            throw TargetError("cannot write the build context: \(error)", retryable: true)
        }
        try await builder.build(image: image, dockerfile: dockerfilePath, context: contextDir, namespace: namespace)
    }

    /// The images among `images` the builder has, asked side by side (at most
    /// `parallelism` builder processes at once, as for the builds).
    private func imagesPresent(_ images: [String]) async -> Set<String> {
        guard let builder, !images.isEmpty else { return [] }
        let unique = Array(Set(images))
        let present = await unique.boundedMap(limit: parallelism) { await builder.exists($0) }
        return Set(zip(unique, present).filter { $0.1 == true }.map(\.0))
    }

    private func persist(_ report: inout ApplyReport) async {
        let inventory = report.inventory
        let save = self.save
        do {
            try await offload { () throws -> Void in try save(inventory) }
        } catch {
            report.functionFailures["(inventory)"] = SyncError(
                .deploy, "cannot save the inventory: \(error)", retry: .retryable)
        }
    }

    /// Runs `work` over `items` with at most `parallelism` at once; results in item order.
    private func run<T: Sendable>(_ items: [T], _ work: @escaping @Sendable (T) async -> Outcome) async -> [Outcome] {
        await items.boundedMap(limit: parallelism, work).map { $0 ?? .failed("not run", retryable: true) }
    }
}
