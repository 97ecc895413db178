import Foundation
import Logging
import Manifest
import State
import Toolkit

/// Application sets in the daemon's loop: their files come with each scan of the apps
/// dir, their listings run as tasks beside the looks (never holding a sync slot), and the
/// applications they make join the apps dir's registrations in `reconcile`.
extension Supervisor {
    /// The set files of a scan that this shard owns (by the set's namespace).
    func ownedSets(_ files: [SetFile]) -> [SetFile] {
        files.filter { file in
            switch file.result {
            case .success(let set): return owns(set.namespace)
            case .failure(let failure):
                let name = file.name ?? ""
                return owns(sets.entries[name]?.set?.namespace ?? failure.declaredNamespace ?? name)
            }
        }
    }

    /// The apps dir's entries with the sets' applications added (files first).
    func withGenerated(_ files: [String: AppEntry], setFiles: [SetFile], startup: Bool) async -> [String: AppEntry] {
        let gone = sets.update(
            ownedSets(setFiles), layout: layout, now: now(), startup: startup, owns: { self.owns($0) })
        for name in gone {
            logger.info(
                "application set removed; its applications are undeployed after the grace", metadata: ["set": "\(name)"]
            )
            listTasks.removeValue(forKey: name)?.cancel()
        }
        var entries = files
        let runner = self.runner
        for (name, entry) in sets.resolve(files: files, namespaceOf: { runner.status($0)?.namespace }) {
            entries[name] = entry
        }
        await writeSets()
        return entries
    }

    /// Writes the sets' statuses and records that changed.
    func writeSets() async {
        let (statuses, records) = sets.writes(now: now())
        guard !statuses.isEmpty || !records.isEmpty else { return }
        let layout = self.layout
        let logger = self.logger
        await BlockingPool.files.run {
            for record in records {
                do { try layout.writeSetRecord(record) } catch {
                    logger.error(
                        "cannot write an application set's record",
                        metadata: ["set": "\(record.set.name)", "error": "\(error)"])
                }
            }
            for status in statuses {
                do { try layout.writeSetStatus(status) } catch {
                    logger.error(
                        "cannot write an application set's status",
                        metadata: ["set": "\(status.name)", "error": "\(error)"])
                }
            }
        }
    }

    /// Starts a listing as a task of its own (like a look: not a child of the loop's group).
    func startListing(_ job: SetController.Job) {
        let lister = self.lister
        logger.debug("listing an application set", metadata: ["set": "\(job.name)", "generators": "\(job.indexes)"])
        listTasks[job.name] = Task {
            let results = await lister.list(job.set, indexes: job.indexes)
            await self.listingFinished(job, results)
        }
    }

    func listingFinished(_ job: SetController.Job, _ results: [Int: Result<SetLister.Listing, SetLister.Failure>])
        async
    {
        listTasks[job.name] = nil
        sets.finished(job, results, now: now())
        for case (let i, .failure(let failure)) in results.sorted(by: { $0.key < $1.key }) {
            logger.error(
                "application set generator failed; the set keeps the applications it made",
                metadata: ["set": "\(job.name)", "generator": "\(i)", "error": "\(failure.message)"])
        }
        // The loop reads the apps dir again and makes the applications (one reconcile at a
        // time: a reconcile from here would interleave with the loop's at its awaits).
        scheduleScan()
        wakeup.signal()
    }

    /// `requests/NAME.list`: list the set now (a webhook for its repository). Removed once read.
    func setRequestArrived(_ file: String) {
        guard let name = StateLayout.set(ofRequestFile: file) else { return }
        unlink(layout.requestsDir + "/" + file)
        sets.request(name, now: now())
    }

    func pendingSetRequests() {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: layout.requestsDir)) ?? []
        for file in files where StateLayout.set(ofRequestFile: file) != nil { setRequestArrived(file) }
    }
}

extension Supervisor.Configuration {
    /// `--set-min-interval` in seconds.
    public var setMinInterval: Double {
        get { sets.minInterval }
        set { sets.minInterval = newValue }
    }
    /// `--max-apps-per-set`.
    public var maxAppsPerSet: Int {
        get { sets.maxPerSet }
        set { sets.maxPerSet = newValue }
    }
    /// `--max-apps-per-namespace` (the sets' applications count with the files).
    public var maxAppsPerNamespace: Int? {
        get { sets.maxPerNamespace }
        set { sets.maxPerNamespace = newValue }
    }
    /// `--public-url`: the base of previews' URLs.
    public var publicURL: String? {
        get { sets.publicURL }
        set { sets.publicURL = newValue }
    }
}
