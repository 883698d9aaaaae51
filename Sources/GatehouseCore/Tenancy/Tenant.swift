import Foundation

public enum TenantStatus: String, Sendable, Codable, CaseIterable {
    case active
    case suspended
}

/// A request budget: at most `limit` requests per `window_seconds`.
public struct RateLimit: Sendable, Codable, Equatable {
    public var limit: Int
    public var windowSeconds: Int

    public init(limit: Int, windowSeconds: Int) {
        self.limit = limit
        self.windowSeconds = windowSeconds
    }

    enum CodingKeys: String, CodingKey {
        case limit
        case windowSeconds = "window_seconds"
    }

    public func validate(field: String) throws(GatehouseError) {
        guard (1...1_000_000_000).contains(limit) else {
            throw .invalid("\(field).limit", "must be between 1 and 1000000000")
        }
        guard (1...86_400).contains(windowSeconds) else {
            throw .invalid("\(field).window_seconds", "must be between 1 and 86400")
        }
    }
}

/// Per-tenant configuration. Missing members take their defaults.
public struct TenantSettings: Sendable, Codable, Equatable {
    public static let defaultKeyPrefix = "gk"

    /// The prefix of the tenant's API key secrets (`gk_…`, `cm_…`).
    public var keyPrefix: String
    /// The budget of each key that has no override of its own; `nil` means unlimited.
    public var defaultRateLimit: RateLimit?
    /// The budget of the whole tenant, all credentials together (a quota); `nil`: none.
    public var rateLimit: RateLimit?

    public init(keyPrefix: String = TenantSettings.defaultKeyPrefix, defaultRateLimit: RateLimit? = nil, rateLimit: RateLimit? = nil) {
        self.keyPrefix = keyPrefix
        self.defaultRateLimit = defaultRateLimit
        self.rateLimit = rateLimit
    }

    enum CodingKeys: String, CodingKey {
        case keyPrefix = "key_prefix"
        case defaultRateLimit = "default_rate_limit"
        case rateLimit = "rate_limit"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.keyPrefix = try container.decodeIfPresent(String.self, forKey: .keyPrefix) ?? Self.defaultKeyPrefix
        self.defaultRateLimit = try container.decodeIfPresent(RateLimit.self, forKey: .defaultRateLimit)
        self.rateLimit = try container.decodeIfPresent(RateLimit.self, forKey: .rateLimit)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(keyPrefix, forKey: .keyPrefix)
        try container.encode(defaultRateLimit, forKey: .defaultRateLimit)
        try container.encode(rateLimit, forKey: .rateLimit)
    }

    public func validate() throws(GatehouseError) {
        guard APIKeyFormat.isValidPrefix(keyPrefix) else {
            throw .invalid("settings.key_prefix", "must be 2-12 lowercase letters or digits, starting with a letter")
        }
        try defaultRateLimit?.validate(field: "settings.default_rate_limit")
        try rateLimit?.validate(field: "settings.rate_limit")
    }

    /// Applies an RFC 7396 merge patch to these settings and validates the result.
    public func merging(_ patch: JSONValue) throws(GatehouseError) -> TenantSettings {
        guard case .object = patch else { throw .invalid("settings", "must be an object") }
        let current: JSONValue = try! JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(self))
        let merged = JSONMergePatch.apply(patch, to: current)
        let settings: TenantSettings
        do {
            settings = try StrictJSONDecoder().decode(TenantSettings.self, from: merged)
        } catch {
            throw error.nested(under: "settings")
        }
        try settings.validate()
        return settings
    }
}

/// A customer organisation: the unit of isolation.
public struct Tenant: Sendable, Equatable {
    public var id: ResourceID
    public var name: String
    public var status: TenantStatus
    public var partnerID: ResourceID?
    public var settings: TenantSettings
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: ResourceID, name: String, status: TenantStatus, partnerID: ResourceID?, settings: TenantSettings,
        createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.status = status
        self.partnerID = partnerID
        self.settings = settings
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A reseller or integrator that owns several tenants (seed 003).
public struct Partner: Sendable, Equatable {
    public var id: ResourceID
    public var name: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: ResourceID, name: String, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Names of tenants, partners and keys: trimmed, 1 to 200 characters.
public enum DisplayName {
    public static func validate(_ name: String, field: String = "name", maximum: Int = 200) throws(GatehouseError) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= maximum else {
            throw .invalid(field, "must be 1 to \(maximum) characters")
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalid(field, "must not contain control characters")
        }
        return trimmed
    }
}
