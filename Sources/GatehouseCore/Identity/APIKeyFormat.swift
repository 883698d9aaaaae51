import Crypto
import Foundation

/// The shape of an API key secret: `{prefix}_{32 base62 random}{6 base62 CRC32}`.
///
/// The checksum covers `{prefix}_{random}`, so a mistyped key — or any string that merely
/// looks like a key — is rejected before any lookup, and secret scanners can recognise keys
/// without asking a database.
public enum APIKeyFormat {
    public static let randomLength = 32
    public static let checksumLength = 6
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    public enum Problem: Error, Equatable, Sendable {
        case malformed
        case checksumMismatch
    }

    /// A prefix is 2 to 12 lowercase letters or digits, starting with a letter.
    public static func isValidPrefix(_ prefix: String) -> Bool {
        let bytes = Array(prefix.utf8)
        guard (2...12).contains(bytes.count), (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[0]) else {
            return false
        }
        return bytes.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
        }
    }

    /// A new secret with `prefix`.
    public static func generate(prefix: String, using generator: inout some RandomNumberGenerator) -> String {
        precondition(isValidPrefix(prefix), "invalid key prefix")
        var random = [UInt8]()
        random.reserveCapacity(randomLength)
        while random.count < randomLength {
            // Rejection sampling keeps every character equally likely: 62 * 4 = 248.
            let byte = UInt8(truncatingIfNeeded: generator.next())
            if byte < 248 { random.append(alphabet[Int(byte % 62)]) }
        }
        let body = prefix + "_" + String(decoding: random, as: UTF8.self)
        return body + checksum(of: body)
    }

    public static func generate(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return generate(prefix: prefix, using: &generator)
    }

    /// Checks shape and checksum; returns the prefix.
    public static func validate(_ secret: String) -> Result<String, Problem> {
        guard let separator = secret.utf8.lastIndex(of: UInt8(ascii: "_")) else { return .failure(.malformed) }
        let prefix = String(secret[..<separator])
        let tail = secret.utf8[secret.utf8.index(after: separator)...]
        guard isValidPrefix(prefix), tail.count == randomLength + checksumLength,
            tail.allSatisfy({ alphabet.contains($0) })
        else { return .failure(.malformed) }
        let body = String(secret.utf8.prefix(secret.utf8.count - checksumLength))!
        let given = String(secret.utf8.suffix(checksumLength))!
        return checksum(of: body) == given ? .success(prefix) : .failure(.checksumMismatch)
    }

    /// What lists show of a key: its prefix and the first four random characters.
    public static func start(of secret: String) -> String {
        guard let separator = secret.lastIndex(of: "_") else { return "" }
        return String(secret[...separator]) + String(secret[secret.index(after: separator)...].prefix(4))
    }

    /// The only form in which a secret is stored: lowercase hex SHA-256.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func checksum(of body: String) -> String {
        var value = UInt64(CRC32.checksum(Array(body.utf8)))
        var characters = [UInt8](repeating: alphabet[0], count: checksumLength)
        for index in (0..<checksumLength).reversed() {
            characters[index] = alphabet[Int(value % 62)]
            value /= 62
        }
        return String(decoding: characters, as: UTF8.self)
    }
}

/// CRC-32 (IEEE 802.3), the checksum of the key format. Not a security measure: it only
/// catches typos and lets scanners tell a key from random text.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (0xEDB8_8320 ^ (crc >> 1)) : (crc >> 1) }
        return crc
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
