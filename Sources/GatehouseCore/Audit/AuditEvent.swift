import Crypto
import Foundation

/// One audit event: who did what to which object, when, from where, and how it ended.
/// Never holds a secret — ids, action names, outcomes and small non-secret details only.
public struct AuditEvent: Sendable, Equatable {
    public enum Outcome: String, Sendable, Codable {
        case success
        case failure
        case denied
    }

    public var id: ResourceID
    /// The tenant whose chain the event joins; `nil` for platform events.
    public var tenantID: ResourceID?
    public var occurredAt: Date
    /// `platform_admin`, `api_key`, `partner`, `anonymous`, `system`, …
    public var actorType: String
    public var actorID: String?
    /// `api_key.create`, `document.replace`, `auth.failed`, `auth.denied`, …
    public var action: String
    public var target: String?
    public var outcome: Outcome
    public var requestID: String?
    public var ip: String?
    public var userAgent: String?
    public var details: [String: String]

    public init(
        id: ResourceID = .generate(.event), tenantID: ResourceID?, occurredAt: Date = Timestamp.now, actorType: String,
        actorID: String?, action: String, target: String?, outcome: Outcome = .success, requestID: String? = nil,
        ip: String? = nil, userAgent: String? = nil, details: [String: String] = [:]
    ) {
        self.id = id
        self.tenantID = tenantID
        self.occurredAt = occurredAt
        self.actorType = actorType
        self.actorID = actorID
        self.action = action
        self.target = target
        self.outcome = outcome
        self.requestID = requestID
        self.ip = ip
        self.userAgent = userAgent
        self.details = details
    }

    /// The chain the event belongs to: one per tenant, one for the platform.
    public var chain: String { tenantID?.rawValue ?? "platform" }
}

/// The tamper-evident chain: each event's hash covers its canonical content and the hash
/// before it, so editing, deleting or reordering a stored event breaks every later link.
public enum AuditChain {
    /// The `prev_hash` of a chain's first event.
    public static let genesis = String(repeating: "0", count: 64)

    /// SHA-256 over the previous hash and the event's canonical JSON (sorted keys, times in
    /// epoch milliseconds, `sequence` its position in the chain).
    public static func hash(_ event: AuditEvent, sequence: Int64, previous: String) -> String {
        var fields: [String: JSONValue] = [
            "id": .string(event.id.rawValue),
            "chain": .string(event.chain),
            "sequence": .int(sequence),
            "occurred_at": .int(Timestamp.milliseconds(event.occurredAt)),
            "actor_type": .string(event.actorType),
            "action": .string(event.action),
            "outcome": .string(event.outcome.rawValue),
            "details": .object(event.details.mapValues(JSONValue.string)),
        ]
        fields["tenant_id"] = event.tenantID.map { .string($0.rawValue) } ?? .null
        fields["actor_id"] = event.actorID.map(JSONValue.string) ?? .null
        fields["target"] = event.target.map(JSONValue.string) ?? .null
        fields["request_id"] = event.requestID.map(JSONValue.string) ?? .null
        fields["ip"] = event.ip.map(JSONValue.string) ?? .null
        fields["user_agent"] = event.userAgent.map(JSONValue.string) ?? .null
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let canonical = (try? encoder.encode(JSONValue.object(fields))) ?? Data()
        var hasher = SHA256()
        hasher.update(data: Data(previous.utf8))
        hasher.update(data: Data([0x0A]))
        hasher.update(data: canonical)
        return SecretDigest(hasher.finalize()).hex
    }
}

/// The answer of `GET /audit/tenants/{t}/verify`.
public struct ChainVerification: Sendable, Equatable {
    public var valid: Bool
    public var eventsChecked: Int
    /// The id of the first event whose hash or link does not match.
    public var firstInvalid: String?

    public init(valid: Bool, eventsChecked: Int, firstInvalid: String?) {
        self.valid = valid
        self.eventsChecked = eventsChecked
        self.firstInvalid = firstInvalid
    }
}
