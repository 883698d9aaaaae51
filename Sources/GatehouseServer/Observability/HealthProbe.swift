import GatehouseStorage

/// The database probe behind the health routes. It runs at most once a second whatever the
/// request rate, so a load balancer polling health never loads the database.
actor HealthProbe {
    struct Result: Sendable {
        var healthy: Bool
        var latency: Duration?
    }

    private let store: Store
    private let clock = ContinuousClock()
    private var last: (at: ContinuousClock.Instant, result: Result)?

    init(store: Store) {
        self.store = store
    }

    func check() async -> Result {
        if let last, clock.now - last.at < .seconds(1) { return last.result }
        let result = await probe()
        last = (clock.now, result)
        return result
    }

    private func probe() async -> Result {
        let store = self.store
        return await withTaskGroup(of: Result?.self) { group in
            group.addTask {
                guard let latency = try? await store.ping() else { return Result(healthy: false, latency: nil) }
                return Result(healthy: true, latency: latency)
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(2))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? Result(healthy: false, latency: nil)
        }
    }
}
