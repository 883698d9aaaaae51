import Foundation

/// A usage event reported by a tenant's service (seed 003): `quantity` of `meter` at
/// `time`, counted once per `idempotencyKey` however often it is sent.
public struct MeterEvent: Sendable, Equatable {
    public var meter: String
    public var quantity: Int64
    public var time: Date
    public var idempotencyKey: String
    public var dimensions: [String: String]

    public init(meter: String, quantity: Int64, time: Date, idempotencyKey: String, dimensions: [String: String]) {
        self.meter = meter
        self.quantity = quantity
        self.time = time
        self.idempotencyKey = idempotencyKey
        self.dimensions = dimensions
    }

    /// Meters Gatehouse counts itself (`api.requests`); tenants cannot report into them.
    public static let reservedPrefix = "api."
    public static let maximumQuantity: Int64 = 1_000_000_000

    /// Checks one event of a batch; failures name the field as `events[i].<name>`.
    public func validate(index: Int, now: Date) throws(GatehouseError) {
        let field = "events[\(index)]"
        guard (1...64).contains(meter.utf8.count),
            meter.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }),
            meter.utf8.first.map({ $0 != 0x2E && $0 != 0x2D && $0 != 0x5F }) == true
        else { throw .invalid("\(field).meter", "must be 1 to 64 lowercase letters, digits, '.', '_' or '-'") }
        guard !meter.hasPrefix(Self.reservedPrefix) else {
            throw .invalid("\(field).meter", "meters starting with 'api.' are counted by Gatehouse itself")
        }
        guard (0...Self.maximumQuantity).contains(quantity) else {
            throw .invalid("\(field).quantity", "must be between 0 and \(Self.maximumQuantity)")
        }
        guard time <= now.addingTimeInterval(300) else {
            throw .invalid("\(field).time", "must not be more than 5 minutes in the future")
        }
        guard time >= now.addingTimeInterval(-35 * 86_400) else {
            throw .invalid("\(field).time", "must be within the last 35 days")
        }
        guard (1...128).contains(idempotencyKey.utf8.count),
            idempotencyKey.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { throw .invalid("\(field).idempotency_key", "must be 1 to 128 printable ASCII characters") }
        guard dimensions.count <= 20,
            dimensions.allSatisfy({ (1...64).contains($0.key.utf8.count) && $0.value.utf8.count <= 256 })
        else { throw .invalid("\(field).dimensions", "at most 20 string values, keys 1-64 and values up to 256 bytes") }
    }
}
