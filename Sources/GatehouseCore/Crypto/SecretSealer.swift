import Crypto
import Foundation

/// Seals small secrets at rest (signing keys' private halves) with AES-256-GCM under a
/// key derived from the master key for that purpose. The associated data binds a sealed
/// value to what it is (its kid), so a sealed value copied to another row does not open.
public struct SecretSealer: Sendable {
    let key: SymmetricKey

    public init(masterKey: MasterKey, purpose: String) {
        self.key = masterKey.derive(purpose: purpose)
    }

    public func seal(_ plaintext: Data, binding context: String) throws -> String {
        let box = try AES.GCM.seal(plaintext, using: key, authenticating: Data(context.utf8))
        guard let combined = box.combined else { throw SealError.failed }
        return combined.base64EncodedString()
    }

    public func open(_ sealed: String, binding context: String) throws -> Data {
        guard let data = Data(base64Encoded: sealed) else { throw SealError.failed }
        return try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: key, authenticating: Data(context.utf8))
    }

    public enum SealError: Error {
        case failed
    }
}

/// The purposes keys are derived for; each names one kind of sealed value.
public enum SealPurpose {
    public static let signingKeys = "signing-keys"
    public static let vaultDataKeys = "vault-dek"
    public static let keyCheck = "master-key-check"
    public static let webhookSecrets = "webhook-secrets"
}

/// A value sealed under the master key and stored beside the data, so a server started
/// with another master key (say, the old one after `master-key rotate`) refuses to run
/// instead of failing later on every sealed value.
public struct MasterKeyCheck: Sendable {
    static let binding = "master-key-check"
    static let plaintext = Data("gatehouse master key check v1".utf8)
    let sealer: SecretSealer

    public init(masterKey: MasterKey) {
        self.sealer = SecretSealer(masterKey: masterKey, purpose: SealPurpose.keyCheck)
    }

    public func make() throws -> String { try sealer.seal(Self.plaintext, binding: Self.binding) }

    public func matches(_ sealed: String) -> Bool {
        (try? sealer.open(sealed, binding: Self.binding)) == Self.plaintext
    }
}
