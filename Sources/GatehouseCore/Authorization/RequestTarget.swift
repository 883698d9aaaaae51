/// What a request acts on, for authorization: derived from its path and method alone
/// (SPEC §5), so no route declares scopes one by one.
public struct RequestTarget: Sendable, Equatable {
    public var api: String
    /// The first segment after `tenants/{tenantId}/`, or after the api on platform routes;
    /// `nil` for the api root.
    public var resource: String?
    /// `read`, `write`, or a sensitive verb such as `reveal`.
    public var action: String
    /// The tenant named in the path.
    public var tenantID: String?

    public init(api: String, resource: String?, action: String, tenantID: String? = nil) {
        self.api = api
        self.resource = resource
        self.action = action
        self.tenantID = tenantID
    }

    public enum DerivationError: Error, Equatable, Sendable {
        /// The path is not under `/api/v1/{api}`.
        case notAnAPIPath
        /// Dot segments or undecodable escapes: refused rather than normalised.
        case suspiciousPath
    }

    /// Operations that are not plain reads or writes: `(api, resource, method, extra
    /// segments after the resource)` → verb. Reading a decrypted vault credential
    /// (`GET /vault/tenants/{t}/credentials/{integrationId}`) is `reveal`.
    static func sensitiveVerb(api: String, resource: String?, method: String, rest: [Substring]) -> String? {
        if api == "vault", resource == "credentials", method == "GET", rest.count == 1 { return "reveal" }
        return nil
    }

    /// Derives the target of `method` on `path` (the path without its query string).
    public static func derive(method: String, path: String) throws(DerivationError) -> RequestTarget {
        var segments: [Substring] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard let decoded = raw.removingPercentEncoding, !decoded.contains("/") else { throw .suspiciousPath }
            guard decoded != "." && decoded != ".." else { throw .suspiciousPath }
            segments.append(Substring(decoded))
        }
        guard segments.count >= 3, segments[0] == "api", segments[1] == "v1" else { throw .notAnAPIPath }
        let api = segments[2].lowercased()
        let upperMethod = method.uppercased()
        let operation = ["GET", "HEAD", "OPTIONS"].contains(upperMethod) ? "read" : "write"
        var tenantID: String?
        var resourceIndex = 3
        if api != "admin", segments.count >= 5, segments[3] == "tenants" {
            tenantID = String(segments[4])
            resourceIndex = 5
        }
        // The resource keeps its case: scopes are lowercase, so a collection named `Users` is
        // not reached by `provisioning:users.read` (only by api-wide scopes).
        let resource = segments.count > resourceIndex ? String(segments[resourceIndex]) : nil
        let rest = segments.count > resourceIndex + 1 ? Array(segments[(resourceIndex + 1)...]) : []
        let verb = sensitiveVerb(api: api, resource: resource, method: upperMethod, rest: rest) ?? operation
        return RequestTarget(api: api, resource: resource, action: verb, tenantID: tenantID)
    }
}

extension Substring {
    var removingPercentEncoding: String? { String(self).removingPercentEncodingStrict }
}

extension String {
    /// Percent-decoding that fails on malformed escapes instead of passing them through.
    public var removingPercentEncodingStrict: String? {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue)
                else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
