import HTTPFacade
import ServiceLifecycle

/// Keeps the REST facade's list of status documents live from the status feed, for as
/// long as the daemon runs (see `Facade.followStatus`).
struct StatusCacheService: Service {
    let facade: Facade

    func run() async throws {
        let facade = self.facade
        await cancelWhenGracefulShutdown {
            await facade.followStatus()
        }
    }
}
