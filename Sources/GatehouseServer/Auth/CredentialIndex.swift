import Foundation
import GatehouseCore
import GatehouseStorage
import NIOCore
import Synchronization

/// One encoded response body, kept with a credential because it depends on it alone.
final class EncodedResponseCache: Sendable {
    private let body = Mutex<ByteBuffer?>(nil)

    var value: ByteBuffer? {
        get { body.withLock { $0 } }
        set { body.withLock { $0 = newValue } }
    }
}

/// The in-memory index that authenticates requests without touching the database:
/// SHA-256 of each secret → the key it belongs to and the principal it acts as.
///
/// It holds revoked keys and recently rotated-out secrets too, so a denial can say which
/// it was. Warmed from the database at start, then kept current by ``ChangeFollower``.
public final class CredentialIndex: Sendable {
    /// One secret of one key. A class, so the dictionaries hold a pointer, not a copy.
    final class Entry: Sendable {
        let key: APIKeyRecord
        let principal: Principal
        let secretExpiresAt: Date?
        /// The digest of the secret this entry stands for.
        let digest: SecretDigest
        /// `GET /auth/whoami`'s body, encoded on first use: it depends on the principal only.
        let whoami = EncodedResponseCache()

        init(key: APIKeyRecord, principal: Principal, secretExpiresAt: Date?, digest: SecretDigest) {
            self.key = key
            self.principal = principal
            self.secretExpiresAt = secretExpiresAt
            self.digest = digest
        }
    }

    private struct State {
        var byDigest: [SecretDigest: Entry] = [:]
        var digestsByKey: [ResourceID: [SecretDigest]] = [:]

        mutating func remove(_ keyID: ResourceID) {
            for digest in digestsByKey.removeValue(forKey: keyID) ?? [] { byDigest[digest] = nil }
        }

        mutating func insert(_ indexed: IndexedKey) {
            let principal = indexed.key.principal
            var digests: [SecretDigest] = []
            for secret in indexed.secrets {
                guard let digest = SecretDigest(hex: secret.hash) else { continue }
                byDigest[digest] = Entry(
                    key: indexed.key, principal: principal, secretExpiresAt: secret.expiresAt, digest: digest)
                digests.append(digest)
            }
            digestsByKey[indexed.key.id] = digests
        }
    }

    private let state = Mutex(State())

    public init() {}

    func lookup(_ digest: SecretDigest) -> Entry? {
        state.withLock { $0.byDigest[digest] }
    }

    /// The secrets' digests of one key (at most two live, plus recently rotated-out ones).
    func digests(ofKey keyID: ResourceID) -> [SecretDigest] {
        state.withLock { $0.digestsByKey[keyID] ?? [] }
    }

    /// Whether the index holds this secret (live or not).
    public func contains(secret: String) -> Bool {
        lookup(APIKeyFormat.digest(secret)) != nil
    }

    /// How many secrets the index holds.
    public var count: Int { state.withLock { $0.byDigest.count } }

    /// Replaces the whole index (start-up and periodic resync).
    public func replaceAll(with keys: [IndexedKey]) {
        var fresh = State()
        fresh.byDigest.reserveCapacity(keys.count)
        fresh.digestsByKey.reserveCapacity(keys.count)
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
            let keys = Set(state.byDigest.values.filter { $0.key.tenantID == tenantID }.map(\.key.id))
            for keyID in keys { state.remove(keyID) }
        }
    }
}
