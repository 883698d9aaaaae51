import Foundation
import GatehouseCore
import SQLKit

/// A token-signing key as stored: the public half in the clear, the private half sealed.
public struct StoredSigningKey: Sendable, Equatable {
    public var kid: String
    /// `EdDSA` or `ES256`.
    public var algorithm: String
    /// Ed25519: raw public key, base64; ES256: PEM.
    public var publicKey: String
    public var privateKeySealed: String
    public var createdAt: Date
    /// When it stopped signing (a newer key took over).
    public var retiredAt: Date?
    /// Until when it stays in the JWKS: the longest-lived token it signed has expired by then.
    public var publishedUntil: Date?

    public init(
        kid: String, algorithm: String, publicKey: String, privateKeySealed: String, createdAt: Date,
        retiredAt: Date? = nil, publishedUntil: Date? = nil
    ) {
        self.kid = kid
        self.algorithm = algorithm
        self.publicKey = publicKey
        self.privateKeySealed = privateKeySealed
        self.createdAt = createdAt
        self.retiredAt = retiredAt
        self.publishedUntil = publishedUntil
    }
}

public protocol SigningKeyRepository: Sendable {
    /// Keys still published (not past `published_until`), newest first.
    func published(now: Date) async throws -> [StoredSigningKey]
    /// Makes `key` the signing key: the current one retires now and stays published until
    /// `retiredPublishedUntil`.
    func rotate(to key: StoredSigningKey, retiredPublishedUntil: Date, audit: AuditEvent?) async throws
}

struct SQLSigningKeyRepository: SigningKeyRepository {
    let backend: any DatabaseBackend

    func published(now: Date) async throws -> [StoredSigningKey] {
        try await backend.read { database in
            try await database.raw("""
                SELECT * FROM signing_keys
                WHERE published_until IS NULL OR published_until > \(bind: SQLColumn.millis(now))
                ORDER BY created_at DESC
                """).all().map { row in
                StoredSigningKey(
                    kid: try row.string("kid"), algorithm: try row.string("algorithm"),
                    publicKey: try row.string("public_key"), privateKeySealed: try row.string("private_key_sealed"),
                    createdAt: try row.date("created_at"), retiredAt: try row.optionalDate("retired_at"),
                    publishedUntil: try row.optionalDate("published_until"))
            }
        }
    }

    func rotate(to key: StoredSigningKey, retiredPublishedUntil: Date, audit: AuditEvent?) async throws {
        try await backend.transaction { database in
            if backend.engine == .postgres {
                try await database.raw("SELECT pg_advisory_xact_lock(7426003)").run()
            }
            try await database.raw("""
                UPDATE signing_keys SET retired_at = \(bind: SQLColumn.millis(key.createdAt)),
                    published_until = \(bind: SQLColumn.millis(retiredPublishedUntil))
                WHERE retired_at IS NULL
                """).run()
            try await database.raw("""
                INSERT INTO signing_keys (kid, algorithm, public_key, private_key_sealed, created_at)
                VALUES (\(bind: key.kid), \(bind: key.algorithm), \(bind: key.publicKey), \(bind: key.privateKeySealed),
                    \(bind: SQLColumn.millis(key.createdAt)))
                """).run()
            try await SQLChangeFeed.publish(.signingKey, key.kid, on: database, engine: backend.engine)
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
        }
    }
}
