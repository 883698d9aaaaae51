import Foundation
import GatehouseCore
import GatehouseStorage
import Synchronization

/// The in-memory index that authenticates requests without touching the database:
/// SHA-256 of each live secret → the key it belongs to.
///
/// Warmed from the database at start, then kept current by ``ChangeFollower``.
public final class CredentialIndex: Sendable {
    struct Entry: Sendable {
        let key: APIKeyRecord
        let secretExpiresAt: Date?
    }

    private struct State {
        var byHash: [String: Entry] = [:]
        var hashesByKey: [ResourceID: [String]] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    func lookup(hash: String) -> Entry? {
        state.withLock { $0.byHash[hash] }
    }

    public var count: Int { state.withLock { $0.byHash.count } }

    /// Replaces the whole index (start-up and periodic resync).
    func replaceAll(with live: [(key: APIKeyRecord, secrets: [APIKeySecretRecord])]) {
        var fresh = State()
        fresh.byHash.reserveCapacity(live.count)
        for (key, secrets) in live {
            for secret in secrets {
                fresh.byHash[secret.hash] = Entry(key: key, secretExpiresAt: secret.expiresAt)
            }
            fresh.hashesByKey[key.id] = secrets.map(\.hash)
        }
        state.withLock { $0 = fresh }
    }

    /// Replaces what the index holds for one key; `nil` (revoked or deleted) removes it.
    func update(keyID: ResourceID, with live: (key: APIKeyRecord, secrets: [APIKeySecretRecord])?) {
        state.withLock { state in
            for hash in state.hashesByKey.removeValue(forKey: keyID) ?? [] {
                state.byHash[hash] = nil
            }
            guard let (key, secrets) = live else { return }
            for secret in secrets {
                state.byHash[secret.hash] = Entry(key: key, secretExpiresAt: secret.expiresAt)
            }
            state.hashesByKey[key.id] = secrets.map(\.hash)
        }
    }

    /// Drops every key of a deleted tenant at once.
    func removeTenant(_ tenantID: ResourceID) {
        state.withLock { state in
            let keys = state.byHash.values.filter { $0.key.tenantID == tenantID }.map(\.key.id)
            for keyID in Set(keys) {
                for hash in state.hashesByKey.removeValue(forKey: keyID) ?? [] {
                    state.byHash[hash] = nil
                }
            }
        }
    }
}
