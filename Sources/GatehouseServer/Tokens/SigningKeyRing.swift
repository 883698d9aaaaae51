import Crypto
import Foundation
import GatehouseCore
import GatehouseStorage
import JWTKit
import Synchronization

/// The keys that sign and verify Gatehouse's JWTs: the active one signs, retired ones keep
/// verifying (and stay in the JWKS) until every token they signed has expired.
///
/// Private halves are stored sealed (AES-256-GCM under a key derived from the master key,
/// bound to the kid). jwt-kit's collection would verify a token whose `kid` is missing or
/// unknown with its default key; this ring never has a default, and checks the kid itself.
public final class SigningKeyRing: Sendable {
    public enum Algorithm: String, Sendable, CaseIterable {
        case eddsa = "EdDSA"
        case es256 = "ES256"
    }

    struct State: Sendable {
        var collection = JWTKeyCollection()
        var active: String?
        var publicKeys: [String: JSONValue] = [:]
    }

    private let state = Mutex(State())
    private let sealer: SecretSealer

    /// How long a retired key stays published: the longest token lifetime (sessions) plus leeway.
    let retirementGrace: TimeInterval

    public init(masterKey: MasterKey, longestTokenLifetime: Int) {
        self.sealer = SecretSealer(masterKey: masterKey, purpose: SealPurpose.signingKeys)
        self.retirementGrace = TimeInterval(max(longestTokenLifetime, TokenService.maximumTTL) + 300)
    }

    /// Loads every published key; creates the first one when there is none.
    public func load(from store: Store, algorithm: Algorithm) async throws {
        var keys = try await store.signingKeys.published(now: Date())
        if !keys.contains(where: { $0.retiredAt == nil }) {
            _ = try await rotate(store: store, algorithm: algorithm, audit: nil)
            keys = try await store.signingKeys.published(now: Date())
        }
        var fresh = State()
        for key in keys {
            let material = try open(key)
            switch material {
            case .eddsa(let privateKey):
                await fresh.collection.add(eddsa: privateKey, kid: JWKIdentifier(string: key.kid))
            case .es256(let privateKey):
                await fresh.collection.add(ecdsa: privateKey, kid: JWKIdentifier(string: key.kid))
            }
            fresh.publicKeys[key.kid] = try Self.jwk(key)
            if key.retiredAt == nil, fresh.active == nil { fresh.active = key.kid }
        }
        _ = await fresh.collection.clearDefault()
        state.withLock { $0 = fresh }
    }

    /// Creates a new signing key and retires the current one (published until its tokens expire).
    public func rotate(store: Store, algorithm: Algorithm, audit: AuditEvent?) async throws -> String {
        let kid = "sk_" + ResourceID.generate(.event).rawValue.dropFirst(4)
        let now = Timestamp.now
        let stored: StoredSigningKey
        switch algorithm {
        case .eddsa:
            let key = Curve25519.Signing.PrivateKey()
            stored = StoredSigningKey(
                kid: kid, algorithm: algorithm.rawValue, publicKey: key.publicKey.rawRepresentation.base64EncodedString(),
                privateKeySealed: try sealer.seal(key.rawRepresentation, binding: kid), createdAt: now)
        case .es256:
            let key = P256.Signing.PrivateKey()
            stored = StoredSigningKey(
                kid: kid, algorithm: algorithm.rawValue, publicKey: key.publicKey.x963Representation.base64EncodedString(),
                privateKeySealed: try sealer.seal(key.rawRepresentation, binding: kid), createdAt: now)
        }
        try await store.signingKeys.rotate(
            to: stored, retiredPublishedUntil: now.addingTimeInterval(retirementGrace), audit: audit)
        return kid
    }

    enum Material {
        case eddsa(EdDSA.PrivateKey)
        case es256(ES256PrivateKey)
    }

    private func open(_ key: StoredSigningKey) throws -> Material {
        let raw = try sealer.open(key.privateKeySealed, binding: key.kid)
        switch Algorithm(rawValue: key.algorithm) {
        case .eddsa: return .eddsa(EdDSA.PrivateKey(backing: try Curve25519.Signing.PrivateKey(rawRepresentation: raw)))
        case .es256: return .es256(try ES256PrivateKey(backing: try P256.Signing.PrivateKey(rawRepresentation: raw)))
        case nil: throw GatehouseError.internalError
        }
    }

    /// The public JWK of a stored key.
    static func jwk(_ key: StoredSigningKey) throws -> JSONValue {
        guard let raw = Data(base64Encoded: key.publicKey) else { throw GatehouseError.internalError }
        switch Algorithm(rawValue: key.algorithm) {
        case .eddsa:
            return ["kty": "OKP", "crv": "Ed25519", "x": .string(base64URL(raw)), "kid": .string(key.kid),
                    "alg": "EdDSA", "use": "sig"]
        case .es256:
            // x963: 0x04 || X (32 bytes) || Y (32 bytes)
            let x = raw.dropFirst().prefix(32)
            let y = raw.dropFirst(33)
            return ["kty": "EC", "crv": "P-256", "x": .string(base64URL(Data(x))), "y": .string(base64URL(Data(y))),
                    "kid": .string(key.kid), "alg": "ES256", "use": "sig"]
        case nil:
            throw GatehouseError.internalError
        }
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// `{"keys": [...]}`, every published key.
    public var jwks: JSONValue {
        state.withLock { state in
            .object(["keys": .array(state.publicKeys.keys.sorted().compactMap { state.publicKeys[$0] })])
        }
    }

    var algorithms: [String] {
        state.withLock { state in Set(state.publicKeys.values.compactMap { $0["alg"]?.stringValue }).sorted() }
    }

    func sign(_ claims: AccessTokenClaims) async throws -> String {
        let (collection, active) = state.withLock { ($0.collection, $0.active) }
        guard let active else { throw GatehouseError.unavailable("No signing key is loaded.") }
        return try await collection.sign(claims, kid: JWKIdentifier(string: active))
    }

    /// Verifies the signature with the key named by the token's `kid`, which must be one
    /// of ours; a missing or unknown kid is refused before jwt-kit sees the token.
    func verify(_ token: String) async throws(GatehouseError) -> AccessTokenClaims {
        guard let kid = Self.kid(of: token) else {
            throw .unauthenticated("The token's header names no key (kid).")
        }
        let (collection, known) = state.withLock { ($0.collection, $0.publicKeys[kid] != nil) }
        guard known else { throw .unauthenticated("The token was signed by a key this deployment does not publish.") }
        do {
            return try await collection.verify(token, as: AccessTokenClaims.self)
        } catch {
            throw .unauthenticated("The token's signature or contents are invalid.")
        }
    }

    /// The `kid` of a compact JWS header, read without trusting anything else.
    static func kid(of token: String) -> String? {
        guard let header = token.split(separator: ".", maxSplits: 1).first,
            let data = CursorCodec.data(base64URLString: header),
            let object = try? JSONDecoder().decode(JSONValue.self, from: data)
        else { return nil }
        return object["kid"]?.stringValue
    }
}
