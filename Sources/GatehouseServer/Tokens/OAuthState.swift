import Foundation
import GatehouseCore
import GatehouseStorage
import Synchronization

/// What token verification needs to know of OAuth, in memory: which clients exist (a
/// deleted client's tokens stop) and which token ids were revoked (RFC 7009). Kept current
/// on every node by the change feed, like the credential index.
public final class OAuthState: Sendable {
    private struct State {
        var clients: [ResourceID: ResourceID] = [:]
        var revoked: [String: Date] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    func load(from store: Store) async throws {
        let clients = try await store.oauthClients.allIDs()
        let revoked = try await store.oauthClients.revokedTokens(now: Date())
        state.withLock { state in
            state.clients = Dictionary(clients.map { ($0.id, $0.tenantID) }, uniquingKeysWith: { $1 })
            state.revoked = revoked
        }
    }

    func update(client id: ResourceID, tenant: ResourceID?) {
        state.withLock { $0.clients[id] = tenant }
    }

    func reloadRevoked(from store: Store) async throws {
        let revoked = try await store.oauthClients.revokedTokens(now: Date())
        state.withLock { $0.revoked = revoked }
    }

    func tenant(ofClient id: ResourceID) -> ResourceID? {
        state.withLock { $0.clients[id] }
    }

    func isRevoked(_ jti: String) -> Bool {
        state.withLock { $0.revoked[jti] != nil }
    }

    func markRevoked(_ jti: String, until: Date) {
        state.withLock { $0.revoked[jti] = until }
    }
}
