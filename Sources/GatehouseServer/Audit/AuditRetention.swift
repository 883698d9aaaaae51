import Foundation
import GatehouseStorage
import Logging
import ServiceLifecycle

/// Purges audit events older than the retention age, on a timer. The chains stay
/// verifiable: verification anchors each chain at its first kept event.
struct AuditRetention: Service {
    let store: Store
    let retention: Duration
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await purge()
                try await Task.sleep(for: interval)
            }
        }
    }

    func purge() async {
        let cutoff = Date().addingTimeInterval(-Double(retention.components.seconds))
        do {
            let purged = try await store.audit.purge(before: cutoff)
            if purged > 0 { logger.info("Purged audit events past retention", metadata: ["count": "\(purged)"]) }
        } catch {
            logger.warning("Audit retention failed; will retry", metadata: ["error": "\(error)"])
        }
    }
}
