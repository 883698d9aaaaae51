/// One budget a request is counted against (SPEC §9).
public struct RateLimitPolicy: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Per credential (a key's `rate_limit`, else its tenant's `default_rate_limit`):
        /// protection of the API from one caller.
        case key
        /// The tenant's `rate_limit` across all of its credentials: a quota.
        case tenant
        /// Per client address on the unauthenticated auth endpoints.
        case ip
    }

    public let kind: Kind
    /// What the budget belongs to (`key_…`, `ten_…`, an address).
    public let subject: String
    public let limit: RateLimit

    public init(kind: Kind, subject: String, limit: RateLimit) {
        self.kind = kind
        self.subject = subject
        self.limit = limit
    }

    /// Identifies the bucket in memory without building a string on the hot path.
    public struct Key: Hashable, Sendable {
        public let kind: Kind
        public let subject: String
    }

    public var key: Key { Key(kind: kind, subject: subject) }

    /// The bucket's name in shared state (cluster mode).
    public var bucket: String { "\(kind.rawValue):\(subject)" }
}

/// The outcome of every policy that applied to a request, and the response fields that
/// describe it: the tightest policy is reported (a denying one first, else the one with
/// the fewest requests left), and every policy is listed in `RateLimit-Policy`.
public struct RateLimitReport: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var policy: RateLimitPolicy
        public var decision: GCRA.Decision

        public init(policy: RateLimitPolicy, decision: GCRA.Decision) {
            self.policy = policy
            self.decision = decision
        }
    }

    public var entries: [Entry]
    /// Now, in nanoseconds since the epoch.
    public var now: Int64

    public init(entries: [Entry], now: Int64) {
        self.entries = entries
        self.now = now
    }

    public var allowed: Bool { entries.allSatisfy(\.decision.allowed) }

    public var tightest: Entry? {
        if entries.count == 1 { return entries[0] }
        if let denied = entries.filter({ !$0.decision.allowed }).max(by: { $0.decision.retryAfter < $1.decision.retryAfter }) {
            return denied
        }
        return entries.min { ($0.decision.remaining, -$0.decision.resetAfter) < ($1.decision.remaining, -$1.decision.resetAfter) }
    }

    /// `Retry-After` of a refused request, in whole seconds (at least 1).
    public var retryAfterSeconds: Int? {
        guard let tightest, !tightest.decision.allowed else { return nil }
        return Int(max(1, Self.seconds(tightest.decision.retryAfter)))
    }

    /// Whole seconds, rounded up (a client waiting that long is never early).
    static func seconds(_ nanos: Int64) -> Int64 { (max(0, nanos) + 999_999_999) / 1_000_000_000 }

    /// The values of the response fields: `X-RateLimit-Limit`, `-Remaining`, `-Reset`,
    /// `RateLimit-Policy`, `RateLimit`, and `Retry-After` when refused.
    public struct Fields: Sendable, Equatable {
        public var limit: String
        public var remaining: String
        public var reset: String
        public var policy: String
        public var rateLimit: String
        public var retryAfter: String?
    }

    public var fields: Fields? {
        guard let tightest else { return nil }
        let decision = tightest.decision
        let retryAfter = decision.allowed ? nil : String(max(1, Self.seconds(decision.retryAfter)))
        return Fields(
            limit: String(tightest.policy.limit.limit), remaining: String(decision.remaining),
            reset: String(Self.seconds(now + decision.resetAfter)),
            policy: entries.map { "\"\($0.policy.kind.rawValue)\";q=\($0.policy.limit.limit);w=\($0.policy.limit.windowSeconds)" }
                .joined(separator: ", "),
            rateLimit: "\"\(tightest.policy.kind.rawValue)\";r=\(decision.remaining);t=\(Self.seconds(decision.resetAfter))",
            retryAfter: retryAfter)
    }
}
