import Foundation
import GatehouseCore
import GatehouseStorage
import Hummingbird
import NIOPosix

/// Users' sessions (seed 001): register, login, refresh, logout. Access tokens are JWTs
/// (24 h by default); refresh tokens are opaque, stored hashed, rotated on every use, and a
/// replayed one revokes its whole family.
struct SessionRoutes {
    let environment: ServerEnvironment
    static let refreshPrefix = "grt"
    static let publicPaths: Set<String> = ["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout"]

    func register(on router: Router<GatehouseContext>) {
        router.post("/api/v1/auth/register", use: register)
        router.post("/api/v1/auth/login", use: login)
        router.post("/api/v1/auth/refresh", use: refresh)
        router.post("/api/v1/auth/logout", use: logout)
    }

    var hasher: PasswordHasher { PasswordHasher(logRounds: environment.options.passwordHashLogRounds) }

    /// scrypt is deliberately slow: run it on the thread pool, not on an event loop.
    func offloaded<T: Sendable>(_ work: @Sendable @escaping () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
    }

    struct RegisterBody: Decodable {
        let email: String
        let password: String
        let name: String
        let tenantName: String?
        enum CodingKeys: String, CodingKey {
            case email, password, name
            case tenantName = "tenant_name"
        }
    }

    struct LoginBody: Decodable {
        let email: String
        let password: String
    }

    struct RefreshBody: Decodable {
        let refreshToken: String
        enum CodingKeys: String, CodingKey { case refreshToken = "refresh_token" }
    }

    struct Session: Encodable {
        let access_token: String
        let refresh_token: String
        let token_type: String
        let expires_in: Int
        let user_id: String
        let tenant_id: String
    }

    /// Creates a tenant with the new user as its owner.
    @Sendable func register(request: Request, context: GatehouseContext) async throws -> Response {
        // Registrations are limited per client address (not globally, which anyone could exhaust).
        try throttle(account: "register:" + (context.remoteAddress ?? "unknown"), context: context, countAttempt: true)
        var request = request
        let body = try await request.decodeJSON(as: RegisterBody.self, limit: environment.options.maxBodyBytes)
        let email = try User.normalizeEmail(body.email)
        try PasswordHasher.validate(body.password)
        let name = try DisplayName.validate(body.name)
        let now = Timestamp.now
        let tenant = Tenant(
            id: .generate(.tenant, now: now), name: try DisplayName.validate(body.tenantName ?? "\(name)'s workspace", field: "tenant_name"),
            status: .active, partnerID: nil, settings: TenantSettings(), createdAt: now, updatedAt: now)
        let password = body.password
        let hasher = self.hasher
        let user = User(
            id: .generate(.user, now: now), tenantID: tenant.id, email: email, name: name,
            passwordHash: try await offloaded { try hasher.hash(password) }, roles: ["owner"], createdAt: now, updatedAt: now)
        do {
            try await environment.store.users.create(
                user, tenant: tenant,
                audit: AuditEvent(
                    tenantID: tenant.id, actorType: "user", actorID: user.id.rawValue, action: "user.register",
                    target: user.id.rawValue, requestID: context.requestID, ip: context.remoteAddress, userAgent: context.userAgent))
        } catch where environment.store.backend.isUniqueViolation(error) {
            throw GatehouseError.conflict("An account with this email already exists; sign in instead.")
        }
        environment.tenants.update(tenant.id, with: tenant)
        environment.users.update(user: user.id, with: user)
        return try await session(for: user, status: .created)
    }

    @Sendable func login(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: LoginBody.self, limit: environment.options.maxBodyBytes)
        let email = (try? User.normalizeEmail(body.email)) ?? body.email.lowercased()
        // Counted before the (slow) check, so concurrent guesses cannot slip past the limit;
        // a success clears the account's count.
        try throttle(account: email, context: context, countAttempt: true)
        let user = try await environment.store.users.find(email: email)
        let password = body.password
        let hasher = self.hasher
        // Hash even for unknown accounts, so timing does not tell which emails exist.
        let stored = user?.passwordHash ?? "scrypt$\(hasher.logRounds)$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        let valid = try await offloaded { hasher.verify(password, against: stored) }
        guard let user, valid else { throw GatehouseError.unauthenticated("The email or password is wrong.") }
        if environment.tenants.entry(user.tenantID)?.status == .suspended { throw GatehouseError.tenantSuspended }
        environment.loginThrottle.recordSuccess(account: email)
        return try await session(for: user, status: .ok)
    }

    func throttle(account: String, context: GatehouseContext, countAttempt: Bool) throws {
        let now = Date()
        if let wait = environment.loginThrottle.retryAfter(account: account, address: context.remoteAddress, now: now) {
            throw GatehouseError.rateLimited(retryAfterSeconds: wait)
        }
        if countAttempt { environment.loginThrottle.recordFailure(account: account, address: context.remoteAddress, now: now) }
    }

    /// A new session: an access token and the first refresh token of a new family. The
    /// access token names the family (`sid`), so ending the family ends it too.
    func session(for user: User, status: HTTPResponse.Status) async throws -> Response {
        let now = Date()
        let family = ResourceID.generate(.event)
        let minted = try await environment.tokens.mint(for: user, ttl: environment.options.sessionTTL, family: family, now: now)
        let refresh = APIKeyFormat.generate(prefix: Self.refreshPrefix)
        try await environment.store.users.storeRefreshToken(
            hash: APIKeyFormat.hash(refresh), family: family, user: user.id, tenant: user.tenantID,
            expiresAt: now.addingTimeInterval(TimeInterval(environment.options.refreshTTL)))
        var response = try JSONResponse.make(Session(
            access_token: minted.token, refresh_token: refresh, token_type: "Bearer", expires_in: minted.expiresIn,
            user_id: user.id.rawValue, tenant_id: user.tenantID.rawValue), status: status)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    @Sendable func refresh(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: RefreshBody.self, limit: environment.options.maxBodyBytes)
        let now = Date()
        let next = APIKeyFormat.generate(prefix: Self.refreshPrefix)
        let outcome = try await environment.store.users.refresh(
            hash: APIKeyFormat.hash(body.refreshToken), newHash: APIKeyFormat.hash(next),
            expiresAt: now.addingTimeInterval(TimeInterval(environment.options.refreshTTL)), now: now)
        switch outcome {
        case .invalid:
            throw GatehouseError.unauthenticated("The refresh token is unknown, expired or revoked.")
        case .reused(let family):
            try await endFamily(family, context: context)
            throw GatehouseError.unauthenticated(
                "This refresh token was already used; every session of its family has been revoked. Sign in again.")
        case .rotated(let userID, _, let family):
            guard let user = try await environment.store.users.get(userID) else {
                throw GatehouseError.unauthenticated("The user no longer exists.")
            }
            let minted = try await environment.tokens.mint(
                for: user, ttl: environment.options.sessionTTL, family: family, now: now)
            var response = try JSONResponse.make(Session(
                access_token: minted.token, refresh_token: next, token_type: "Bearer", expires_in: minted.expiresIn,
                user_id: user.id.rawValue, tenant_id: user.tenantID.rawValue))
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }

    /// Ends the session family of the refresh token (204 even when it was unknown).
    @Sendable func logout(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: RefreshBody.self, limit: environment.options.maxBodyBytes)
        if let family = try await environment.store.users.revokeFamily(ofToken: APIKeyFormat.hash(body.refreshToken), now: Date()) {
            try await endFamily(family, context: context)
        }
        return JSONResponse.noContent()
    }

    /// Denies the family's access tokens on every node until the longest of them expires.
    func endFamily(_ family: ResourceID, context: GatehouseContext) async throws {
        let until = Date().addingTimeInterval(TimeInterval(environment.options.sessionTTL))
        environment.oauth.markRevoked(family.rawValue, until: until)
        try await environment.store.oauthClients.revokeToken(
            jti: family.rawValue, tenantID: nil, expiresAt: until,
            audit: AuditEvent(
                tenantID: nil, actorType: "session", actorID: nil, action: "session.end", target: family.rawValue,
                requestID: context.requestID, ip: context.remoteAddress, userAgent: context.userAgent))
    }
}
