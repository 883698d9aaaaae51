/// Every failure the API reports. Thrown anywhere, mapped to the spec's error envelope
/// (`{"error": {"code", "message", "request_id", "details"}}`) in exactly one place.
public enum GatehouseError: Error, Sendable, Equatable {
    case badRequest(String)
    case unauthenticated(String)
    case permissionDenied(String, required: [String] = [])
    case tenantSuspended
    case notFound(String)
    case methodNotAllowed(allowed: [String])
    case conflict(String)
    case preconditionFailed(String)
    case payloadTooLarge(limitBytes: Int)
    case unsupportedMediaType(String)
    case validationFailed(fields: [String: String])
    case rateLimited(retryAfterSeconds: Int)
    case internalError
    case unavailable(String)

    /// The machine-readable code of the envelope.
    public var code: String {
        switch self {
        case .badRequest: "bad_request"
        case .unauthenticated: "unauthenticated"
        case .permissionDenied: "permission_denied"
        case .tenantSuspended: "tenant_suspended"
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .conflict: "conflict"
        case .preconditionFailed: "precondition_failed"
        case .payloadTooLarge: "payload_too_large"
        case .unsupportedMediaType: "unsupported_media_type"
        case .validationFailed: "validation_failed"
        case .rateLimited: "rate_limited"
        case .internalError: "internal"
        case .unavailable: "unavailable"
        }
    }

    public var httpStatus: Int {
        switch self {
        case .badRequest: 400
        case .unauthenticated: 401
        case .permissionDenied, .tenantSuspended: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .conflict: 409
        case .preconditionFailed: 412
        case .payloadTooLarge: 413
        case .unsupportedMediaType: 415
        case .validationFailed: 422
        case .rateLimited: 429
        case .internalError: 500
        case .unavailable: 503
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let message), .unauthenticated(let message), .notFound(let message),
            .conflict(let message), .preconditionFailed(let message), .unsupportedMediaType(let message),
            .unavailable(let message):
            message
        case .permissionDenied(let message, _): message
        case .tenantSuspended: "The tenant is suspended; its credentials cannot be used."
        case .methodNotAllowed(let allowed):
            "This route does not accept that method. Allowed: \(allowed.joined(separator: ", "))."
        case .payloadTooLarge(let limit): "The request body exceeds the limit of \(limit) bytes."
        case .validationFailed(let fields):
            "The request is invalid: "
                + fields.keys.sorted().map { "\($0): \(fields[$0]!)" }.joined(separator: "; ") + "."
        case .rateLimited(let seconds): "Rate limit exceeded; retry in \(seconds) s."
        case .internalError: "An internal error occurred; quote the request id when reporting it."
        }
    }

    /// The envelope's optional `details` object.
    public var details: JSONValue? {
        switch self {
        case .permissionDenied(_, let required) where !required.isEmpty:
            .object(["required": .array(required.map(JSONValue.string))])
        case .validationFailed(let fields):
            .object(["fields": .object(fields.mapValues(JSONValue.string))])
        case .methodNotAllowed(let allowed):
            .object(["allowed": .array(allowed.map(JSONValue.string))])
        case .payloadTooLarge(let limit):
            .object(["limit_bytes": .int(Int64(limit))])
        case .rateLimited(let seconds):
            .object(["retry_after_seconds": .int(Int64(seconds))])
        default:
            nil
        }
    }

    /// A single-field validation failure.
    public static func invalid(_ field: String, _ reason: String) -> GatehouseError {
        .validationFailed(fields: [field: reason])
    }

    /// The same error with its field names placed under `parent` (`key_prefix` → `settings.key_prefix`).
    public func nested(under parent: String) -> GatehouseError {
        guard case .validationFailed(let fields) = self else { return self }
        var nested: [String: String] = [:]
        for (field, reason) in fields {
            nested[field == "body" ? parent : "\(parent).\(field)"] = reason
        }
        return .validationFailed(fields: nested)
    }
}
