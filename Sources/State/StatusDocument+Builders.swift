import Foundation
import Manifest
import Toolkit

// MARK: Builders: every status document the daemon and the facade write starts here.

extension StatusDocument {
    /// The document of a registration: its source (URL redacted) and file, carried over
    /// from `previous` (last sync, commit, functions) when that was the same application,
    /// i.e. of the same namespace. A document of another namespace is not carried over: the
    /// name was another application's.
    public static func base(for registration: Registration, file: String?, previous: StatusDocument?) -> StatusDocument
    {
        let carried = previous.flatMap { $0.namespace == registration.namespace || $0.namespace.isEmpty ? $0 : nil }
        var doc =
            carried
            ?? StatusDocument(
                name: registration.name, namespace: registration.namespace,
                source: .init(repoURL: "", branch: "", path: ""), status: .pending)
        doc.name = registration.name
        doc.namespace = registration.namespace
        // The tag a semver range resolved to stays while the range is the same.
        let resolved = doc.source.ref?.semver == registration.source.ref.value ? doc.source.ref?.resolved : nil
        doc.source = .init(
            repoURL: registration.source.repoURL.redacted, branch: registration.source.branch,
            path: registration.source.path, commit: doc.source.commit,
            ref: Ref(registration.source.ref, resolved: resolved), lastAttemptedCommit: doc.source.lastAttemptedCommit)
        if let file { doc.registrationFile = file }
        doc.labels = registration.labels.isEmpty ? nil : registration.labels
        doc.progress = nil
        doc.generatedBy = registration.generatedBy
        doc.preview = registration.pathPrefix.map { .init(pathPrefix: $0, url: "", functions: []) }
        return doc
    }

    /// The preview's URLs from the functions deployed and `base` (`--public-url`, no
    /// trailing slash; "" for paths from the root).
    public mutating func fillPreview(base: String) {
        guard let prefix = preview?.pathPrefix else { return }
        preview = .init(
            pathPrefix: prefix, url: "\(base)/static/\(namespace)\(prefix)/index.html",
            functions: functions.map { base + $0.url })
    }

    /// Registered, not synced yet (or waiting for a sync request).
    public static func pending(
        _ registration: Registration, file: String?, previous: StatusDocument?,
        message: String = "registered; waiting for the first sync"
    ) -> StatusDocument {
        var doc = base(for: registration, file: file, previous: previous)
        doc.status = .pending
        doc.message = message
        doc.error = nil
        doc.nextSync = nil
        return doc
    }

    /// A registration file that is not valid: the first diagnostic in the message, all of
    /// them in `error.message`, its place in `error.file/line/column`.
    /// `namespace`: the one the file declares, shown when no earlier status names one (an
    /// application's status never moves to another namespace because its file broke).
    public static func invalidRegistration(
        name: String, file: String, diagnostics: [Diagnostic], previous: StatusDocument?, namespace: String? = nil
    ) -> StatusDocument {
        let first = diagnostics.first
        let more = diagnostics.count > 1 ? " (and \(diagnostics.count - 1) more)" : ""
        let message = (first.map { ($0.field.map { "\($0): " } ?? "") + $0.message } ?? "invalid") + more
        var doc =
            previous
            ?? StatusDocument(
                name: name, namespace: "", source: .init(repoURL: "", branch: "", path: ""), status: .invalid)
        if doc.namespace.isEmpty, let namespace { doc.namespace = namespace }
        doc.status = .invalid
        doc.message = "registration: \(message)"
        doc.error = .init(
            stage: .registration, message: diagnostics.map(\.description).joined(separator: "\n"),
            file: file, line: first?.line, column: first?.column)
        doc.nextSync = nil
        doc.registrationFile = file
        return doc
    }

    /// A name two or more files claim: neither is synced.
    public static func duplicate(name: String, files: [String], previous: StatusDocument?) -> StatusDocument {
        let message =
            "the name \"\(name)\" is claimed by \(files.count) files: \(files.joined(separator: ", ")); neither is synced until one is renamed or removed"
        var doc =
            previous
            ?? StatusDocument(
                name: name, namespace: "", source: .init(repoURL: "", branch: "", path: ""), status: .invalid)
        doc.status = .invalid
        doc.message = message
        doc.error = .init(stage: .registration, message: message, file: files.first)
        doc.nextSync = nil
        doc.registrationFile = files.first
        return doc
    }

    /// The registration is gone: undeployed at `nextSync` (the end of the grace), or an
    /// undeploy that failed and is retried then.
    public static func deleting(name: String, previous: StatusDocument?, at nextSync: Date?, failure: Failure? = nil)
        -> StatusDocument
    {
        var doc =
            previous
            ?? StatusDocument(
                name: name, namespace: "", source: .init(repoURL: "", branch: "", path: ""), status: .deleting)
        doc.status = .deleting
        doc.message =
            failure == nil
            ? "registration file removed; undeployed at the time of nextSync unless it comes back"
            : "undeploy failed; retried at the time of nextSync"
        doc.error = failure
        doc.nextSync = nextSync
        return doc
    }

    /// `syncPolicy.suspend`: no syncs at all.
    public mutating func suspend() {
        status = .suspended
        message = "syncPolicy.suspend is true: no syncs"
        error = nil
        nextSync = nil
        progress = nil
    }

    /// A state-side suspension (`zerverless-gitops suspend`).
    public mutating func suspend(_ reason: String?, since: Date) {
        status = .suspended
        suspended = .init(reason: reason, since: since)
        message =
            "suspended since \(SyncHistory.timestamp(since))" + (reason.map { ": \($0)" } ?? "")
            + "; no syncs until `zerverless-gitops resume \(name)`"
        error = nil
        nextSync = nil
        progress = nil
    }

    /// A real sync of `commit` begins.
    public mutating func beginSync(_ commit: String, at time: Date) {
        status = .syncing
        lastAttempt = time
        source.lastAttemptedCommit = commit
        message = "syncing \(commit.prefix(12))"
        nextSync = nil
    }

    /// A failed attempt: `error` (retried) or `invalid` (waits for a change); what was
    /// deployed and `lastSync`/`source.commit` stay.
    public mutating func fail(_ failure: Failure, invalid: Bool, at time: Date, nextSync next: Date?) {
        status = invalid ? .invalid : .error
        lastAttempt = time
        error = failure
        message = "\(failure.stage.rawValue): \(failure.message)"
        nextSync = next
    }

    /// A successful sync of `commit`.
    public mutating func succeed(_ commit: String, at time: Date, nextSync next: Date?) {
        status = .synced
        lastAttempt = time
        lastSync = time
        source.commit = commit
        source.lastAttemptedCommit = commit
        error = nil
        let f = functions.count
        let s = self.static?.files ?? 0
        message = "\(f) function\(f == 1 ? "" : "s"), \(s) static file\(s == 1 ? "" : "s")"
        nextSync = next
    }
}
