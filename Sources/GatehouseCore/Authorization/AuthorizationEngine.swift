/// Decides whether granted scopes allow a request target, and says what would have.
public enum AuthorizationEngine {
    public enum Decision: Equatable, Sendable {
        case allowed
        /// Denied; `required` lists every scope that would have been accepted.
        case denied(required: [String])
    }

    public static func decide(grants: [Scope], target: RequestTarget) -> Decision {
        if grants.contains(where: { $0.allows(api: target.api, resource: target.resource, action: target.action) }) {
            return .allowed
        }
        return .denied(required: acceptableScopes(for: target))
    }

    /// Every scope that allows `target`, most specific last, as a denial lists them.
    public static func acceptableScopes(for target: RequestTarget) -> [String] {
        var scopes = ["*", "\(target.api):*"]
        if Scope.Operation(rawValue: target.action) != nil { scopes.append("\(target.api):\(target.action)") }
        if let resource = target.resource {
            scopes.append("\(target.api):\(resource).*")
            scopes.append("\(target.api):\(resource).\(target.action)")
        }
        return scopes
    }

    /// Service permissions (seed 001) gate gateway routes; independent of scopes.
    public static func hasPermission(_ permission: String, in granted: [String]) -> Bool {
        granted.contains("*") || granted.contains(permission)
    }
}
