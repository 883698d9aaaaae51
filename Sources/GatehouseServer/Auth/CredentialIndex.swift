import Foundation
import GatehouseCore
import GatehouseStorage
import Synchronization

/// The in-memory index that authenticates requests without touching the database:
/// SHA-256 of each secret → the key it belongs to and the principal it acts as.
///
/// It holds revoked keys and recently rotated-out secrets too, so a denial can say which
/// it was. Warmed from the database at start, then kept current by ``ChangeFollower``.
public final class CredentialIndex: Sendable {
    struct Entry: Sendable {
        let key: APIKeyRecord
        let principal: Principal
        let secretExpiresAt: Date?
    }

    private struct State {
        var byHash: [String: Entry] = [:]
        var hashesByKey: [ResourceID: [String]] = [:]

        mutating func remove(_ keyID: ResourceID) {
            for hash in hashesByKey.removeValue(forKey: keyID) ?? [] { byHash[hash] = nil }
        }

        mutating func insert(_ indexed: IndexedKey) {
            let principal = indexed.key.principal
            for secret in indexed.secrets {
                byHash[secret.hash] = Entry(key: indexed.key, principal: principal, secretExpiresAt: secret.expiresAt)
            }
            hashesByKey[indexed.key.id] = indexed.secrets.map(\.hash)
        }
    }

    private let state = Mutex(State())

    public init() {}

    func lookup(hash: String) -> Entry? {
        state.withLock { $0.byHash[hash] }
    }

    /// Whether the index holds the secret with this SHA-256 (live or not).
    public func contains(hash: String) -> Bool {
        lookup(hash: hash) != nil
    }

    /// How many secrets the index holds.
    public var count: Int { state.withLock { $0.byHash.count } }

    /// Replaces the whole index (start-up and periodic resync).
    public func replaceAll(with keys: [IndexedKey]) {
        var fresh = State()
        fresh.byHash.reserveCapacity(keys.count)
        fresh.hashesByKey.reserveCapacity(keys.count)
        for key in keys { fresh.insert(key) }
        state.withLock { $0 = fresh }
    }

    /// Replaces what the index holds for one key; `nil` (deleted) removes it.
    func update(keyID: ResourceID, with indexed: IndexedKey?) {
        state.withLock { state in
            state.remove(keyID)
            if let indexed { state.insert(indexed) }
        }
    }

    /// Drops every key of a deleted tenant at once.
    func removeTenant(_ tenantID: ResourceID) {
        state.withLock { state in
            let keys = Set(state.byHash.values.filter { $0.key.tenantID == tenantID }.map(\.key.id))
            for keyID in keys { state.remove(keyID) }
        }
    }
}
