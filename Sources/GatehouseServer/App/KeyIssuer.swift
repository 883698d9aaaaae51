import Foundation
import GatehouseCore
import GatehouseStorage

/// Creating keys, whoever they are for: tenant keys, service-account keys, partner keys,
/// platform service accounts. The secret exists only in the returned value.
struct KeyIssuer {
    let store: Store

    struct Request {
        var name: String
        var tenantID: ResourceID?
        var owner: APIKeyRecord.Owner
        var ownerID: String?
        var scopes: [String]
        var permissions: [String] = ["*"]
        var metadata: JSONValue = [:]
        var rateLimit: RateLimit?
        var expiresAt: Date?
        var prefix: String
        var createdBy: String?
    }

    /// Issues a key; `audit` gets the new key's id as its target and is written with it.
    func issue(_ request: Request, audit: AuditEvent?) async throws -> (record: APIKeyRecord, secret: String) {
        let now = Timestamp.now
        let secret = APIKeyFormat.generate(prefix: request.prefix)
        let record = APIKeyRecord(
            id: .generate(.apiKey, now: now), tenantID: request.tenantID, owner: request.owner, ownerID: request.ownerID,
            name: request.name, start: APIKeyFormat.start(of: secret), scopes: request.scopes,
            permissions: request.permissions, metadata: request.metadata, rateLimit: request.rateLimit,
            expiresAt: request.expiresAt, createdBy: request.createdBy, createdAt: now, updatedAt: now)
        var audit = audit
        audit?.target = record.id.rawValue
        try await store.apiKeys.insert(record, secretHash: APIKeyFormat.hash(secret), audit: audit)
        return (record, secret)
    }
}

/// Validation of the fields a key is created or edited with.
enum KeyFields {
    /// Scopes must parse, and every principal — platform service accounts included — may
    /// only grant what it holds itself: no credential can mint a broader one. (The bootstrap
    /// admin holds `*`.)
    static func scopes(_ texts: [String], grantedBy principal: Principal) throws(GatehouseError) -> [String] {
        guard texts.count <= 100 else { throw .invalid("scopes", "at most 100 scopes") }
        let parsed = try Scope.parseAll(texts)
        for (index, scope) in parsed.enumerated() where !scope.isCovered(by: principal.scopes) {
            throw .permissionDenied(
                "scopes[\(index)] '\(scope)' is broader than this credential's own scopes; a key can only grant what it holds.",
                required: [scope.description])
        }
        return Array(distinct(parsed.map(\.description)))
    }

    /// Service permissions: well-formed, and within the granting principal's own.
    static func permissions(_ names: [String], grantedBy principal: Principal) throws(GatehouseError) -> [String] {
        guard names.count <= 100 else { throw .invalid("permissions", "at most 100 permissions") }
        for (index, name) in names.enumerated() where !(name == "*" || Scope.isName(Substring(name))) {
            throw .invalid("permissions[\(index)]", "must be * or a lowercase name such as llm, stt, tts, search, image")
        }
        for (index, name) in names.enumerated()
        where !(principal.permissions.contains("*") || (name != "*" && principal.permissions.contains(name))) {
            throw .permissionDenied(
                "permissions[\(index)] '\(name)' is not among this credential's own permissions.", required: [name])
        }
        return Array(distinct(names))
    }

    /// A key made or changed by an expiring credential expires no later than it does.
    static func expiry(_ requested: Date?, grantedBy principal: Principal) throws(GatehouseError) -> Date? {
        let date = try requested.map { date throws(GatehouseError) in try expiry(date) }
        guard let limit = principal.expiresAt else { return date }
        guard let date else { return limit }
        guard date <= limit else {
            throw .permissionDenied("expires_at is later than this credential's own expiry (\(Timestamp.format(limit))).")
        }
        return date
    }

    /// Changing, rotating or revoking a key needs authority over it: the caller must hold
    /// every scope and permission the key has. Otherwise a key-manager key could rotate an
    /// owner's `*` key and receive its new secret.
    static func requireAuthority(over key: APIKeyRecord, by principal: Principal) throws(GatehouseError) {
        let held = key.scopes.compactMap { try? Scope(parsing: $0) }
        if let broader = held.first(where: { !$0.isCovered(by: principal.scopes) }) {
            throw .permissionDenied(
                "The key holds '\(broader)', which this credential does not; only a credential at least as broad may change it.",
                required: [broader.description])
        }
        if !principal.permissions.contains("*"), let permission = key.permissions.first(where: { !principal.permissions.contains($0) }) {
            throw .permissionDenied("The key holds the permission '\(permission)', which this credential does not.")
        }
    }

    static func metadata(_ value: JSONValue) throws(GatehouseError) -> JSONValue {
        guard case .object = value else { throw .invalid("metadata", "must be an object") }
        let size = (try? JSONEncoder().encode(value).count) ?? 0
        guard size <= 8192 else { throw .invalid("metadata", "must encode to at most 8192 bytes") }
        return value
    }

    static func expiry(_ date: Date, now: Date = Date()) throws(GatehouseError) -> Date {
        guard date > now else { throw .invalid("expires_at", "must be in the future") }
        return Timestamp.date(milliseconds: Timestamp.milliseconds(date))
    }

    static func name(_ name: String?) throws(GatehouseError) -> String {
        try DisplayName.validate(name ?? "Unnamed key")
    }
}

/// Distinct elements in their first order.
private func distinct(_ items: [String]) -> [String] {
    var seen = Set<String>()
    return items.filter { seen.insert($0).inserted }
}
