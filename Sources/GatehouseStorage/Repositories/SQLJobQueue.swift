import Foundation
import GatehouseCore
import SQLKit

/// The durable job queue (at-least-once). A node claims a due job under a lease and renews
/// it while working; a job whose node stops is claimed again once the lease lapses. On
/// PostgreSQL claims use `FOR UPDATE SKIP LOCKED`, so nodes polling together never take the
/// same job; SQLite's single writer does the same by serializing claims.
public protocol JobQueue: Sendable {
    /// Enqueues `job`; `nil` when its singleton key is already queued or running.
    func enqueue(_ job: Job, audit: AuditEvent?) async throws -> Job?
    /// Claims the oldest due job for `node` until `leaseUntil`.
    func claim(node: String, now: Date, leaseUntil: Date) async throws -> Job?
    /// Extends a lease; `false` when the node no longer holds the job.
    func renew(_ id: ResourceID, node: String, until: Date) async throws -> Bool
    /// Records the outcome, with `audit`, unless the node lost the job meanwhile; returns
    /// whether it still held it.
    func succeed(_ id: ResourceID, node: String, result: JSONValue, at: Date, audit: AuditEvent?) async throws -> Bool
    /// Records a failed attempt: queued again at `retryAt`, or failed for good when `nil`.
    func fail(_ id: ResourceID, node: String, error: String, retryAt: Date?, at: Date, audit: AuditEvent?) async throws
    /// Puts a job this node stopped (shutdown) back in the queue without spending an attempt.
    func release(_ id: ResourceID, node: String, at: Date) async throws
    func get(_ id: ResourceID) async throws -> Job?
    func list(name: JobName, page: PageRequest) async throws -> Page<Job>
    func stats(name: JobName) async throws -> JobStats
    /// Counts by state over every job, for health.
    func summary() async throws -> [JobState: Int]
    /// Deletes finished jobs older than `date`; returns how many.
    func prune(finishedBefore date: Date) async throws -> Int
}

struct SQLJobQueue: JobQueue {
    let backend: any DatabaseBackend

    /// Inserts `job` inside the caller's transaction (a job enqueued with the change that needs it).
    static func insert(_ job: Job, on database: any SQLDatabase) async throws {
        try await database.raw("""
            INSERT INTO jobs (id, name, params, state, attempts, max_attempts, run_after, singleton_key, created_at)
            VALUES (\(bind: job.id.rawValue), \(bind: job.name.rawValue), \(bind: SQLColumn.json(job.params)),
                \(bind: job.state.rawValue), \(bind: job.attempts), \(bind: job.maxAttempts),
                \(bind: SQLColumn.millis(job.runAfter)), \(bind: job.singletonKey), \(bind: SQLColumn.millis(job.createdAt)))
            """).run()
    }

    func enqueue(_ job: Job, audit: AuditEvent?) async throws -> Job? {
        do {
            try await backend.transaction { database in
                try await Self.insert(job, on: database)
                try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            }
            return job
        } catch where job.singletonKey != nil && backend.isUniqueViolation(error) {
            return nil
        }
    }

    func claim(node: String, now: Date, leaseUntil: Date) async throws -> Job? {
        let nowMillis = SQLColumn.millis(now)
        // Polling is a plain read; only a due job opens a write transaction (on SQLite every
        // write transaction takes the database-wide lock, which idle pollers must not).
        let due = try await backend.read { database in
            try await database.raw("""
                SELECT id FROM jobs
                WHERE (state = 'queued' AND run_after <= \(bind: nowMillis))
                    OR (state = 'running' AND lease_until < \(bind: nowMillis))
                LIMIT 1
                """).first() != nil
        }
        guard due else { return nil }
        return try await backend.transaction { database in
            // A running job whose lease lapsed lost its node: claimable again (at-least-once).
            let rows = try await database.raw("""
                SELECT * FROM jobs
                WHERE (state = 'queued' AND run_after <= \(bind: nowMillis))
                    OR (state = 'running' AND lease_until < \(bind: nowMillis))
                ORDER BY run_after, id LIMIT 5\(unsafeRaw: backend.forUpdateSkipLocked)
                """).all()
            for row in rows {
                var job = try Self.job(row)
                guard job.attempts < job.maxAttempts else {
                    try await database.raw("""
                        UPDATE jobs SET state = 'failed', locked_by = NULL, lease_until = NULL,
                            last_error = 'its node stopped while running it and no attempts are left',
                            finished_at = \(bind: nowMillis), failed_at = \(bind: nowMillis)
                        WHERE id = \(bind: job.id.rawValue)
                        """).run()
                    continue
                }
                job.state = .running
                job.attempts += 1
                job.lockedBy = node
                job.leaseUntil = leaseUntil
                job.startedAt = now
                try await database.raw("""
                    UPDATE jobs SET state = 'running', attempts = \(bind: job.attempts), locked_by = \(bind: node),
                        lease_until = \(bind: SQLColumn.millis(leaseUntil)), started_at = \(bind: nowMillis)
                    WHERE id = \(bind: job.id.rawValue)
                    """).run()
                return job
            }
            return nil
        }
    }

    func renew(_ id: ResourceID, node: String, until: Date) async throws -> Bool {
        try await backend.transaction { database in
            try await !database.raw("""
                UPDATE jobs SET lease_until = \(bind: SQLColumn.millis(until))
                WHERE id = \(bind: id.rawValue) AND locked_by = \(bind: node) AND state = 'running'
                RETURNING id
                """).all().isEmpty
        }
    }

    func succeed(_ id: ResourceID, node: String, result: JSONValue, at date: Date, audit: AuditEvent?) async throws -> Bool {
        try await backend.transaction { database in
            let held = try await !database.raw("""
                UPDATE jobs SET state = 'succeeded', locked_by = NULL, lease_until = NULL,
                    result = \(bind: SQLColumn.json(result)), finished_at = \(bind: SQLColumn.millis(date))
                WHERE id = \(bind: id.rawValue) AND locked_by = \(bind: node) AND state = 'running'
                RETURNING id
                """).all().isEmpty
            if held { try await SQLAuditLog.record(audit, on: database, engine: backend.engine) }
            return held
        }
    }

    func fail(_ id: ResourceID, node: String, error: String, retryAt: Date?, at date: Date, audit: AuditEvent?) async throws {
        try await backend.transaction { database in
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            if let retryAt {
                try await database.raw("""
                    UPDATE jobs SET state = 'queued', locked_by = NULL, lease_until = NULL, last_error = \(bind: error),
                        run_after = \(bind: SQLColumn.millis(retryAt)), failed_at = \(bind: SQLColumn.millis(date))
                    WHERE id = \(bind: id.rawValue) AND locked_by = \(bind: node) AND state = 'running'
                    """).run()
            } else {
                try await database.raw("""
                    UPDATE jobs SET state = 'failed', locked_by = NULL, lease_until = NULL, last_error = \(bind: error),
                        finished_at = \(bind: SQLColumn.millis(date)), failed_at = \(bind: SQLColumn.millis(date))
                    WHERE id = \(bind: id.rawValue) AND locked_by = \(bind: node) AND state = 'running'
                    """).run()
            }
        }
    }

    func release(_ id: ResourceID, node: String, at date: Date) async throws {
        try await backend.transaction { database in
            try await database.raw("""
                UPDATE jobs SET state = 'queued', attempts = attempts - 1, locked_by = NULL, lease_until = NULL,
                    run_after = \(bind: SQLColumn.millis(date))
                WHERE id = \(bind: id.rawValue) AND locked_by = \(bind: node) AND state = 'running'
                """).run()
        }
    }

    func get(_ id: ResourceID) async throws -> Job? {
        try await backend.read { database in
            try await database.raw("SELECT * FROM jobs WHERE id = \(bind: id.rawValue)").first().map(Self.job)
        }
    }

    func list(name: JobName, page: PageRequest) async throws -> Page<Job> {
        let query = PagedQuery(page: page)
        return try await backend.read { database in
            try await query.run("jobs", where: " WHERE name = \(bind: name.rawValue)", on: database, decode: Self.job, id: \.id.rawValue)
        }
    }

    func stats(name: JobName) async throws -> JobStats {
        try await backend.read { database in
            var stats = JobStats()
            for row in try await database.raw(
                "SELECT state, COUNT(*) AS n FROM jobs WHERE name = \(bind: name.rawValue) GROUP BY state"
            ).all() {
                let count = try row.int("n")
                switch JobState(rawValue: try row.string("state")) {
                case .queued: stats.queued = count
                case .running: stats.running = count
                case .succeeded: stats.succeeded = count
                case .failed: stats.failed = count
                case nil: throw StorageError.corrupt("jobs.state")
                }
            }
            stats.lastRun = try await database.raw("""
                SELECT * FROM jobs WHERE name = \(bind: name.rawValue) AND started_at IS NOT NULL
                ORDER BY started_at DESC, id DESC LIMIT 1
                """).first().map(Self.job)
            if let failed = try await database.raw("""
                SELECT * FROM jobs WHERE name = \(bind: name.rawValue) AND failed_at IS NOT NULL
                ORDER BY failed_at DESC, id DESC LIMIT 1
                """).first().map(Self.job)
            {
                stats.lastError = failed.lastError
                stats.lastErrorAt = failed.failedAt
            }
            return stats
        }
    }

    func summary() async throws -> [JobState: Int] {
        try await backend.read { database in
            var counts: [JobState: Int] = [:]
            for row in try await database.raw("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state").all() {
                if let state = JobState(rawValue: try row.string("state")) { counts[state] = try row.int("n") }
            }
            return counts
        }
    }

    func prune(finishedBefore date: Date) async throws -> Int {
        try await backend.transaction { database in
            try await database.raw("""
                DELETE FROM jobs WHERE state IN ('succeeded', 'failed') AND finished_at < \(bind: SQLColumn.millis(date))
                RETURNING id
                """).all().count
        }
    }

    static func job(_ row: any SQLRow) throws -> Job {
        guard let name = JobName(rawValue: try row.string("name")), let state = JobState(rawValue: try row.string("state"))
        else { throw StorageError.corrupt("jobs") }
        var job = Job(
            id: try row.id("id", .job), name: name, params: try row.json("params", as: JSONValue.self),
            maxAttempts: try row.int("max_attempts"), runAfter: try row.date("run_after"),
            singletonKey: try row.optionalString("singleton_key"), createdAt: try row.date("created_at"))
        job.state = state
        job.attempts = try row.int("attempts")
        job.lockedBy = try row.optionalString("locked_by")
        job.leaseUntil = try row.optionalDate("lease_until")
        job.lastError = try row.optionalString("last_error")
        job.result = try row.optionalJSON("result", as: JSONValue.self)
        job.startedAt = try row.optionalDate("started_at")
        job.finishedAt = try row.optionalDate("finished_at")
        job.failedAt = try row.optionalDate("failed_at")
        return job
    }
}
