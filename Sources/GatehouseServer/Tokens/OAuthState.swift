import Foundation
import GatehouseCore
import GatehouseStorage
import Synchronization

/// What token verification needs to know of OAuth, in memory: which clients exist (a
/// deleted client's tokens stop) and which token ids were revoked (RFC 7009). Kept current
/// on every node by the change feed, like the credential index.
public final class OAuthState: Sendable {
    private struct State {
        var clients: [ResourceID: (tenant: ResourceID, scopes: [Scope])] = [:]
        var revoked: [String: Date] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    func load(from store: Store) async throws {
        let clients = try await store.oauthClients.all()
        let revoked = try await store.oauthClients.revokedTokens(now: Date())
        state.withLock { state in
            state.clients = Dictionary(clients.map { ($0.id, Self.entry($0)) }, uniquingKeysWith: { $1 })
            state.revoked = revoked
        }
    }

    static func entry(_ client: OAuthClient) -> (tenant: ResourceID, scopes: [Scope]) {
        (client.tenantID, client.scopes.compactMap { try? Scope(parsing: $0) })
    }

    func update(client id: ResourceID, with client: OAuthClient?) {
        state.withLock { $0.clients[id] = client.map(Self.entry) }
    }

    func scopes(ofClient id: ResourceID) -> [Scope] {
        state.withLock { $0.clients[id]?.scopes ?? [] }
    }

    func reloadRevoked(from store: Store) async throws {
        let revoked = try await store.oauthClients.revokedTokens(now: Date())
        state.withLock { $0.revoked = revoked }
    }

    func tenant(ofClient id: ResourceID) -> ResourceID? {
        state.withLock { $0.clients[id]?.tenant }
    }

    func isRevoked(_ jti: String) -> Bool {
        state.withLock { $0.revoked[jti] != nil }
    }

    func markRevoked(_ jti: String, until: Date) {
        state.withLock { $0.revoked[jti] = until }
    }
}
