import Notify
import ServiceLifecycle

/// The notifier as a service: delivers until the daemon shuts down (what is undelivered
/// then stays in the outbox for the next start).
public struct NotifierService: Service {
    public let notifier: Notifier

    public init(notifier: Notifier) {
        self.notifier = notifier
    }

    public func run() async throws {
        let notifier = self.notifier
        await cancelWhenGracefulShutdown {
            await notifier.run()
        }
    }
}
