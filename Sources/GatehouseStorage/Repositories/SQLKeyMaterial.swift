import Foundation
import GatehouseCore
import SQLKit

/// What the master key protects, as a whole: the key check, the wrapped data keys and the
/// sealed signing keys.
public protocol KeyMaterialRepository: Sendable {
    /// Compares `masterKey` with the key check stored beside the data (recording one on a
    /// fresh database).
    func verify(_ masterKey: MasterKey) async throws -> MasterKeyVerdict
    /// Re-wraps every data key and re-seals every signing key and the key check from `old`
    /// to `new`, in one transaction: all or nothing.
    func rotateMasterKey(from old: MasterKey, to new: MasterKey) async throws -> MasterKeyRotation
}

public enum MasterKeyVerdict: Sendable, Equatable {
    case recorded
    case matches
    /// Another key sealed this database's data; its fingerprint says which.
    case mismatch(storedFingerprint: String)
}

public struct MasterKeyRotation: Sendable, Equatable {
    public var dataKeys = 0
    public var signingKeys = 0
    public var webhookSecrets = 0
}

public enum MasterKeyRotationError: Error, CustomStringConvertible {
    case currentKeyDoesNotMatch(storedFingerprint: String)
    case sameKey

    public var description: String {
        switch self {
        case .currentKeyDoesNotMatch(let stored):
            "The current master key does not open this database's data (it was sealed by key \(stored)); nothing changed."
        case .sameKey: "The new master key is the current one; nothing changed."
        }
    }
}

struct SQLKeyMaterial: KeyMaterialRepository {
    static let checkName = "master"
    let backend: any DatabaseBackend

    func verify(_ masterKey: MasterKey) async throws -> MasterKeyVerdict {
        try await backend.transaction { database in
            let check = MasterKeyCheck(masterKey: masterKey)
            if let row = try await database.raw(
                "SELECT sealed, fingerprint FROM key_check WHERE name = \(bind: Self.checkName)"
            ).first() {
                return check.matches(try row.string("sealed"))
                    ? .matches : .mismatch(storedFingerprint: try row.string("fingerprint"))
            }
            // A database sealed before the check existed: record the key only if it opens
            // what is already sealed, so a mistyped key is never written down as the right one.
            if let sealed = try await database.raw(
                "SELECT kid, private_key_sealed FROM signing_keys ORDER BY created_at LIMIT 1"
            ).first() {
                let sealer = SecretSealer(masterKey: masterKey, purpose: SealPurpose.signingKeys)
                guard (try? sealer.open(try sealed.string("private_key_sealed"), binding: try sealed.string("kid"))) != nil
                else { return .mismatch(storedFingerprint: "(unrecorded: the key that sealed the existing signing keys)") }
            }
            try await database.raw("""
                INSERT INTO key_check (name, sealed, fingerprint, updated_at)
                VALUES (\(bind: Self.checkName), \(bind: try check.make()), \(bind: masterKey.fingerprint),
                    \(bind: Timestamp.nowMilliseconds))
                ON CONFLICT (name) DO NOTHING
                """).run()
            // Another node may have recorded its key first: compare with what is stored now.
            let stored = try await database.raw(
                "SELECT sealed, fingerprint FROM key_check WHERE name = \(bind: Self.checkName)"
            ).first()
            guard let stored, check.matches(try stored.string("sealed")) else {
                return .mismatch(storedFingerprint: try stored?.string("fingerprint") ?? "unknown")
            }
            return .recorded
        }
    }

    func rotateMasterKey(from old: MasterKey, to new: MasterKey) async throws -> MasterKeyRotation {
        guard old.fingerprint != new.fingerprint else { throw MasterKeyRotationError.sameKey }
        return try await backend.transaction { database in
            if let row = try await database.raw(
                "SELECT sealed, fingerprint FROM key_check WHERE name = \(bind: Self.checkName)\(unsafeRaw: backend.forUpdate)"
            ).first(), !MasterKeyCheck(masterKey: old).matches(try row.string("sealed")) {
                throw MasterKeyRotationError.currentKeyDoesNotMatch(storedFingerprint: try row.string("fingerprint"))
            }
            var rotation = MasterKeyRotation()
            let oldWrapper = DataKeyWrapper(masterKey: old)
            let newWrapper = DataKeyWrapper(masterKey: new)
            for row in try await database.raw(
                "SELECT tenant_id, version, wrapped_key FROM vault_keys WHERE wrapped_key IS NOT NULL\(unsafeRaw: backend.forUpdate)"
            ).all() {
                let tenant = try row.string("tenant_id")
                let version = try row.int("version")
                let key = try oldWrapper.unwrap(try row.string("wrapped_key"), tenantID: tenant, version: version)
                try await database.raw("""
                    UPDATE vault_keys SET wrapped_key = \(bind: try newWrapper.wrap(key, tenantID: tenant, version: version))
                    WHERE tenant_id = \(bind: tenant) AND version = \(bind: version)
                    """).run()
                rotation.dataKeys += 1
            }
            let oldSealer = SecretSealer(masterKey: old, purpose: SealPurpose.signingKeys)
            let newSealer = SecretSealer(masterKey: new, purpose: SealPurpose.signingKeys)
            for row in try await database.raw(
                "SELECT kid, private_key_sealed FROM signing_keys\(unsafeRaw: backend.forUpdate)"
            ).all() {
                let kid = try row.string("kid")
                let privateKey = try oldSealer.open(try row.string("private_key_sealed"), binding: kid)
                try await database.raw("""
                    UPDATE signing_keys SET private_key_sealed = \(bind: try newSealer.seal(privateKey, binding: kid))
                    WHERE kid = \(bind: kid)
                    """).run()
                rotation.signingKeys += 1
            }
            let oldWebhooks = SecretSealer(masterKey: old, purpose: SealPurpose.webhookSecrets)
            let newWebhooks = SecretSealer(masterKey: new, purpose: SealPurpose.webhookSecrets)
            for row in try await database.raw(
                "SELECT id, secret_sealed, previous_secret_sealed FROM webhook_subscriptions\(unsafeRaw: backend.forUpdate)"
            ).all() {
                let id = try row.string("id")
                let current = try newWebhooks.seal(try oldWebhooks.open(try row.string("secret_sealed"), binding: id), binding: id)
                let previous = try row.optionalString("previous_secret_sealed").map {
                    try newWebhooks.seal(try oldWebhooks.open($0, binding: id), binding: id)
                }
                try await database.raw("""
                    UPDATE webhook_subscriptions SET secret_sealed = \(bind: current), previous_secret_sealed = \(bind: previous)
                    WHERE id = \(bind: id)
                    """).run()
                rotation.webhookSecrets += 1
            }
            try await database.raw("DELETE FROM key_check WHERE name = \(bind: Self.checkName)").run()
            try await database.raw("""
                INSERT INTO key_check (name, sealed, fingerprint, updated_at)
                VALUES (\(bind: Self.checkName), \(bind: try MasterKeyCheck(masterKey: new).make()),
                    \(bind: new.fingerprint), \(bind: Timestamp.nowMilliseconds))
                """).run()
            return rotation
        }
    }
}
