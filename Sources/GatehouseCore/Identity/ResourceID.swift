import Foundation

/// The kinds of object that carry an id, and the prefix each id starts with.
public enum IDKind: String, Sendable, CaseIterable {
    case tenant = "ten"
    case partner = "ptn"
    case apiKey = "key"
    case user = "usr"
    case client = "cli"
    case credential = "cred"
    case event = "evt"
    case request = "req"
    case webhook = "whk"
    case serviceAccount = "sa"
    case job = "job"
    case message = "msg"
    case delivery = "dlv"
}

/// Prefixed, opaque, time-ordered ids: `ten_01jdq3v6m8x4k2c9r7t5w0y1zb`.
///
/// The body is a ULID in lowercase Crockford base32: 10 characters of millisecond
/// time then 16 of randomness. Ids of one kind therefore sort by creation time, which is
/// what keyset pagination orders by.
public struct ResourceID: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public let rawValue: String

    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
    static let bodyLength = 26

    /// Validates the shape of an id of `kind` taken from a path or a body.
    public init?(_ string: String, kind: IDKind) {
        let prefix = kind.rawValue + "_"
        guard string.hasPrefix(prefix) else { return nil }
        let body = string.utf8.dropFirst(prefix.utf8.count)
        guard body.count == Self.bodyLength, body.allSatisfy({ Self.alphabet.contains($0) }) else { return nil }
        self.rawValue = string
    }

    private init(unchecked: String) { self.rawValue = unchecked }

    /// A new id of `kind` created at `now`.
    public static func generate(
        _ kind: IDKind, now: Date, using generator: inout some RandomNumberGenerator
    ) -> ResourceID {
        var characters = [UInt8](repeating: 0, count: bodyLength)
        var time = UInt64(max(0, Timestamp.milliseconds(now)))
        for index in (0..<10).reversed() {
            characters[index] = alphabet[Int(time & 31)]
            time >>= 5
        }
        // 80 random bits from two draws (each draw may be a system call).
        var random = generator.next()
        var more = generator.next()
        for index in 10..<bodyLength {
            characters[index] = alphabet[Int(random & 31)]
            random = (random >> 5) | ((more & 31) << 59)
            more >>= 5
        }
        return ResourceID(unchecked: kind.rawValue + "_" + String(decoding: characters, as: UTF8.self))
    }

    public static func generate(_ kind: IDKind, now: Date = Date()) -> ResourceID {
        var generator = SystemRandomNumberGenerator()
        return generate(kind, now: now, using: &generator)
    }

    public var description: String { rawValue }
    public static func < (lhs: ResourceID, rhs: ResourceID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
