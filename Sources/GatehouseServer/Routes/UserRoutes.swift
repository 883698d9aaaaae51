import Foundation
import GatehouseCore
import GatehouseStorage
import Hummingbird
import NIOPosix

/// `/api/v1/iam/tenants/{tenantId}/users` and `/roles` (seed 003): people, and the named
/// scope sets they hold. A user's scopes are the union of its roles' scopes.
struct UserRoutes {
    let environment: ServerEnvironment
    var users: any UserRepository { environment.store.users }

    func register(on router: Router<GatehouseContext>) {
        let people = router.group("/api/v1/iam/tenants/{tenantId}/users")
        people.post(use: create)
        people.get(use: list)
        people.get("{userId}", use: get)
        people.patch("{userId}", use: update)
        people.delete("{userId}", use: delete)
        let roles = router.group("/api/v1/iam/tenants/{tenantId}/roles")
        roles.get(use: listRoles)
        roles.post(use: saveRole)
        roles.delete("{roleName}", use: deleteRole)
    }

    struct CreateBody: Decodable {
        let email: String
        let name: String
        let roles: [String]?
        let password: String?
    }

    struct UpdateBody: Decodable {
        let name: String?
        let roles: [String]?
    }

    /// Roles must exist, and a caller can hand out only roles whose scopes it holds.
    func checkRoles(_ names: [String], tenant: ResourceID, context: GatehouseContext) async throws -> [String] {
        let custom = try await users.roles(tenant: tenant)
        let principal = try context.requirePrincipal()
        for (index, name) in names.enumerated() {
            guard let role = custom.first(where: { $0.name == name }) ?? Role.builtIn.first(where: { $0.name == name }) else {
                throw GatehouseError.invalid("roles[\(index)]", "no role of this tenant is named '\(name.prefix(64))'")
            }
            _ = try KeyFields.scopes(role.scopes, grantedBy: principal)
        }
        return names
    }

    /// Authority over a user: the caller must hold the scopes of every role the user has.
    /// Roles deleted since they were assigned grant nothing and are skipped.
    func requireAuthority(over user: User, context: GatehouseContext) async throws {
        let known = Set((try await users.roles(tenant: user.tenantID)).map(\.name) + Role.builtIn.map(\.name))
        _ = try await checkRoles(user.roles.filter(known.contains), tenant: user.tenantID, context: context)
    }

    @Sendable func create(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: CreateBody.self, limit: environment.options.maxBodyBytes)
        let tenant = try context.requireTenant()
        guard try await environment.store.tenants.get(tenant) != nil else { throw GatehouseError.notFound("No tenant has this id.") }
        let roles = try await checkRoles(body.roles ?? ["viewer"], tenant: tenant, context: context)
        var passwordHash: String?
        if let password = body.password {
            try PasswordHasher.validate(password)
            let hasher = PasswordHasher(logRounds: environment.options.passwordHashLogRounds)
            passwordHash = try await NIOThreadPool.singleton.runIfActive { try hasher.hash(password) }
        }
        let now = Timestamp.now
        let user = User(
            id: .generate(.user, now: now), tenantID: tenant, email: try User.normalizeEmail(body.email),
            name: try DisplayName.validate(body.name), passwordHash: passwordHash, roles: roles, createdAt: now, updatedAt: now)
        do {
            try await users.create(user, tenant: nil, audit: context.auditEvent("user.create", target: user.id.rawValue))
        } catch where environment.store.backend.isUniqueViolation(error) {
            throw GatehouseError.conflict("A user with this email already exists.")
        }
        environment.users.update(user: user.id, with: user)
        return try JSONResponse.make(UserView(user), status: .created)
    }

    @Sendable func list(request: Request, context: GatehouseContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let list = "iam.users.\(tenant)"
        let page = try request.pageRequest(list: list, codec: environment.cursors)
        return try JSONResponse.make(
            ListEnvelope(page: try await users.list(tenant: tenant, page: page), list: list, codec: environment.cursors, render: UserView.init))
    }

    func user(in context: GatehouseContext) async throws -> User {
        let id = try context.pathID("userId", .user)
        guard let user = try await users.get(id), user.tenantID == context.tenantID else {
            throw GatehouseError.notFound("This tenant has no user with this id.")
        }
        return user
    }

    @Sendable func get(request: Request, context: GatehouseContext) async throws -> Response {
        try JSONResponse.make(UserView(try await user(in: context)))
    }

    @Sendable func update(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: UpdateBody.self, limit: environment.options.maxBodyBytes)
        let existing = try await user(in: context)
        try await requireAuthority(over: existing, context: context)
        let roles = try await body.roles.asyncMap { try await checkRoles($0, tenant: existing.tenantID, context: context) }
        let name = try body.name.map { try DisplayName.validate($0) }
        let updated = try await users.update(
            existing.id, audit: context.auditEvent("user.update", target: existing.id.rawValue)
        ) { user in
            if let roles { user.roles = roles }
            if let name { user.name = name }
            user.updatedAt = Timestamp.now
        }
        guard let updated else { throw GatehouseError.notFound("This tenant has no user with this id.") }
        environment.users.update(user: updated.id, with: updated)
        return try JSONResponse.make(UserView(updated))
    }

    @Sendable func delete(request: Request, context: GatehouseContext) async throws -> Response {
        let existing = try await user(in: context)
        try await requireAuthority(over: existing, context: context)
        _ = try await users.delete(existing.id, audit: context.auditEvent("user.delete", target: existing.id.rawValue))
        environment.users.update(user: existing.id, with: nil)
        return JSONResponse.noContent()
    }

    struct RoleBody: Decodable {
        let name: String
        let scopes: [String]
        let description: String?
    }

    struct RoleView: Encodable {
        let name: String
        let scopes: [String]
        let description: String
        let built_in: Bool
    }

    @Sendable func listRoles(request: Request, context: GatehouseContext) async throws -> Response {
        let custom = try await users.roles(tenant: try context.requireTenant())
        let all = (Role.builtIn + custom).map { RoleView(name: $0.name, scopes: $0.scopes, description: $0.description, built_in: $0.builtIn) }
        return try JSONResponse.make(ListEnvelope(
            page: Page(items: all, total: all.count, nextAfter: nil), list: "", codec: environment.cursors, render: { $0 }))
    }

    /// Creates or replaces a custom role; built-in names are reserved.
    @Sendable func saveRole(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: RoleBody.self, limit: environment.options.maxBodyBytes)
        let tenant = try context.requireTenant()
        try Role.validateName(body.name)
        guard !Role.builtIn.contains(where: { $0.name == body.name }) else {
            throw GatehouseError.conflict("'\(body.name)' is a built-in role; choose another name.")
        }
        let role = Role(
            name: body.name, scopes: try KeyFields.scopes(body.scopes, grantedBy: try context.requirePrincipal()),
            description: body.description ?? "")
        try await users.saveRole(role, tenant: tenant, audit: context.auditEvent("role.save", target: role.name))
        environment.users.update(roles: try await users.roles(tenant: tenant), of: tenant)
        return try JSONResponse.make(RoleView(name: role.name, scopes: role.scopes, description: role.description, built_in: false), status: .created)
    }

    @Sendable func deleteRole(request: Request, context: GatehouseContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let name = context.parameters.get("roleName") ?? ""
        guard try await users.deleteRole(name, tenant: tenant, audit: context.auditEvent("role.delete", target: name)) else {
            throw GatehouseError.notFound("This tenant has no custom role with this name.")
        }
        environment.users.update(roles: try await users.roles(tenant: tenant), of: tenant)
        return JSONResponse.noContent()
    }
}

struct UserView: Encodable {
    let id: String
    let tenant_id: String
    let email: String
    let name: String
    let roles: [String]
    let has_password: Bool
    let created_at: Date
    let updated_at: Date

    init(_ user: User) {
        id = user.id.rawValue
        tenant_id = user.tenantID.rawValue
        email = user.email
        name = user.name
        roles = user.roles
        has_password = user.passwordHash != nil
        created_at = user.createdAt
        updated_at = user.updatedAt
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
