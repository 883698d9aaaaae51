import Foundation

/// A receiver's `Retry-After` (RFC 9110 §10.2.3): delay seconds or an HTTP date.
public enum RetryAfter {
    /// The delay it asks for, capped at `cap`; `nil` when absent or unreadable.
    public static func delay(_ value: String?, now: Date, cap: TimeInterval = 3600) -> TimeInterval? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value), seconds >= 0 { return min(TimeInterval(seconds), cap) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return min(max(0, date.timeIntervalSince(now)), cap)
    }
}
