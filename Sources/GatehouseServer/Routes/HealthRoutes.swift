import Foundation
import GatehouseCore
import GatehouseStorage
import Hummingbird

/// `GET /health`, `GET /api/v1/health` (public) and `GET /api/v1/admin/health` (admin).
struct HealthRoutes {
    let environment: ServerEnvironment

    func register(on router: Router<GatehouseContext>) {
        router.get("/health", use: health)
        router.get("/api/v1/health", use: health)
        router.get("/api/v1/admin/health", use: adminHealth)
    }

    @Sendable func health(request: Request, context: GatehouseContext) async throws -> Response {
        guard await environment.health.check().healthy else {
            throw GatehouseError.unavailable("The database does not answer.")
        }
        return try JSONResponse.make(["status": "ok"])
    }

    struct AdminHealth: Encodable {
        struct Database: Encodable {
            let status: String
            let engine: String
            let latency_ms: Double?
            let schema_version: Int?
            let latest_schema_version: Int
        }

        struct Credentials: Encodable {
            let indexed_secrets: Int
        }

        struct Jobs: Encodable {
            let status: String
            let runs_jobs: Bool
            let queued: Int?
            let running: Int?
            let failed: Int?
        }

        struct Vault: Encodable {
            let status: String
            let master_key_fingerprint: String
            let credentials: Int?
            let pending_reencryption: Int?
            let live_key_versions: Int?
            let tenants_with_keys: Int?
        }

        let status: String
        let version: String
        let uptime_seconds: Int
        let started_at: Date
        let database: Database
        let credentials: Credentials
        let jobs: Jobs
        let vault: Vault
    }

    @Sendable func adminHealth(request: Request, context: GatehouseContext) async throws -> Response {
        let store = environment.store
        let probe = await environment.health.check()
        let schema = probe.healthy ? try? await store.migrator.currentVersion() : nil
        let (queue, vault) = probe.healthy ? await environment.deploymentStatus.current(store: store) : (nil, nil)
        let body = AdminHealth(
            status: probe.healthy ? "ok" : "degraded",
            version: GatehouseVersion.current,
            uptime_seconds: Int(Date().timeIntervalSince(environment.startedAt)),
            started_at: environment.startedAt,
            database: .init(
                status: probe.healthy ? "ok" : "unavailable", engine: store.backend.engine.rawValue,
                latency_ms: probe.latency.map(\.milliseconds), schema_version: schema,
                latest_schema_version: Schema.latestVersion),
            credentials: .init(indexed_secrets: environment.index.count),
            jobs: .init(
                status: queue == nil ? "unknown" : "ok", runs_jobs: environment.options.runsJobs, queued: queue.map { $0[.queued] ?? 0 },
                running: queue.map { $0[.running] ?? 0 }, failed: queue.map { $0[.failed] ?? 0 }),
            vault: .init(
                status: vault.map { $0.onOlderKeys > 0 ? "reencrypting" : "ok" } ?? "unknown",
                master_key_fingerprint: environment.masterKey.fingerprint, credentials: vault?.credentials,
                pending_reencryption: vault?.onOlderKeys, live_key_versions: vault?.liveKeyVersions,
                tenants_with_keys: vault?.tenantsWithKeys))
        return try JSONResponse.make(body, status: probe.healthy ? .ok : .serviceUnavailable)
    }
}

/// `GET /metrics` (Prometheus text format) and `GET /openapi.json`.
struct MetaRoutes {
    let environment: ServerEnvironment

    func register(on router: Router<GatehouseContext>) {
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: environment.metrics.exposition())))
        }
        router.get("/openapi.json") { _, _ in
            try JSONResponse.make(OpenAPIDocument.document)
        }
    }
}

/// The job-queue and vault counts of admin health, computed at most every five seconds:
/// they scan tables, and a dashboard polling health must not load the database.
final class DeploymentStatus: Sendable {
    typealias Snapshot = (jobs: [JobState: Int]?, vault: VaultStatus?)
    private let cached = Locked<(at: ContinuousClock.Instant, value: Snapshot)?>(nil)
    static let maximumAge: Duration = .seconds(5)

    func current(store: Store) async -> Snapshot {
        let now = ContinuousClock.now
        if let cached = cached.withLock({ $0 }), now - cached.at < Self.maximumAge { return cached.value }
        let value: Snapshot = (try? await store.jobs.summary(), try? await store.vault.status())
        cached.withLock { $0 = (now, value) }
        return value
    }
}
