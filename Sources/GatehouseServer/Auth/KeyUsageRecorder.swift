import Foundation
import GatehouseCore
import GatehouseStorage
import Synchronization

/// Remembers when each key was last used and writes the times in batches — never one
/// database write per request. ``TelemetryFlusher`` writes them every interval and at
/// graceful shutdown.
public final class KeyUsageRecorder: Sendable {
    private let pending = Mutex<[ResourceID: Date]>([:])
    private let flushing = AsyncLock()

    public init() {}

    func record(_ keyID: ResourceID, at date: Date) {
        pending.withLock { $0[keyID] = date }
    }

    /// Takes what is pending; on failure the caller puts it back.
    func drain() -> [ResourceID: Date] {
        pending.withLock { pending in
            defer { pending = [:] }
            return pending
        }
    }

    func restore(_ uses: [ResourceID: Date]) {
        pending.withLock { pending in
            pending.merge(uses) { max($0, $1) }
        }
    }

    public func flush(to store: Store) async throws {
        try await flushing.withLock { try await flushNow(to: store) }
    }

    private func flushNow(to store: Store) async throws {
        let uses = drain()
        do {
            try await store.apiKeys.recordUse(uses)
        } catch {
            restore(uses)
            throw error
        }
    }
}
