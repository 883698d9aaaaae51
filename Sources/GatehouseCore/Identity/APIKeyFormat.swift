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
        isValidPrefix(Array(prefix.utf8))
    }

    static func isValidPrefix(_ bytes: some Collection<UInt8>) -> Bool {
        guard (2...12).contains(bytes.count), let first = bytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first)
        else {
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

    /// Checks shape and checksum; returns the prefix. Works on the UTF-8 bytes in place:
    /// it runs on every authenticated request.
    public static func validate(_ secret: String) -> Result<String, Problem> {
        var secret = secret
        return secret.withUTF8 { bytes -> Result<String, Problem> in
            let tailLength = randomLength + checksumLength
            guard bytes.count > tailLength + 1, bytes.count <= 13 + tailLength else { return .failure(.malformed) }
            let separator = bytes.count - tailLength - 1
            guard bytes[separator] == UInt8(ascii: "_") else { return .failure(.malformed) }
            let prefix = UnsafeBufferPointer(rebasing: bytes[..<separator])
            guard isValidPrefix(prefix) else { return .failure(.malformed) }
            for byte in bytes[(separator + 1)...] where !isBase62(byte) { return .failure(.malformed) }
            var value = UInt64(CRC32.checksum(UnsafeBufferPointer(rebasing: bytes[..<(bytes.count - checksumLength)])))
            for index in (bytes.count - checksumLength..<bytes.count).reversed() {
                guard bytes[index] == alphabet[Int(value % 62)] else { return .failure(.checksumMismatch) }
                value /= 62
            }
            return .success(String(decoding: prefix, as: UTF8.self))
        }
    }

    static func isBase62(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
    }

    /// What lists show of a key: its prefix and the first four random characters.
    public static func start(of secret: String) -> String {
        guard let separator = secret.lastIndex(of: "_") else { return "" }
        return String(secret[...separator]) + String(secret[secret.index(after: separator)...].prefix(4))
    }

    /// The only form in which a secret is stored: lowercase hex SHA-256.
    public static func hash(_ secret: String) -> String {
        digest(secret).hex
    }

    /// The SHA-256 of a secret as a value: what the in-memory index is keyed by.
    public static func digest(_ secret: String) -> SecretDigest {
        var secret = secret
        return secret.withUTF8 { SecretDigest(SHA256.hash(data: UnsafeRawBufferPointer($0))) }
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

/// A SHA-256 digest held in four words: hashing and comparing it allocates nothing.
public struct SecretDigest: Hashable, Sendable {
    let words: (UInt64, UInt64, UInt64, UInt64)

    init(_ digest: SHA256.Digest) {
        self.words = digest.withUnsafeBytes(Self.words(of:))
    }

    static func words(of bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64, UInt64, UInt64) {
        (
            bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        )
    }

    /// Parses the lowercase hex form the storage keeps.
    public init?(hex: String) {
        let bytes = Array(hex.utf8)
        guard bytes.count == 64 else { return nil }
        var raw = [UInt8](repeating: 0, count: 32)
        for index in 0..<32 {
            guard let high = Self.nibble(bytes[2 * index]), let low = Self.nibble(bytes[2 * index + 1]) else { return nil }
            raw[index] = high << 4 | low
        }
        self.words = raw.withUnsafeBytes(Self.words(of:))
    }

    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        withUnsafeBytes(of: words) { bytes in
            for byte in bytes {
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func == (lhs: SecretDigest, rhs: SecretDigest) -> Bool {
        lhs.words == rhs.words
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
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

    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
