import Crypto
import CryptoExtras
import Foundation

/// Password hashing with scrypt (memory-hard), from swift-crypto's extras.
///
/// Parameters: N = 2^15, r = 8, p = 1 (32 MiB, about 0.1 s here), 16-byte random salt,
/// 32-byte output, encoded `scrypt$15$8$1$<salt>$<hash>` so they can be raised later
/// without invalidating stored hashes. Verification compares derived keys in constant time.
public struct PasswordHasher: Sendable {
    public var logRounds: Int
    public var blockSize: Int
    public var parallelism: Int

    public init(logRounds: Int = 15, blockSize: Int = 8, parallelism: Int = 1) {
        self.logRounds = logRounds
        self.blockSize = blockSize
        self.parallelism = parallelism
    }

    public func hash(_ password: String) throws -> String {
        let salt = SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }
        let derived = try derive(password, salt: salt, logRounds: logRounds, blockSize: blockSize, parallelism: parallelism)
        return ["scrypt", String(logRounds), String(blockSize), String(parallelism), salt.base64EncodedString(),
                derived.withUnsafeBytes { Data($0) }.base64EncodedString()].joined(separator: "$")
    }

    public func verify(_ password: String, against encoded: String) -> Bool {
        let parts = encoded.split(separator: "$")
        guard parts.count == 6, parts[0] == "scrypt", let logRounds = Int(parts[1]), let blockSize = Int(parts[2]),
            let parallelism = Int(parts[3]), (10...20).contains(logRounds), let salt = Data(base64Encoded: String(parts[4])),
            let expected = Data(base64Encoded: String(parts[5])),
            let derived = try? derive(password, salt: salt, logRounds: logRounds, blockSize: blockSize, parallelism: parallelism)
        else { return false }
        return derived == SymmetricKey(data: expected)  // SymmetricKey compares in constant time
    }

    func derive(_ password: String, salt: Data, logRounds: Int, blockSize: Int, parallelism: Int) throws -> SymmetricKey {
        try KDF.Scrypt.deriveKey(
            from: Data(password.utf8), salt: salt, outputByteCount: 32, rounds: 1 << logRounds, blockSize: blockSize,
            parallelism: parallelism)
    }

    /// 10 to 256 characters; anything else is the caller's to choose.
    public static func validate(_ password: String) throws(GatehouseError) {
        guard (10...256).contains(password.count) else { throw .invalid("password", "must be 10 to 256 characters") }
    }
}
