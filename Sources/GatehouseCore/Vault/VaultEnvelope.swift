import Crypto
import Foundation

/// Envelope encryption of vault secrets (SPEC §8).
///
/// Each tenant has versioned data keys (DEKs), stored only wrapped by the master key
/// (`DataKeyWrapper`). A secret is never encrypted with the DEK directly: every write
/// draws a fresh 32-byte salt and derives a one-time record key with HKDF-SHA256
/// (DEK, salt, `info`), then seals with AES-256-GCM under a random 96-bit nonce. A record
/// key therefore encrypts exactly one message, so the GCM limits on messages per key
/// (2^32 random nonces) never bind, however many credentials a DEK protects.
///
/// The associated data names the tenant, credential, auth type and DEK version, so a
/// ciphertext copied to another row, tenant or type does not open.
///
/// Sealed layout (then base64 in storage): `0x01 ‖ salt (32) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`.
public enum VaultEnvelope {
    static let format: UInt8 = 1
    static let saltLength = 32
    static let nonceLength = 12
    static let tagLength = 16
    public static let info = Data("gatehouse/vault/record/v1".utf8)

    public enum Failure: Error, Equatable {
        /// Wrong key, wrong binding, or tampered bytes: GCM authentication failed.
        case doesNotOpen
        case malformed
    }

    /// What a ciphertext is bound to.
    public static func associatedData(tenantID: String, credentialID: String, authType: String, dekVersion: Int) -> Data {
        Data("gatehouse-vault-v1\u{0}\(tenantID)\u{0}\(credentialID)\u{0}\(authType)\u{0}\(dekVersion)".utf8)
    }

    public static func recordKey(dek: SymmetricKey, salt: Data) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: dek, salt: salt, info: info, outputByteCount: 32)
    }

    /// Seals `plaintext`; `salt` and `nonce` are random unless given (known-answer tests).
    public static func seal(
        _ plaintext: Data, dek: SymmetricKey, associatedData: Data, salt: Data? = nil, nonce: Data? = nil
    ) throws -> Data {
        let salt = salt ?? Data(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
        let gcmNonce = try nonce.map { try AES.GCM.Nonce(data: $0) } ?? AES.GCM.Nonce()
        let box = try AES.GCM.seal(
            plaintext, using: recordKey(dek: dek, salt: salt), nonce: gcmNonce, authenticating: associatedData)
        var sealed = Data([format])
        sealed.append(salt)
        sealed.append(contentsOf: gcmNonce)
        sealed.append(box.ciphertext)
        sealed.append(box.tag)
        return sealed
    }

    public static func open(_ sealed: Data, dek: SymmetricKey, associatedData: Data) throws(Failure) -> Data {
        let bytes = [UInt8](sealed)
        let header = 1 + saltLength + nonceLength
        guard bytes.count >= header + tagLength, bytes[0] == format else { throw .malformed }
        let salt = Data(bytes[1..<(1 + saltLength)])
        do {
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: bytes[(1 + saltLength)..<header]),
                ciphertext: bytes[header..<(bytes.count - tagLength)], tag: bytes[(bytes.count - tagLength)...])
            return try AES.GCM.open(box, using: recordKey(dek: dek, salt: salt), authenticating: associatedData)
        } catch {
            throw .doesNotOpen
        }
    }
}

/// Wraps tenants' data keys with a key derived from the master key (AES-256-GCM), the
/// wrapped key bound to its tenant and version.
public struct DataKeyWrapper: Sendable {
    let sealer: SecretSealer

    public init(masterKey: MasterKey) {
        self.sealer = SecretSealer(masterKey: masterKey, purpose: SealPurpose.vaultDataKeys)
    }

    /// A fresh 256-bit data key.
    public static func generate() -> SymmetricKey { SymmetricKey(size: .bits256) }

    public func wrap(_ key: SymmetricKey, tenantID: String, version: Int) throws -> String {
        try sealer.seal(key.withUnsafeBytes { Data($0) }, binding: Self.binding(tenantID, version))
    }

    public func unwrap(_ wrapped: String, tenantID: String, version: Int) throws -> SymmetricKey {
        SymmetricKey(data: try sealer.open(wrapped, binding: Self.binding(tenantID, version)))
    }

    static func binding(_ tenantID: String, _ version: Int) -> String { "dek:\(tenantID):\(version)" }
}
