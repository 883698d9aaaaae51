/// The kinds of secret the vault stores (SPEC §8) and the fields each must carry.
///
/// Typed kinds accept exactly their listed fields, all strings; `custom` accepts any
/// non-empty object. Every kind is capped at `maximumSecretBytes` once serialized.
public enum CredentialAuthType: String, Sendable, Codable, CaseIterable {
    case oauth2Bearer = "oauth2_bearer"
    case oauth2ClientCredentials = "oauth2_client_credentials"
    case apiKey = "api_key"
    case basicAuth = "basic_auth"
    case bearerToken = "bearer_token"
    case jwt
    case saml
    case custom

    /// Large enough for a SAML assertion, small enough that a credential is never a blob store.
    public static let maximumSecretBytes = 64 * 1024

    public var requiredFields: [String] {
        switch self {
        case .oauth2Bearer: ["access_token"]
        case .oauth2ClientCredentials: ["client_id", "client_secret", "token_url"]
        case .apiKey: ["key"]
        case .basicAuth: ["username", "password"]
        case .bearerToken, .jwt: ["token"]
        case .saml: ["assertion"]
        case .custom: []
        }
    }

    public var optionalFields: [String] {
        switch self {
        case .oauth2Bearer: ["refresh_token", "token_type", "scope", "expires_at"]
        case .oauth2ClientCredentials: ["scope", "audience"]
        case .apiKey: ["header_name", "query_param"]
        case .saml: ["relay_state"]
        case .basicAuth, .bearerToken, .jwt, .custom: []
        }
    }

    /// Parses `auth_type` from a request.
    public static func parse(_ raw: String, field: String = "auth_type") throws(GatehouseError) -> CredentialAuthType {
        guard let type = CredentialAuthType(rawValue: raw) else {
            throw .invalid(field, "must be one of " + allCases.map(\.rawValue).joined(separator: ", "))
        }
        return type
    }

    /// Checks the secret fields `data` (serialized as `encodedSize` bytes) against this
    /// kind; failures name the field as `data.<name>`.
    public func validate(_ data: JSONValue, encodedSize: Int) throws(GatehouseError) {
        guard case .object(let fields) = data else {
            throw .invalid("data", "must be an object, got \(data.typeName)")
        }
        guard encodedSize <= Self.maximumSecretBytes else {
            throw .invalid("data", "must be at most \(Self.maximumSecretBytes) bytes of JSON")
        }
        if self == .custom {
            guard !fields.isEmpty else { throw .invalid("data", "must hold at least one field") }
            return
        }
        var problems: [String: String] = [:]
        let allowed = Set(requiredFields + optionalFields)
        for name in fields.keys where !allowed.contains(name) {
            problems["data.\(name)"] = "is not a field of \(rawValue) (allowed: \(allowed.sorted().joined(separator: ", ")))"
        }
        for name in requiredFields where fields[name] == nil {
            problems["data.\(name)"] = "is required for \(rawValue)"
        }
        for (name, value) in fields where allowed.contains(name) {
            guard case .string(let text) = value else {
                problems["data.\(name)"] = "must be a string, got \(value.typeName)"
                continue
            }
            if text.isEmpty { problems["data.\(name)"] = "must not be empty" }
        }
        if problems.isEmpty, self == .oauth2ClientCredentials, let url = fields["token_url"]?.stringValue,
            !(url.hasPrefix("https://") || url.hasPrefix("http://"))
        {
            problems["data.token_url"] = "must be an http(s) URL"
        }
        guard problems.isEmpty else { throw .validationFailed(fields: problems) }
    }
}
