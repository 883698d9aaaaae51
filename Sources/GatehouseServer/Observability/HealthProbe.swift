import GatehouseStorage
import Synchronization

/// The database probe behind the health routes. It runs at most once a second whatever the
/// request rate — concurrent callers share the probe in flight — so a load balancer polling
/// health never loads the database, least of all while it is slow.
actor HealthProbe {
    struct Result: Sendable {
        var healthy: Bool
        var latency: Duration?
    }

    static let timeout: Duration = .seconds(2)

    private let store: Store
    private let clock = ContinuousClock()
    private var last: (at: ContinuousClock.Instant, result: Result)?
    private var inFlight: Task<Result, Never>?

    init(store: Store) {
        self.store = store
    }

    func check() async -> Result {
        if let last, clock.now - last.at < .seconds(1) { return last.result }
        if let inFlight { return await inFlight.value }
        let store = self.store
        let probe = Task { await Self.probe(store) }
        inFlight = probe
        let result = await probe.value
        last = (clock.now, result)
        inFlight = nil
        return result
    }

    /// One ping, answered within the timeout even if the ping itself does not return.
    private static func probe(_ store: Store) async -> Result {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result, Never>) in
            let answer = FirstAnswer(continuation)
            Task {
                let latency = try? await store.ping()
                answer.resume(Result(healthy: latency != nil, latency: latency))
            }
            Task {
                try? await Task.sleep(for: timeout)
                answer.resume(Result(healthy: false, latency: nil))
            }
        }
    }
}

/// Resumes a continuation with whichever answer comes first; later ones are dropped.
private final class FirstAnswer: Sendable {
    private let continuation: Mutex<CheckedContinuation<HealthProbe.Result, Never>?>

    init(_ continuation: CheckedContinuation<HealthProbe.Result, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(_ result: HealthProbe.Result) {
        continuation.withLock { $0.take() }?.resume(returning: result)
    }
}
