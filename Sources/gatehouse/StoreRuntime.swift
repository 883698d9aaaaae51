import GatehouseCore
import GatehouseStorage
import Logging
import ServiceLifecycle

/// Runs a backend's background work while `body` uses the store.
enum StoreRuntime {
    static func withStore<T: Sendable>(
        _ url: DatabaseURL, logger: Logger, _ body: @Sendable @escaping (Store) async throws -> T
    ) async throws -> T {
        let backend = try await url.openBackend(logger: logger)
        let result = await Result(catching: {
            try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    await backend.run()
                    return nil
                }
                group.addTask { try await body(Store(backend: backend)) }
                defer { group.cancelAll() }
                while let result = try await group.next() {
                    if let result { return result }
                }
                fatalError("the body task always returns a value")
            }
        })
        await backend.shutdown()
        return try result.get()
    }
}

/// The backend's background work as a service of the application, stopped last.
struct BackendService: Service {
    let backend: any DatabaseBackend

    func run() async throws {
        // Ends on graceful shutdown or cancellation; either way the connections are closed.
        try? await cancelWhenGracefulShutdown { await backend.run() }
        await backend.shutdown()
    }
}
