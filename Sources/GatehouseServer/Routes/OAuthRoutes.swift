import Foundation
import GatehouseCore
import GatehouseStorage
import HTTPTypes
import Hummingbird

/// The OAuth 2.0 endpoints: `POST /oauth/token` (client credentials, RFC 6749 §4.4),
/// `POST /oauth/introspect` (RFC 7662) and `POST /oauth/revoke` (RFC 7009). Requests are
/// form-encoded; clients authenticate with `client_secret_basic` or `client_secret_post`;
/// errors follow RFC 6749 §5.2 — not the API's envelope.
struct OAuthRoutes {
    let environment: ServerEnvironment

    func register(on router: Router<GatehouseContext>) {
        router.post("/oauth/token", use: token)
        router.post("/oauth/introspect", use: introspect)
        router.post("/oauth/revoke", use: revoke)
    }

    /// An RFC 6749 §5.2 error.
    struct OAuthError: Error {
        let code: String
        let description: String
        var status: HTTPResponse.Status = .badRequest
        var basicChallenge = false

        static func invalidRequest(_ description: String) -> OAuthError { OAuthError(code: "invalid_request", description: description) }
        static func invalidClient(basic: Bool) -> OAuthError {
            OAuthError(code: "invalid_client", description: "Client authentication failed.", status: .unauthorized, basicChallenge: basic)
        }
    }

    static func respond(_ body: JSONValue, status: HTTPResponse.Status = .ok) throws -> Response {
        var response = try JSONResponse.make(body, status: status)
        response.headers[.cacheControl] = "no-store"
        response.headers[HTTPField.Name("Pragma")!] = "no-cache"
        return response
    }

    static func respond(_ error: OAuthError) -> Response {
        var response = (try? respond(["error": .string(error.code), "error_description": .string(error.description)], status: error.status))
            ?? Response(status: error.status)
        if error.basicChallenge { response.headers[.wwwAuthenticate] = "Basic realm=\"gatehouse\"" }
        return response
    }

    /// Runs `body`, rendering OAuth errors per RFC 6749 and anything else as `server_error`.
    func handle(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as OAuthError {
            return Self.respond(error)
        } catch {
            return Self.respond(OAuthError(code: "server_error", description: "The server failed.", status: .internalServerError))
        }
    }

    /// Parses an `application/x-www-form-urlencoded` body.
    func form(_ request: inout Request) async throws -> [String: String] {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
            throw OAuthError.invalidRequest("Send the parameters form-encoded (application/x-www-form-urlencoded).")
        }
        guard let buffer = try? await request.body.collect(upTo: 64 * 1024) else {
            throw OAuthError.invalidRequest("The request body is too large.")
        }
        var fields: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.formDecode(parts[0]) else { throw OAuthError.invalidRequest("Malformed form encoding.") }
            let value = parts.count > 1 ? Self.formDecode(parts[1]) : ""
            guard let value else { throw OAuthError.invalidRequest("Malformed form encoding.") }
            guard fields[name] == nil else { throw OAuthError.invalidRequest("The parameter \(name) is repeated.") }
            fields[name] = value
        }
        return fields
    }

    static func formDecode(_ text: Substring) -> String? {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncodingStrict
    }

    /// The client from `Authorization: Basic` or from `client_id`/`client_secret` in the body.
    func authenticateClient(_ request: Request, form: [String: String]) async throws -> OAuthClient {
        var credentials: (id: String, secret: String)?
        var basic = false
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("basic ") {
            basic = true
            guard let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                let decoded = String(data: data, encoding: .utf8), let colon = decoded.firstIndex(of: ":"),
                let id = Self.formDecode(decoded[..<colon]), let secret = Self.formDecode(decoded[decoded.index(after: colon)...])
            else { throw OAuthError.invalidClient(basic: true) }
            credentials = (id, secret)
            if form["client_secret"] != nil { throw OAuthError.invalidRequest("Use one client authentication method.") }
        } else if let id = form["client_id"], let secret = form["client_secret"] {
            credentials = (id, secret)
        }
        guard let (rawID, secret) = credentials, let id = ResourceID(rawID, kind: .client),
            let client = try await environment.store.oauthClients.get(id), client.accepts(secret: secret, now: Date()),
            environment.tenants.entry(client.tenantID)?.status == .active
        else { throw OAuthError.invalidClient(basic: basic) }
        return client
    }

    @Sendable func token(request: Request, context: GatehouseContext) async throws -> Response {
        await handle {
            var request = request
            let form = try await form(&request)
            guard let grant = form["grant_type"] else { throw OAuthError.invalidRequest("grant_type is required.") }
            guard grant == "client_credentials" else {
                throw OAuthError(code: "unsupported_grant_type", description: "Only client_credentials is supported.")
            }
            let client = try await authenticateClient(request, form: form)
            let allowed = client.scopes.compactMap { try? Scope(parsing: $0) }
            var scopes = allowed
            if let requested = form["scope"] {
                scopes = []
                for text in requested.split(separator: " ") {
                    guard let scope = try? Scope(parsing: String(text)), scope.isCovered(by: allowed) else {
                        throw OAuthError(code: "invalid_scope", description: "The scope '\(text.prefix(80))' is not allowed for this client.")
                    }
                    scopes.append(scope)
                }
            }
            let minted = try await environment.tokens.mint(for: client, scopes: scopes, ttl: TokenService.defaultTTL, now: Date())
            return try Self.respond([
                "access_token": .string(minted.token), "token_type": "Bearer", "expires_in": .int(Int64(minted.expiresIn)),
                "scope": .string(minted.scope),
            ])
        }
    }

    /// RFC 7662: an authenticated client asks about tokens issued to it.
    @Sendable func introspect(request: Request, context: GatehouseContext) async throws -> Response {
        await handle {
            var request = request
            let form = try await form(&request)
            let client = try await authenticateClient(request, form: form)
            guard let token = form["token"] else { throw OAuthError.invalidRequest("token is required.") }
            // A client learns about its own tokens only (RFC 7662 leaves the policy to us).
            guard let claims = await environment.tokens.introspect(token, now: Date()), claims.sub == client.id.rawValue
            else { return try Self.respond(["active": false]) }
            var body: [String: JSONValue] = [
                "active": true, "scope": .string(claims.scope), "sub": .string(claims.sub), "iss": .string(claims.iss),
                "exp": .int(claims.exp), "iat": .int(claims.iat), "jti": .string(claims.jti), "token_type": "Bearer",
                "aud": .array(claims.aud.map(JSONValue.string)),
            ]
            if let tenant = claims.tenantID { body["tenant_id"] = .string(tenant) }
            if claims.sub.hasPrefix("cli_") { body["client_id"] = .string(claims.sub) }
            return try Self.respond(.object(body))
        }
    }

    /// RFC 7009: a client revokes a token issued to it; 200 whatever the token was.
    @Sendable func revoke(request: Request, context: GatehouseContext) async throws -> Response {
        await handle {
            var request = request
            let form = try await form(&request)
            let client = try await authenticateClient(request, form: form)
            guard let token = form["token"] else { throw OAuthError.invalidRequest("token is required.") }
            // RFC 7009: a client revokes only tokens issued to it.
            if let claims = await environment.tokens.introspect(token, now: Date()), claims.sub == client.id.rawValue {
                let expiry = Date(timeIntervalSince1970: TimeInterval(claims.exp))
                environment.oauth.markRevoked(claims.jti, until: expiry)
                try await environment.store.oauthClients.revokeToken(
                    jti: claims.jti, tenantID: client.tenantID, expiresAt: expiry,
                    audit: AuditEvent(
                        tenantID: client.tenantID, actorType: "oauth_client", actorID: client.id.rawValue, action: "token.revoke",
                        target: claims.jti, requestID: context.requestID, ip: context.remoteAddress, userAgent: context.userAgent))
            }
            return try Self.respond([:])
        }
    }
}
