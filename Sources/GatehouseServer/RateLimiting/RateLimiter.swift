import Foundation
import GatehouseCore
import GatehouseStorage
import Synchronization

/// Decides rate limits (SPEC §9) with GCRA.
///
/// **Local mode** (one node; the default): every bucket's arrival time lives in this
/// process, so a decision is a dictionary lookup under one of 64 locks — no database.
///
/// **Cluster mode** (several nodes over PostgreSQL): the arrival time lives in the
/// database and nodes lease cells from it — `max(1, limit/50)` at a time, atomically —
/// then spend them locally, so most requests still touch no database. A lease is spent
/// within `min(1 s, window/10)` or dropped. Cells are debited before they are used, so the
/// nodes together admit at most the limit plus what they hold leased when a window starts:
/// limit × (1 + nodes/50) — within 10 % up to five nodes (exact for limits under 50, where
/// each lease is one cell). When the database does not answer, protection limits (key,
/// address) fall back to this node's own buckets and quotas (tenant) refuse (503); both
/// are configurable.
public final class RateLimiter: Sendable {
    public enum Mode: String, Sendable {
        case local
        case cluster
    }

    public enum FailureMode: String, Sendable {
        /// Admit by this node's own bucket.
        case open
        /// Refuse with 503.
        case closed
    }

    struct Lease {
        var cells: Int
        var expires: Int64
        /// The shared arrival time when the lease was taken (for the headers).
        var tat: Int64
    }

    let mode: Mode
    let failureModes: [RateLimitPolicy.Kind: FailureMode]
    private let buckets: (any RateLimitBuckets)?
    private let local: [Locked<[RateLimitPolicy.Key: Int64]>] = (0..<64).map { _ in Locked([:]) }
    private let leases: [Locked<[String: Lease]>] = (0..<64).map { _ in Locked([:]) }
    private let checks = Atomic<Int>(0)
    /// Every this many checks, buckets back to full (and lapsed leases) are dropped: a full
    /// bucket and a missing one are the same, so memory follows active callers only.
    static let pruneEvery = 4096

    init(mode: Mode, buckets: (any RateLimitBuckets)?, failureModes: [RateLimitPolicy.Kind: FailureMode]) {
        self.mode = mode
        self.buckets = buckets
        self.failureModes = failureModes
    }

    static func nowNanos() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000_000) }

    private func shard(_ bucket: String) -> Int { Int(UInt(bitPattern: bucket.hashValue) % 64) }
    private func shard(_ key: RateLimitPolicy.Key) -> Int { Int(UInt(bitPattern: key.hashValue) % 64) }

    /// Decides a request against every policy; spends nothing unless all admit it (in
    /// cluster mode, cells leased for an admitting policy are spent even if another refuses).
    func check(_ policies: [RateLimitPolicy], now: Int64 = RateLimiter.nowNanos()) async throws -> RateLimitReport {
        if checks.add(1, ordering: .relaxed).newValue % Self.pruneEvery == 0 { prune(now: now) }
        if mode == .local, policies.count == 1 {
            // The common case: one lock, one lookup, spent only when admitted.
            return RateLimitReport(entries: [.init(policy: policies[0], decision: localDecision(policies[0], now: now, spend: true))], now: now)
        }
        var entries: [RateLimitReport.Entry] = []
        for policy in policies {
            let decision: GCRA.Decision
            if mode == .cluster, let buckets {
                decision = try await clusterDecision(policy, buckets: buckets, now: now)
            } else {
                decision = localDecision(policy, now: now, spend: false)
            }
            entries.append(.init(policy: policy, decision: decision))
        }
        var report = RateLimitReport(entries: entries, now: now)
        if report.allowed, mode == .local {
            report.entries = policies.map { .init(policy: $0, decision: localDecision($0, now: now, spend: true)) }
        }
        return report
    }

    func prune(now: Int64) {
        for shard in local { shard.withLock { $0 = $0.filter { $0.value > now } } }
        for shard in leases { shard.withLock { $0 = $0.filter { $0.value.expires > now } } }
    }

    /// How many buckets this node holds in memory.
    var bucketCount: Int { local.reduce(0) { $0 + $1.withLock { $0.count } } }

    /// A policy's budget right now, spending nothing.
    func peek(_ policy: RateLimitPolicy, now: Int64 = RateLimiter.nowNanos()) async throws -> GCRA.Decision {
        let gcra = GCRA(policy.limit)
        if mode == .cluster, let buckets {
            let held = leases[shard(policy.bucket)].withLock { $0[policy.bucket] }
            let tat = try await buckets.arrivalTime(bucket: policy.bucket)
            var decision = gcra.peek(tat: tat, now: now)
            if let held, held.expires > now { decision.remaining = min(policy.limit.limit, decision.remaining + held.cells) }
            return decision
        }
        let key = policy.key
        return gcra.peek(tat: local[shard(key)].withLock { $0[key] }, now: now)
    }

    private func localDecision(_ policy: RateLimitPolicy, now: Int64, spend: Bool) -> GCRA.Decision {
        let gcra = GCRA(policy.limit)
        let key = policy.key
        return local[shard(key)].withLock { tats in
            let (decision, tat) = gcra.decide(tat: tats[key], now: now)
            if spend, decision.allowed { tats[key] = tat }
            return decision
        }
    }

    private func clusterDecision(_ policy: RateLimitPolicy, buckets: any RateLimitBuckets, now: Int64) async throws -> GCRA.Decision {
        let gcra = GCRA(policy.limit)
        let bucket = policy.bucket
        let spent: Lease? = leases[shard(bucket)].withLock { held in
            guard var lease = held[bucket], lease.expires > now, lease.cells > 0 else { return nil }
            lease.cells -= 1
            held[bucket] = lease
            return lease
        }
        if let spent { return Self.decision(gcra, tat: spent.tat, cells: spent.cells, now: now) }
        let granted: Int
        let tat: Int64
        do {
            (granted, tat) = try await buckets.lease(
                bucket: bucket, limit: gcra, cells: max(1, policy.limit.limit / 50), now: now)
        } catch {
            switch failureModes[policy.kind] ?? .open {
            case .open:
                let decision = localDecision(policy, now: now, spend: false)
                return decision.allowed ? localDecision(policy, now: now, spend: true) : decision
            case .closed:
                throw GatehouseError.unavailable("The shared rate-limit state does not answer; this quota cannot be checked.")
            }
        }
        guard granted > 0 else {
            let (denied, _) = gcra.decide(tat: tat, now: now)
            return denied
        }
        let ttl = min(1_000_000_000, gcra.windowNanos / 10)
        // Concurrent requests may each have leased: cells add up, none is dropped.
        let held = leases[shard(bucket)].withLock { held in
            var lease = Lease(cells: granted - 1, expires: now + ttl, tat: tat)
            if let current = held[bucket], current.expires > now {
                lease.cells += current.cells
                lease.tat = max(lease.tat, current.tat)
            }
            held[bucket] = lease
            return lease
        }
        return Self.decision(gcra, tat: held.tat, cells: held.cells, now: now)
    }

    /// An admitting decision in cluster mode: what the shared bucket has left, plus the
    /// cells this node still holds.
    static func decision(_ gcra: GCRA, tat: Int64, cells: Int, now: Int64) -> GCRA.Decision {
        var decision = gcra.peek(tat: tat, now: now)
        decision.remaining = min(gcra.limit, decision.remaining + cells)
        return decision
    }
}

/// A value behind its own lock; a class so that many can sit in an array (shards).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}
