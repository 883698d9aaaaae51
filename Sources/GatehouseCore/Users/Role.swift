/// A named set of scopes. Four are built in; tenants define their own.
public struct Role: Sendable, Equatable {
    public var name: String
    public var scopes: [String]
    public var description: String
    public var builtIn: Bool

    public init(name: String, scopes: [String], description: String, builtIn: Bool = false) {
        self.name = name
        self.scopes = scopes
        self.description = description
        self.builtIn = builtIn
    }

    /// The built-in roles (seed 003).
    public static let builtIn: [Role] = [
        Role(name: "owner", scopes: ["*"], description: "Everything, including users, roles and keys.", builtIn: true),
        Role(name: "admin", scopes: [
            "iam:*", "provisioning:*", "reporting:read", "audit:read", "vault:*", "webhooks:*", "metering:*",
        ], description: "Manages the tenant's users, keys and data.", builtIn: true),
        Role(name: "developer", scopes: [
            "iam:api-keys.*", "iam:read", "provisioning:*", "reporting:read", "webhooks:*", "metering:read",
        ], description: "Builds against the tenant: keys, documents, webhooks.", builtIn: true),
        Role(name: "viewer", scopes: ["iam:read", "provisioning:read", "reporting:read", "audit:read"],
             description: "Reads everything it may see, changes nothing.", builtIn: true),
    ]

    /// Names follow the scope-name rule: lowercase letters, digits, `_`, `-`.
    public static func validateName(_ name: String) throws(GatehouseError) {
        guard Scope.isName(Substring(name)) else { throw .invalid("name", "must be a lowercase name such as support-agent") }
    }

    /// The union of the scopes of `roles` (names resolved against `custom` and the built-ins).
    public static func scopes(of roles: [String], custom: [Role]) -> [Scope] {
        var scopes: [Scope] = []
        for name in roles {
            guard let role = custom.first(where: { $0.name == name }) ?? builtIn.first(where: { $0.name == name }) else { continue }
            for scope in role.scopes.compactMap({ try? Scope(parsing: $0) }) where !scopes.contains(scope) { scopes.append(scope) }
        }
        return scopes
    }
}

/// A person who signs in to a tenant with email and password.
public struct User: Sendable, Equatable {
    public var id: ResourceID
    public var tenantID: ResourceID
    public var email: String
    public var name: String
    public var passwordHash: String?
    public var roles: [String]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: ResourceID, tenantID: ResourceID, email: String, name: String, passwordHash: String?, roles: [String],
        createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.tenantID = tenantID
        self.email = email
        self.name = name
        self.passwordHash = passwordHash
        self.roles = roles
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Lowercased and trimmed; a single `@` with text on both sides.
    public static func normalizeEmail(_ email: String) throws(GatehouseError) -> String {
        let normalized = email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = normalized.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), normalized.count <= 254,
            !normalized.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control })
        else { throw .invalid("email", "must be an email address") }
        return normalized
    }
}

import Foundation
