import Foundation
import GatehouseCore
import GatehouseStorage
import Logging
import ServiceLifecycle

/// Keeps this node's in-memory state — the credential index, the tenant directory, the
/// signing keys, OAuth clients and revoked tokens, users and roles — in step with the database.
///
/// It follows the change feed when PostgreSQL's NOTIFY signals a change (within
/// milliseconds), on every poll interval regardless (in case a notification is lost, and
/// on SQLite, where other processes cannot notify), and rebuilds everything every resync
/// interval as a last safety net.
public struct ChangeFollower: Service {
    let store: Store
    let index: CredentialIndex
    let tenants: TenantDirectory
    let signingKeys: SigningKeyRing
    let oauth: OAuthState
    let users: UserDirectory
    let options: ServerOptions
    let logger: Logger
    let startSequence: Int64

    /// Loads everything; call before the server accepts requests.
    public static func warm(
        store: Store, index: CredentialIndex, tenants: TenantDirectory, signingKeys: SigningKeyRing, oauth: OAuthState,
        users: UserDirectory, options: ServerOptions, logger: Logger
    ) async throws -> ChangeFollower {
        // Read the feed position first: changes that land during the load are replayed.
        let sequence = try await store.changes.latestSequence()
        try await reloadAll(store: store, index: index, tenants: tenants)
        try await signingKeys.load(from: store, algorithm: options.signingAlgorithm)
        try await oauth.load(from: store)
        try await users.load(from: store)
        return ChangeFollower(
            store: store, index: index, tenants: tenants, signingKeys: signingKeys, oauth: oauth, users: users,
            options: options, logger: logger, startSequence: sequence)
    }

    static func reloadAll(store: Store, index: CredentialIndex, tenants: TenantDirectory) async throws {
        tenants.replaceAll(with: try await store.tenants.all())
        index.replaceAll(with: try await store.apiKeys.indexedKeys(now: Date()))
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { await follow() }
    }

    private func follow() async {
        let (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [options] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: options.changePollInterval)
                    signal.yield()
                }
            }
            if let postgres = store.backend as? PostgresBackend {
                group.addTask { [logger] in await postgres.listenForChanges(logger: logger) { signal.yield() } }
            }
            var sequence = startSequence
            let clock = ContinuousClock()
            var lastResync = clock.now
            for await _ in signals {
                if Task.isCancelled { break }
                do {
                    if clock.now - lastResync >= options.fullResyncInterval {
                        let position = try await store.changes.latestSequence()
                        try await Self.reloadAll(store: store, index: index, tenants: tenants)
                        try await signingKeys.load(from: store, algorithm: options.signingAlgorithm)
                        try await oauth.load(from: store)
                        try await users.load(from: store)
                        sequence = max(sequence, position)
                        lastResync = clock.now
                    }
                    sequence = try await apply(after: sequence)
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("Following the change feed failed; will retry", metadata: ["error": "\(error)"])
                }
            }
            group.cancelAll()
        }
    }

    /// Applies every change after `sequence`; returns the new position.
    func apply(after sequence: Int64) async throws -> Int64 {
        var position = sequence
        while true {
            let changes = try await store.changes.changes(after: position, limit: 500)
            for change in changes {
                try await apply(change)
                position = change.sequence
            }
            if changes.count < 500 { return position }
        }
    }

    private func apply(_ change: ChangeEvent) async throws {
        switch change.topic {
        case .apiKey:
            guard let id = ResourceID(change.entityID, kind: .apiKey) else { return }
            index.update(keyID: id, with: try await store.apiKeys.indexedKey(id, now: Date()))
        case .tenant:
            guard let id = ResourceID(change.entityID, kind: .tenant) else { return }
            let tenant = try await store.tenants.get(id)
            tenants.update(id, with: tenant)
            if tenant == nil { index.removeTenant(id) }
            users.update(roles: tenant == nil ? [] : try await store.users.roles(tenant: id), of: id)
        case .user:
            guard let id = ResourceID(change.entityID, kind: .user) else { return }
            users.update(user: id, with: try await store.users.get(id))
        case .signingKey:
            try await signingKeys.load(from: store, algorithm: options.signingAlgorithm)
        case .oauthClient:
            guard let id = ResourceID(change.entityID, kind: .client) else { return }
            oauth.update(client: id, with: try await store.oauthClients.get(id))
        case .revokedToken:
            try await oauth.reloadRevoked(from: store)
        case .partner:
            break
        }
    }
}
