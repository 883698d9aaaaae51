import Foundation

/// The background jobs Gatehouse runs from its durable queue.
public enum JobName: String, Sendable, CaseIterable, Codable {
    /// Re-encrypts a tenant's credentials under its newest data key, then retires old keys.
    case dekRotation = "dek-rotation"
    /// Purges audit events past the retention age.
    case auditRetention = "audit-retention"
    /// Deletes expired vault credentials, refresh tokens and token denylist entries.
    case expiredCredentialsCleanup = "expired-credentials-cleanup"
}

/// Where a job is in its life.
public enum JobState: String, Sendable, Codable, CaseIterable {
    /// Waiting for `runAfter` (first run or a retry).
    case queued
    /// Claimed by a node, which holds a lease and renews it while it works.
    case running
    case succeeded
    /// Out of attempts; `lastError` says why.
    case failed
}

/// One enqueued run of a job.
public struct Job: Sendable, Equatable {
    public var id: ResourceID
    public var name: JobName
    public var params: JSONValue
    public var state: JobState
    public var attempts: Int
    public var maxAttempts: Int
    public var runAfter: Date
    /// The node that holds it while running.
    public var lockedBy: String?
    public var leaseUntil: Date?
    public var lastError: String?
    /// What the last run reported (counts), for operators watching a long job.
    public var result: JSONValue?
    /// At most one queued-or-running job per singleton key (periodic jobs).
    public var singletonKey: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// When an attempt last failed (`lastError` says why).
    public var failedAt: Date?

    public init(
        id: ResourceID, name: JobName, params: JSONValue, maxAttempts: Int = 5, runAfter: Date,
        singletonKey: String? = nil, createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.params = params
        self.state = .queued
        self.attempts = 0
        self.maxAttempts = maxAttempts
        self.runAfter = runAfter
        self.singletonKey = singletonKey
        self.createdAt = createdAt
    }
}

/// When a failed attempt is retried: exponential (from `base`, doubling, capped at 10 min)
/// with equal jitter (half fixed, half random), so retries of many jobs failing together spread out.
public enum JobBackoff {
    public static let cap: TimeInterval = 600

    /// The delay after attempt number `attempt` (1-based) failed; `unit` is a random
    /// number in [0, 1).
    public static func delay(afterAttempt attempt: Int, base: TimeInterval, unit: Double) -> TimeInterval {
        let ceiling = min(cap, base * pow(2, Double(min(max(0, attempt - 1), 30))))
        return ceiling / 2 + unit * ceiling / 2
    }
}

/// Counts shown by `GET /admin/jobs/{jobName}/stats`.
public struct JobStats: Sendable, Equatable {
    public var queued = 0
    public var running = 0
    public var succeeded = 0
    public var failed = 0
    public var lastRun: Job?
    public var lastError: String?
    public var lastErrorAt: Date?

    public init() {}
}
