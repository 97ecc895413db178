import Foundation
import Logging
import Manifest
import State
import Toolkit

/// What the supervisor hears: inotify events of the apps dir and the requests dir (sync
/// requests, test notification requests), the periodic rescans, and the registrations
/// they bring.
extension Supervisor {
    func handle(_ event: FolderWatcher.Event) async {
        switch event {
        case .changed(let directory, let name), .created(let directory, let name):
            if directory == configuration.appsDir {
                // Registration files, and the `..data` swap of a Kubernetes ConfigMap. A
                // file just created (`cp`, `cat >`) is still being written: its close
                // comes next, so it waits for the window's end instead of a read at once.
                if AppsDir.isRegistrationName(name) || name.hasPrefix("..") {
                    if case .created = event { scheduleScan(waiting: true) } else { scheduleScan() }
                }
            } else if directory == layout.requestsDir, let app = SyncRequests.application(ofFile: name) {
                requestArrived(app)
            } else if directory == layout.requestsDir, NotificationTestRequest.parse(fileName: name) != nil {
                await notificationTestArrived(name)
            } else if directory == layout.requestsDir, StateLayout.set(ofRequestFile: name) != nil {
                setRequestArrived(name)
            }
        case .rescan(let directory):
            if directory == configuration.appsDir {
                scheduleScan()
                // Deleted or moved away (its watch went with it), or an overflow: watched
                // again by the next rescan (a folder already watched stays as it is).
                watchingAppsDir = false
            } else {
                watchingRequestsDir = false
                requests.pending().forEach(requestArrived)
                for file in NotificationTestRequest.pending(in: layout) { await notificationTestArrived(file) }
                pendingSetRequests()
            }
        }
        wakeup.signal()
    }

    /// A scan at once when none ran in the last `debounce` seconds (a file renamed into
    /// place is synced without waiting), else at the window's end: a burst of events (a
    /// ConfigMap swap, Ansible writing many files) costs at most one scan per window.
    func scheduleScan(waiting: Bool = false) {
        let earliest = waiting ? now().addingTimeInterval(configuration.debounce) : now()
        if scanDue == nil { scanDue = max(earliest, lastEventScan.addingTimeInterval(configuration.debounce)) }
    }

    func requestArrived(_ name: String) {
        guard let identity = requests.identity(name) else {
            stuckRequests[name] = nil
            return
        }
        if let stuck = stuckRequests[name] {
            if stuck == identity { return }
            stuckRequests[name] = nil
        }
        switch scheduler.request(name, trigger: requests.kind(name).trigger) {
        case .queued, .keep: break
        case .discard:
            // Nothing to sync: the status already says why.
            if let reason = requests.remove(name) { requestStuck(name, identity, reason) }
        }
    }

    /// A handled request that cannot be removed (written by another user, root, into a
    /// folder the daemon's user may not change): said once, and not acted on again until
    /// the file changes.
    func requestStuck(_ name: String, _ identity: SyncRequests.Identity, _ reason: String) {
        guard stuckRequests[name] != identity else { return }
        stuckRequests[name] = identity
        logger.error(
            "cannot remove a handled sync request; it is not acted on again until it changes (remove it by hand)",
            metadata: ["app": "\(name)", "file": "\(layout.requestFile(name))", "error": "\(reason)"])
    }

    func rescanAll(startup: Bool) async {
        // A missing apps dir is looked for more often: it may be mounted any moment.
        nextRescan = now().addingTimeInterval(
            watchingAppsDir ? configuration.rescanInterval : min(configuration.rescanInterval, 5))
        await reconcile(appsDir.scan(), startup: startup)
        requests.pending().forEach(requestArrived)
        for file in NotificationTestRequest.pending(in: layout) { await notificationTestArrived(file) }
        pendingSetRequests()
    }

    // MARK: Registrations

    func reconcile(_ scan: AppsDir.Scan, startup: Bool) async {
        guard scan.readable else {
            if appsDirProblem != scan.problem {
                logger.error(
                    "apps dir unreadable; nothing is undeployed while it is",
                    metadata: ["problem": "\(scan.problem ?? "")"])
                appsDirProblem = scan.problem
            }
            if startup {
                // Resume what the state dir knows; the registrations come back with the folder.
                for name in layout.applications() where apps[name] == nil { apps[name] = App() }
            }
            return
        }
        if appsDirProblem != nil {
            logger.info("apps dir readable again", metadata: ["apps_dir": "\(configuration.appsDir)"])
            appsDirProblem = nil
        }
        let (files, unnamed) = AppsDir.resolve(scan.files)
        let entries = await withGenerated(files, setFiles: scan.sets, startup: startup)
        for file in unnamed {
            logger.error(
                "registration file ignored: no usable application name in it or in its file name",
                metadata: ["file": "\(file.path)"])
        }
        for (name, entry) in entries.sorted(by: { $0.key < $1.key }) {
            // Scale-out: another shard's application is neither synced nor written here.
            if !owns(ownershipKey(name, entry)) {
                disown(name)
                continue
            }
            var app = apps[name] ?? App()
            let removing = scheduler.isRemoving(name)
            if let old = app.entry, old.digest == entry.digest, !removing { continue }
            // Its lease first (taken over only once released or expired): until then the
            // next rescan tries again.
            if !holdLease(name) { continue }
            var previousNamespace: String?
            if case .valid(let old, _, _)? = app.entry { previousNamespace = old.namespace }
            app.entry = entry
            app.memo = nil
            app.key = nil
            let previous = runner.status(name)
            switch entry {
            case .valid(let registration, let file, _):
                app.key = runner.context.key(registration)
                apps[name] = app
                // A request written before the registration was read (POST, then sync).
                let trigger: Scheduler.Trigger =
                    requests.exists(name) ? requests.kind(name).trigger : (startup ? .startup : .registration)
                scheduler.register(name, spec: runner.context.spec(registration), trigger: trigger)
                if let previousNamespace, previousNamespace != registration.namespace {
                    // Another application under the same name: what the old one deployed is
                    // undeployed in its own namespace before this one deploys anything.
                    logger.info(
                        "the name now belongs to another namespace; the old deployments are undeployed there first",
                        metadata: ["app": "\(name)", "from": "\(previousNamespace)", "to": "\(registration.namespace)"])
                } else if removing {
                    logger.info(
                        "registration back within the grace period; nothing undeployed", metadata: ["app": "\(name)"])
                }
                if !registration.syncPolicy.automated && !registration.syncPolicy.suspend && !trigger.isAsked {
                    // Manual: looked at only on request. A new or fixed registration says so.
                    if previous == nil || previous?.status == .pending || previous?.status == .invalid {
                        await runner.publish(
                            .pending(
                                registration, file: file, previous: previous,
                                message:
                                    "syncPolicy.automated is false: synced only on request (zerverless-gitops sync \(name))"
                            ))
                    }
                } else if previous == nil {
                    await runner.publish(.pending(registration, file: file, previous: nil))
                }
                if !startup { logger.info("registration loaded", metadata: ["app": "\(name)", "file": "\(file)"]) }
            case .invalid(let file, let diagnostics, _, let namespace):
                apps[name] = app
                scheduler.unusable(name)
                await runner.registrationFailed(
                    .invalidRegistration(
                        name: name, file: file, diagnostics: diagnostics, previous: previous, namespace: namespace))
                logger.error(
                    "registration invalid; this application is not synced until the file changes",
                    metadata: [
                        "app": "\(name)", "file": "\(file)",
                        "error": "\(diagnostics.map(\.description).joined(separator: "; "))",
                    ])
            case .duplicate(let files):
                apps[name] = app
                scheduler.unusable(name)
                await runner.registrationFailed(.duplicate(name: name, files: files, previous: previous))
                logger.error(
                    "duplicate application name",
                    metadata: ["app": "\(name)", "files": "\(files.joined(separator: ", "))"])
            }
        }
        // Registrations that went away (and, at startup, applications the state dir knows
        // that no file registers any more): undeployed after the grace.
        var gone = apps.keys.filter { entries[$0] == nil && !scheduler.isRemoving($0) }
        if startup { gone += layout.applications().filter { entries[$0] == nil && apps[$0] == nil } }
        for name in Set(gone).sorted() {
            // Only the owner undeploys, under its lease.
            if !owns(ownershipKey(name, apps[name]?.entry)) {
                disown(name)
                continue
            }
            if !holdLease(name) { continue }
            var app = apps[name] ?? App()
            app.memo = nil
            apps[name] = app
            // A deletion interrupted by a restart continues; its grace starts again.
            let due = scheduler.remove(name, now: now())
            await runner.publish(.deleting(name: name, previous: runner.status(name), at: due))
            logger.info(
                "registration removed; undeploying after the grace period",
                metadata: ["app": "\(name)", "grace_s": "\(Int(configuration.scheduler.removalGrace))"])
        }
    }

    // MARK: Watching

    /// Watches the apps dir and the requests dir through the process's folder watcher (the
    /// subscription `run` made); called again by the rescan while one is not watched
    /// (missing, or deleted and made again).
    func restartWatcher() async {
        guard let subscription else { return }
        do {
            if !watchingRequestsDir {
                try await subscription.watch(layout.requestsDir)
                watchingRequestsDir = true
            }
        } catch {
            logger.error("cannot watch; relying on the periodic rescan", metadata: ["error": "\(error)"])
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: configuration.appsDir, isDirectory: &isDir), isDir.boolValue
        else {
            watchingAppsDir = false
            return
        }
        do {
            try await subscription.watch(configuration.appsDir)
            watchingAppsDir = true
            scheduleScan()
        } catch {
            watchingAppsDir = false
            logger.error("cannot watch; relying on the periodic rescan", metadata: ["error": "\(error)"])
        }
    }
}
