import Foundation
import GatehouseCore
import GatehouseStorage
import Logging
import ServiceLifecycle
import Synchronization

/// What each request leaves behind — a request-log row, a usage count on meter
/// `api.requests`, and an audit event when authentication failed or authorization denied —
/// collected in memory and written in batches, off the request path. Flushed every
/// interval and once more at graceful shutdown, so nothing acknowledged is lost.
public final class RequestTelemetry: Sendable {
    struct Pending: Sendable {
        var requests: [RequestLogEntry] = []
        var usage: [UsageBucket: Int64] = [:]
        var audit: [AuditEvent] = []

        var isEmpty: Bool { requests.isEmpty && usage.isEmpty && audit.isEmpty }
    }

    /// The share of requests written to the request log (1 = every request).
    let sampleRate: Double
    /// Past this many buffered rows, further request-log rows and failure events are dropped
    /// until the next flush: a database outage must not exhaust memory.
    let maximumBufferedRequests = 100_000
    private let pending = Mutex(Pending())
    /// One flush at a time: a flush that returns has written everything recorded before it.
    private let flushing = AsyncLock()

    public init(sampleRate: Double = 1) {
        self.sampleRate = sampleRate
    }

    func record(request entry: RequestLogEntry, usage bucket: UsageBucket?, audit event: AuditEvent?) {
        let sampled = sampleRate >= 1 || Double.random(in: 0..<1) < sampleRate
        pending.withLock { pending in
            if sampled, pending.requests.count < maximumBufferedRequests { pending.requests.append(entry) }
            if let bucket { pending.usage[bucket, default: 0] += 1 }
            // Capped like the request log: an outage plus a flood of bad credentials must not
            // exhaust memory. (Changes are audited in their own transactions, never here.)
            if let event, pending.audit.count < maximumBufferedRequests { pending.audit.append(event) }
        }
    }

    /// Writes everything pending in one transaction; on failure it stays pending.
    public func flush(to store: Store) async throws {
        try await flushing.withLock { try await flushNow(to: store) }
    }

    private func flushNow(to store: Store) async throws {
        let batch = pending.withLock { pending in
            defer { pending = Pending() }
            return pending
        }
        guard !batch.isEmpty else { return }
        do {
            try await store.reporting.flush(requests: batch.requests, usage: batch.usage, audit: batch.audit)
        } catch {
            pending.withLock { pending in
                pending.requests.insert(contentsOf: batch.requests.prefix(maximumBufferedRequests), at: 0)
                pending.usage.merge(batch.usage, uniquingKeysWith: +)
                pending.audit.insert(contentsOf: batch.audit, at: 0)
            }
            throw error
        }
    }
}

/// Runs ``RequestTelemetry`` and ``KeyUsageRecorder`` flushes on a timer and at shutdown.
struct TelemetryFlusher: Service {
    let telemetry: RequestTelemetry
    let keyUsage: KeyUsageRecorder
    let store: Store
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await flush()
            }
        }
        // Graceful shutdown: the server has drained, so this is the last of it.
        await flush()
    }

    func flush() async {
        do { try await telemetry.flush(to: store) } catch {
            logger.warning("Writing the request log failed; will retry", metadata: ["error": "\(error)"])
        }
        do { try await keyUsage.flush(to: store) } catch {
            logger.warning("Recording key use failed; will retry", metadata: ["error": "\(error)"])
        }
    }
}
