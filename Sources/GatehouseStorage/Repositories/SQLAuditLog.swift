import Foundation
import GatehouseCore
import SQLKit

/// Filters of the audit views.
public struct AuditFilter: Sendable, Equatable {
    public var from: Date?
    public var to: Date?
    public var actor: String?
    public var action: String?
    public var outcome: AuditEvent.Outcome?

    public init(from: Date? = nil, to: Date? = nil, actor: String? = nil, action: String? = nil, outcome: AuditEvent.Outcome? = nil) {
        self.from = from
        self.to = to
        self.actor = actor
        self.action = action
        self.outcome = outcome
    }
}

/// The append-only, hash-chained audit log.
public protocol AuditLog: Sendable {
    /// Appends events in one transaction of their own (for events that record no change:
    /// authentication failures, denials).
    func append(_ events: [AuditEvent]) async throws
    /// Events of one tenant (`nil`: every event, the platform view), oldest first.
    func list(tenant: ResourceID?, filter: AuditFilter, page: PageRequest) async throws -> Page<AuditEvent>
    /// Recomputes the chain of `tenant` (`nil`: the platform chain) from its first kept event.
    func verify(tenant: ResourceID?) async throws -> ChainVerification
    /// Deletes events older than `date`; returns how many.
    func purge(before date: Date) async throws -> Int
}

struct SQLAuditLog: AuditLog {
    let backend: any DatabaseBackend

    /// Appends `events` inside the caller's transaction: the change and its record commit
    /// or fail together — and so do the webhook deliveries the change raises. Chains are extended under a lock (PostgreSQL: an advisory lock
    /// per chain; SQLite: the single writer), so concurrent writers never fork a chain.
    static func append(_ events: [AuditEvent], on database: any SQLDatabase, engine: SQLEngine) async throws {
        for event in events {
            if engine == .postgres {
                try await database.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: "audit:" + event.chain)))").run()
            }
            let last = try await database.raw("""
                SELECT chain_seq, hash FROM audit_events WHERE chain = \(bind: event.chain)
                ORDER BY chain_seq DESC LIMIT 1
                """).first()
            let sequence = (try last?.decode(column: "chain_seq", as: Int64.self) ?? 0) + 1
            let previous = try last?.string("hash") ?? AuditChain.genesis
            let hash = AuditChain.hash(event, sequence: sequence, previous: previous)
            try await database.raw("""
                INSERT INTO audit_events (id, chain, chain_seq, tenant_id, occurred_at, actor_type, actor_id, action,
                    target, outcome, request_id, ip, user_agent, details, prev_hash, hash)
                VALUES (\(bind: event.id.rawValue), \(bind: event.chain), \(bind: sequence), \(bind: event.tenantID?.rawValue),
                    \(bind: SQLColumn.millis(event.occurredAt)), \(bind: event.actorType), \(bind: event.actorID),
                    \(bind: event.action), \(bind: event.target), \(bind: event.outcome.rawValue), \(bind: event.requestID),
                    \(bind: event.ip), \(bind: event.userAgent), \(bind: SQLColumn.json(event.details)),
                    \(bind: previous), \(bind: hash))
                """).run()
            try await SQLWebhookOutbox.enqueue(for: event, on: database)
        }
    }

    /// Records `event`, when there is one, inside the caller's transaction.
    static func record(_ event: AuditEvent?, on database: any SQLDatabase, engine: SQLEngine) async throws {
        if let event { try await append([event], on: database, engine: engine) }
    }

    func append(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        try await backend.transaction { database in
            try await Self.append(events, on: database, engine: backend.engine)
        }
    }

    func list(tenant: ResourceID?, filter: AuditFilter, page: PageRequest) async throws -> Page<AuditEvent> {
        var condition: SQLQueryString = tenant.map { " WHERE tenant_id = \(bind: $0.rawValue)" } ?? " WHERE 1 = 1"
        if let from = filter.from { condition = condition + " AND occurred_at >= \(bind: SQLColumn.millis(from))" }
        if let to = filter.to { condition = condition + " AND occurred_at < \(bind: SQLColumn.millis(to))" }
        if let actor = filter.actor { condition = condition + " AND actor_id = \(bind: actor)" }
        if let action = filter.action { condition = condition + " AND action = \(bind: action)" }
        if let outcome = filter.outcome { condition = condition + " AND outcome = \(bind: outcome.rawValue)" }
        let query = PagedQuery(page: page)
        return try await backend.read { database in
            try await query.run("audit_events", where: condition, on: database, decode: Self.event, id: \.id.rawValue)
        }
    }

    func verify(tenant: ResourceID?) async throws -> ChainVerification {
        let chain = tenant?.rawValue ?? "platform"
        return try await backend.read { database in
            var checked = 0
            var previous: String?
            var after: Int64 = 0
            while true {
                let rows = try await database.raw("""
                    SELECT * FROM audit_events WHERE chain = \(bind: chain) AND chain_seq > \(bind: after)
                    ORDER BY chain_seq LIMIT 1000
                    """).all()
                for row in rows {
                    let event = try Self.event(row)
                    let sequence = try row.decode(column: "chain_seq", as: Int64.self)
                    let storedPrevious = try row.string("prev_hash")
                    // The first kept event anchors the chain (earlier ones may have been purged).
                    let linked = previous.map { $0 == storedPrevious } ?? true
                    let recomputed = AuditChain.hash(event, sequence: sequence, previous: storedPrevious)
                    guard linked, recomputed == (try row.string("hash")) else {
                        return ChainVerification(valid: false, eventsChecked: checked, firstInvalid: event.id.rawValue)
                    }
                    checked += 1
                    previous = recomputed
                    after = sequence
                }
                if rows.count < 1000 { return ChainVerification(valid: true, eventsChecked: checked, firstInvalid: nil) }
            }
        }
    }

    func purge(before date: Date) async throws -> Int {
        try await backend.transaction { database in
            let cutoff = SQLColumn.millis(date)
            let count = try await database.raw("SELECT COUNT(*) AS n FROM audit_events WHERE occurred_at < \(bind: cutoff)")
                .first()?.int("n") ?? 0
            try await database.raw("DELETE FROM audit_events WHERE occurred_at < \(bind: cutoff)").run()
            return count
        }
    }

    static func event(_ row: any SQLRow) throws -> AuditEvent {
        guard let outcome = AuditEvent.Outcome(rawValue: try row.string("outcome")) else {
            throw StorageError.corrupt("audit_events.outcome")
        }
        return AuditEvent(
            id: try row.id("id", .event), tenantID: try row.optionalID("tenant_id", .tenant),
            occurredAt: try row.date("occurred_at"), actorType: try row.string("actor_type"),
            actorID: try row.optionalString("actor_id"), action: try row.string("action"),
            target: try row.optionalString("target"), outcome: outcome, requestID: try row.optionalString("request_id"),
            ip: try row.optionalString("ip"), userAgent: try row.optionalString("user_agent"),
            details: try row.json("details", as: [String: String].self))
    }
}
