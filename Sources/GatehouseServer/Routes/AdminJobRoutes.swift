import Foundation
import GatehouseCore
import GatehouseStorage
import Hummingbird

/// Admin operations on the durable job queue and the vault's data keys (seed 004):
/// `POST /admin/jobs/trigger`, `GET /admin/jobs/{jobName}/stats`, `GET /admin/jobs/{jobName}/runs`,
/// `POST /admin/dek/rotate`. Platform principals only (the authorization middleware).
struct AdminJobRoutes {
    let environment: ServerEnvironment
    var jobs: any JobQueue { environment.store.jobs }

    func register(on router: Router<GatehouseContext>) {
        router.post("/api/v1/admin/jobs/trigger", use: trigger)
        router.get("/api/v1/admin/jobs/{jobName}/stats", use: stats)
        router.get("/api/v1/admin/jobs/{jobName}/runs", use: runs)
        router.post("/api/v1/admin/dek/rotate", use: rotateDataKeys)
    }

    struct TriggerBody: Decodable {
        let job: String
        let params: JSONValue?
    }

    @Sendable func trigger(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: TriggerBody.self, limit: environment.options.maxBodyBytes)
        guard let name = JobName(rawValue: body.job) else {
            throw GatehouseError.invalid("job", "must be one of " + JobName.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let params = try await validatedParams(body.params ?? [:], for: name)
        let now = Timestamp.now
        let job = Job(id: .generate(.job, now: now), name: name, params: params, runAfter: now, createdAt: now)
        guard let queued = try await jobs.enqueue(
            job, audit: context.auditEvent("job.trigger", target: job.id.rawValue, tenant: .some(nil), details: ["job": name.rawValue]))
        else { throw GatehouseError.conflict("This job is already queued.") }
        environment.jobWakeup.wake()
        return try JSONResponse.make(JobView(queued), status: .accepted)
    }

    /// Each job's parameters, checked before it is queued so a typo is a 422, not a failed job.
    func validatedParams(_ params: JSONValue, for name: JobName) async throws -> JSONValue {
        guard case .object(let fields) = params else { throw GatehouseError.invalid("params", "must be an object") }
        let allowed: Set<String> = switch name {
        case .dekRotation: ["tenant_id"]
        case .auditRetention: ["older_than_days"]
        case .expiredCredentialsCleanup: []
        }
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw GatehouseError.invalid("params.\(unknown)", "is not a parameter of \(name.rawValue)")
        }
        switch name {
        case .dekRotation:
            guard let raw = fields["tenant_id"]?.stringValue, let tenant = ResourceID(raw, kind: .tenant) else {
                throw GatehouseError.invalid("params.tenant_id", "is required: the tenant whose credentials to re-encrypt")
            }
            guard try await environment.store.tenants.get(tenant) != nil else {
                throw GatehouseError.invalid("params.tenant_id", "names no tenant")
            }
            return ["tenant_id": .string(tenant.rawValue)]
        case .auditRetention:
            if let days = fields["older_than_days"] {
                guard let value = days.intValue, (1...36_500).contains(value) else {
                    throw GatehouseError.invalid("params.older_than_days", "must be a whole number of days, 1 to 36500")
                }
                return ["older_than_seconds": .int(Int64(value) * 86_400)]
            }
            guard let retention = environment.options.auditRetention else {
                throw GatehouseError.invalid(
                    "params.older_than_days", "is required: this deployment keeps audit events forever by default")
            }
            return ["older_than_seconds": .int(retention.components.seconds)]
        case .expiredCredentialsCleanup:
            return [:]
        }
    }

    func jobName(_ context: GatehouseContext) throws(GatehouseError) -> JobName {
        guard let name = context.parameters.get("jobName").flatMap(JobName.init(rawValue:)) else {
            throw .notFound("No job has this name; jobs: " + JobName.allCases.map(\.rawValue).joined(separator: ", ") + ".")
        }
        return name
    }

    @Sendable func stats(request: Request, context: GatehouseContext) async throws -> Response {
        let name = try jobName(context)
        let stats = try await jobs.stats(name: name)
        return try JSONResponse.make(JobStatsView(job: name.rawValue, stats: stats))
    }

    @Sendable func runs(request: Request, context: GatehouseContext) async throws -> Response {
        let name = try jobName(context)
        let list = "admin.jobs.\(name.rawValue)"
        let page = try request.pageRequest(list: list, codec: environment.cursors)
        let result = try await jobs.list(name: name, page: page)
        return try JSONResponse.make(ListEnvelope(page: result, list: list, codec: environment.cursors) { JobView($0) })
    }

    struct RotateBody: Decodable {
        let tenantID: String?
        enum CodingKeys: String, CodingKey { case tenantID = "tenant_id" }
    }

    /// A new data key version for one tenant (or every tenant with a key) and a job that
    /// re-encrypts its credentials; reads keep working throughout.
    @Sendable func rotateDataKeys(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.bodyOrEmpty(as: RotateBody.self, limit: environment.options.maxBodyBytes)
        var tenant: ResourceID?
        if let raw = body?.tenantID {
            guard let id = ResourceID(raw, kind: .tenant) else { throw GatehouseError.invalid("tenant_id", "is not a tenant id") }
            guard try await environment.store.tenants.get(id) != nil else { throw GatehouseError.notFound("No tenant has this id.") }
            tenant = id
        }
        let rotations = try await environment.store.vault.rotateKeys(
            tenant: tenant, keys: environment.dataKeys,
            job: { tenant, _ in
                let now = Timestamp.now
                return Job(
                    id: .generate(.job, now: now), name: .dekRotation, params: ["tenant_id": .string(tenant.rawValue)],
                    runAfter: now, createdAt: now)
            },
            audit: context.auditEvent(
                "vault.dek.rotate", target: tenant?.rawValue ?? "all", tenant: .some(nil)))
        environment.jobWakeup.wake()
        return try JSONResponse.make(
            ["rotations": rotations.map { RotationView(tenantID: $0.tenantID, version: $0.version, jobID: $0.jobID) }],
            status: .accepted)
    }
}

struct RotationView: Encodable {
    let tenantID: ResourceID
    let version: Int
    let jobID: ResourceID

    enum CodingKeys: String, CodingKey {
        case tenantID = "tenant_id"
        case version = "dek_version"
        case jobID = "job_id"
    }
}

struct JobView: Encodable {
    let job: Job
    init(_ job: Job) { self.job = job }

    enum CodingKeys: String, CodingKey {
        case id, job, state, params, attempts, result
        case maxAttempts = "max_attempts"
        case runAfter = "run_after"
        case lockedBy = "locked_by"
        case leaseUntil = "lease_until"
        case lastError = "last_error"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(job.id, forKey: .id)
        try container.encode(job.name.rawValue, forKey: .job)
        try container.encode(job.state.rawValue, forKey: .state)
        try container.encode(job.params, forKey: .params)
        try container.encode(job.attempts, forKey: .attempts)
        try container.encode(job.maxAttempts, forKey: .maxAttempts)
        try container.encode(job.runAfter, forKey: .runAfter)
        try container.encode(job.lockedBy, forKey: .lockedBy)
        try container.encode(job.leaseUntil, forKey: .leaseUntil)
        try container.encode(job.lastError, forKey: .lastError)
        try container.encode(job.result, forKey: .result)
        try container.encode(job.createdAt, forKey: .createdAt)
        try container.encode(job.startedAt, forKey: .startedAt)
        try container.encode(job.finishedAt, forKey: .finishedAt)
    }
}

struct JobStatsView: Encodable {
    let job: String
    let stats: JobStats

    enum CodingKeys: String, CodingKey {
        case job, queued, running, succeeded, failed
        case lastRun = "last_run"
        case lastError = "last_error"
        case lastErrorAt = "last_error_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(job, forKey: .job)
        try container.encode(stats.queued, forKey: .queued)
        try container.encode(stats.running, forKey: .running)
        try container.encode(stats.succeeded, forKey: .succeeded)
        try container.encode(stats.failed, forKey: .failed)
        try container.encode(stats.lastRun.map(JobView.init), forKey: .lastRun)
        try container.encode(stats.lastError, forKey: .lastError)
        try container.encode(stats.lastErrorAt, forKey: .lastErrorAt)
    }
}
