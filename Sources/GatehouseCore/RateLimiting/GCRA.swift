/// The generic cell rate algorithm (GCRA): a token bucket kept as one number, the
/// theoretical arrival time (TAT) of the next request, with exact reset and retry times.
///
/// A limit of `n` per `w` seconds admits one request every `w/n` (the emission interval)
/// with a burst of `n`. A request at `now` is admitted when `max(TAT, now) + w/n − w ≤ now`;
/// it then moves TAT forward by `w/n`. Times are nanoseconds since the epoch, so limits as
/// fine as a million a second stay exact.
public struct GCRA: Sendable, Equatable {
    public let limit: Int
    public let windowNanos: Int64

    public init(_ limit: RateLimit) {
        self.limit = max(1, limit.limit)
        self.windowNanos = Int64(limit.windowSeconds) * 1_000_000_000
    }

    /// Nanoseconds between two requests at the sustained rate.
    public var interval: Int64 { max(1, windowNanos / Int64(limit)) }

    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        /// Requests still admissible right now, after this one.
        public var remaining: Int
        /// Nanoseconds until the bucket is full again.
        public var resetAfter: Int64
        /// Nanoseconds until a denied request would be admitted (0 when allowed).
        public var retryAfter: Int64
    }

    /// Decides a request costing `cost` cells against state `tat` (nil: a full bucket);
    /// returns the decision and the new TAT (unchanged when denied).
    public func decide(tat: Int64?, now: Int64, cost: Int = 1) -> (decision: Decision, tat: Int64) {
        let start = max(tat ?? now, now)
        let candidate = start + interval * Int64(cost)
        let allowAt = candidate - windowNanos
        if allowAt > now {
            return (
                Decision(
                    allowed: false, remaining: remaining(tat: start, now: now), resetAfter: start - now,
                    retryAfter: allowAt - now),
                start
            )
        }
        return (
            Decision(allowed: true, remaining: remaining(tat: candidate, now: now), resetAfter: candidate - now, retryAfter: 0),
            candidate
        )
    }

    /// What a bucket at `tat` would still admit now, without spending anything.
    public func peek(tat: Int64?, now: Int64) -> Decision {
        let start = max(tat ?? now, now)
        return Decision(allowed: true, remaining: remaining(tat: start, now: now), resetAfter: start - now, retryAfter: 0)
    }

    func remaining(tat: Int64, now: Int64) -> Int {
        let free = windowNanos - (tat - now)
        return max(0, min(limit, Int(free / interval)))
    }
}
