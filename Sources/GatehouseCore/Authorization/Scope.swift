/// One granted scope. Grammar (SPEC §5):
/// `*` | `{api}:*` | `{api}:read` | `{api}:write` | `{api}:{resource}.*` | `{api}:{resource}.{action}`.
///
/// Names are lowercase letters, digits, `_` and `-`, starting with a letter, at most 64
/// characters. `{api}:read` and `{api}:write` are the api-wide operations; any other
/// bare action (`{api}:reveal`) is malformed, since actions other than read and write
/// exist only on a resource.
public enum Scope: Hashable, Sendable, CustomStringConvertible {
    /// `*`: everything.
    case all
    /// `{api}:*`
    case api(String)
    /// `{api}:read` or `{api}:write`.
    case operation(api: String, Operation)
    /// `{api}:{resource}.*`
    case resource(api: String, resource: String)
    /// `{api}:{resource}.{action}`
    case action(api: String, resource: String, action: String)

    public enum Operation: String, Sendable, CaseIterable {
        case read
        case write
    }

    public enum ParseError: Error, Equatable, Sendable {
        case malformed(String)
    }

    public init(parsing text: String) throws(ParseError) {
        if text == "*" {
            self = .all
            return
        }
        let halves = text.split(separator: ":", omittingEmptySubsequences: false)
        guard halves.count == 2, Self.isName(halves[0]) else { throw .malformed(text) }
        let api = String(halves[0])
        let rest = halves[1]
        if rest == "*" {
            self = .api(api)
            return
        }
        if let operation = Operation(rawValue: String(rest)) {
            self = .operation(api: api, operation)
            return
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, Self.isName(parts[0]) else { throw .malformed(text) }
        if parts[1] == "*" {
            self = .resource(api: api, resource: String(parts[0]))
        } else if Self.isName(parts[1]) {
            self = .action(api: api, resource: String(parts[0]), action: String(parts[1]))
        } else {
            throw .malformed(text)
        }
    }

    /// Whether `text` is a valid api, resource, action or permission name.
    public static func isName(_ text: Substring) -> Bool {
        let bytes = text.utf8
        guard let first = bytes.first, (1...64).contains(bytes.count),
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first)
        else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    public var description: String {
        switch self {
        case .all: "*"
        case .api(let api): "\(api):*"
        case .operation(let api, let operation): "\(api):\(operation.rawValue)"
        case .resource(let api, let resource): "\(api):\(resource).*"
        case .action(let api, let resource, let action): "\(api):\(resource).\(action)"
        }
    }

    /// Whether this grant allows `action` on `resource` of `api`.
    ///
    /// Only `read` and `write` are implied by the api-wide `{api}:read` / `{api}:write`;
    /// a sensitive verb such as `reveal` needs a wildcard or its own scope.
    public func allows(api: String, resource: String?, action: String) -> Bool {
        switch self {
        case .all:
            return true
        case .api(let granted):
            return granted == api
        case .operation(let granted, let operation):
            return granted == api && operation.rawValue == action
        case .resource(let granted, let grantedResource):
            return granted == api && grantedResource == resource
        case .action(let granted, let grantedResource, let grantedAction):
            return granted == api && grantedResource == resource && grantedAction == action
        }
    }

    /// Whether everything this scope allows is also allowed by one of `grants`: the rule
    /// for keys created or tokens minted by a principal that holds `grants`.
    public func isCovered(by grants: [Scope]) -> Bool {
        grants.contains { grant in
            switch (self, grant) {
            case (_, .all): true
            case (.all, _): false
            case (.api(let api), .api(let granted)): api == granted
            case (.api, _): false
            case (.operation(let api, _), .api(let granted)): api == granted
            case (.operation(let api, let operation), .operation(let granted, let grantedOperation)):
                api == granted && operation == grantedOperation
            case (.operation, _): false
            case (.resource(let api, _), .api(let granted)): api == granted
            case (.resource(let api, let resource), .resource(let granted, let grantedResource)):
                api == granted && resource == grantedResource
            case (.resource, _): false
            case (.action(let api, let resource, let action), _):
                grant.allows(api: api, resource: resource, action: action)
            }
        }
    }

    /// Parses every scope, naming the first malformed one by its index (`scopes[2]`).
    public static func parseAll(_ texts: [String], field: String = "scopes") throws(GatehouseError) -> [Scope] {
        var scopes: [Scope] = []
        for (index, text) in texts.enumerated() {
            do {
                scopes.append(try Scope(parsing: text))
            } catch {
                throw .invalid(
                    "\(field)[\(index)]",
                    "'\(text.prefix(80))' is not a scope; use *, api:*, api:read, api:write, api:resource.* or api:resource.action")
            }
        }
        return scopes
    }
}
