import Foundation
import GatehouseCore
import GatehouseStorage
import Logging

/// Throughput of the storage layer on one backend: 1 KiB provisioning documents written
/// (each with its audit event, in one transaction) and read, and audit events appended
/// on their own, with 16 concurrent writers — what the HTTP routes do below the router.
enum StorageBenchmark {
    static let writers = 16
    static let documents = 4_000

    static func run(url: DatabaseURL) async throws {
        try await withTenant(url: url) { store, tenant in
            let body: [String: JSONValue] = ["payload": .string(String(repeating: "x", count: 1000))]

            let written = try await timed(count: documents) { index in
                let path = try DocumentPath(["items", Substring("d\(index)")])
                _ = try await store.documents.write(
                    tenant: tenant, path: path, by: "bench", keepRevisions: 20,
                    audit: AuditEvent(tenantID: tenant, actorType: "bench", actorID: "bench", action: "document.write",
                                      target: path.path)
                ) { _ in body }
            }
            let read = try await timed(count: documents) { index in
                _ = try await store.documents.get(tenant: tenant, path: try DocumentPath(["items", Substring("d\(index)")]))
            }
            let appended = try await timed(count: documents) { _ in
                try await store.audit.append([
                    AuditEvent(tenantID: tenant, actorType: "bench", actorID: "bench", action: "bench.event", target: nil)
                ])
            }
            print(String(format: "%@  documents written/s: %.0f  read/s: %.0f  audit events appended/s: %.0f  (%d each, %d concurrent)",
                         url.description, written, read, appended, documents, writers))
            let verified = try await store.audit.verify(tenant: tenant)
            print("chain check: valid=\(verified.valid) events=\(verified.eventsChecked)")
        }
    }

    /// Runs `body` with a migrated store on `url` and a fresh tenant in it.
    static func withTenant(
        url: DatabaseURL, _ body: @escaping @Sendable (Store, ResourceID) async throws -> Void
    ) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let backend = try await url.openBackend(logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await backend.run() }
            let store = Store(backend: backend)
            try await store.migrator.migrate(logger: logger)
            let tenant = ResourceID.generate(.tenant)
            let now = Timestamp.now
            try await store.tenants.create(
                Tenant(id: tenant, name: "bench", status: .active, partnerID: nil, settings: TenantSettings(),
                       createdAt: now, updatedAt: now), audit: nil)
            try await body(store, tenant)
            group.cancelAll()
        }
        await backend.shutdown()
    }

    /// Runs `operation` for indices 0..<count on `writers` tasks; returns operations per second.
    static func timed(count: Int, _ operation: @escaping @Sendable (Int) async throws -> Void) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for index in stride(from: writer, to: count, by: writers) { try await operation(index) }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = clock.now - start
        return Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
