import Foundation

/// RFC 3339 timestamps as the API writes and reads them, and the epoch milliseconds
/// the storage keeps.
public enum Timestamp {
    private static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let withoutFraction = Date.ISO8601FormatStyle()

    /// `2026-11-23T15:22:34.123Z`
    public static func format(_ date: Date) -> String {
        withFraction.format(date)
    }

    public static func parse(_ string: String) -> Date? {
        (try? withFraction.parse(string)) ?? (try? withoutFraction.parse(string))
    }

    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    public static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}

extension Timestamp {
    public static var nowMilliseconds: Int64 { milliseconds(Date()) }

    /// The current time at the precision the storage keeps, so a response rendered from
    /// memory matches the same object read back later.
    public static var now: Date { date(milliseconds: nowMilliseconds) }
}
