import Foundation
import Logging
import Manifest
import State

/// Test notifications asked for through the requests dir (`NAME.ID.notify-test`): the
/// owner of NAME answers with an outbox entry; other shards leave the request alone.
extension Supervisor {
    /// A test request arrived (or was found by a rescan).
    func notificationTestArrived(_ file: String) async {
        guard let (name, id) = NotificationTestRequest.parse(fileName: file) else { return }
        let entry = apps[name]?.entry
        guard owns(ownershipKey(name, entry)) else { return }
        guard let request = NotificationTestRequest.read(fileName: file, in: layout) else {
            // Gone (answered after another event of the same file), or not JSON: dropped.
            if FileManager.default.fileExists(atPath: layout.requestsDir + "/" + file) {
                NotificationTestRequest.remove(fileName: file, in: layout)
                logger.warning("unreadable test notification request removed", metadata: ["file": "\(file)"])
            }
            return
        }
        // Removed first: a second event of the same file finds nothing to answer.
        NotificationTestRequest.remove(fileName: file, in: layout)
        guard request.app == name, request.id == id else {
            logger.warning(
                "test notification request whose content does not match its name ignored", metadata: ["file": "\(file)"]
            )
            return
        }
        guard request.expires > now() else {
            logger.info("expired test notification request removed", metadata: ["app": "\(name)", "id": "\(id)"])
            return
        }
        let status = runner.status(name)
        let notifications = runner.context.notifications
        switch entry {
        case .valid(let registration, _, _)?:
            await notifications.test(
                request, notify: registration.notify, namespace: registration.namespace, status: status, now: now())
        case .invalid(_, _, _, let namespace?)?:
            // The endpoints of its last good look, if they were of this namespace.
            await notifications.test(
                request, notify: notifications.endpoints(of: name, namespace: namespace), namespace: namespace,
                status: status, now: now())
        default:
            let namespace = status?.namespace ?? ""
            await notifications.test(
                request, notify: namespace.isEmpty ? [] : notifications.endpoints(of: name, namespace: namespace),
                namespace: namespace, status: status, now: now())
        }
    }
}
