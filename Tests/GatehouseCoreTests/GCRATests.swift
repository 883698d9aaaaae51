import Testing

@testable import GatehouseCore

@Suite struct GCRATests {
    static let second: Int64 = 1_000_000_000

    @Test func admitsTheLimitAsABurstThenDeniesWithAnExactRetry() {
        let gcra = GCRA(RateLimit(limit: 5, windowSeconds: 10))
        var tat: Int64?
        let now: Int64 = 1_000 * Self.second
        for expected in (0..<5).reversed() {
            let (decision, next) = gcra.decide(tat: tat, now: now)
            #expect(decision.allowed)
            #expect(decision.remaining == expected)
            tat = next
        }
        let (denied, unchanged) = gcra.decide(tat: tat, now: now)
        #expect(!denied.allowed)
        #expect(denied.remaining == 0)
        #expect(denied.retryAfter == 2 * Self.second, "one cell frees every 10 s / 5")
        #expect(denied.resetAfter == 10 * Self.second)
        #expect(unchanged == tat)
        #expect(gcra.decide(tat: tat, now: now + 2 * Self.second - 1).decision.allowed == false)
        #expect(gcra.decide(tat: tat, now: now + 2 * Self.second).decision.allowed)
    }

    @Test func theBucketRefillsAtTheSustainedRate() {
        let gcra = GCRA(RateLimit(limit: 10, windowSeconds: 1))
        var tat: Int64?
        var now: Int64 = 0
        var admitted = 0
        // 100 requests/s offered for 3 s: 10 (burst) + 10/s sustained.
        for _ in 0..<300 {
            let (decision, next) = gcra.decide(tat: tat, now: now)
            if decision.allowed { admitted += 1 }
            tat = next
            now += Self.second / 100
        }
        #expect((38...41).contains(admitted))
    }

    @Test func peekSpendsNothing() {
        let gcra = GCRA(RateLimit(limit: 3, windowSeconds: 60))
        let (_, tat) = gcra.decide(tat: nil, now: 0)
        #expect(gcra.peek(tat: tat, now: 0).remaining == 2)
        #expect(gcra.peek(tat: tat, now: 0).remaining == 2)
        #expect(gcra.peek(tat: nil, now: 0).remaining == 3)
    }

    @Test func aCostlierRequestTakesSeveralCells() {
        let gcra = GCRA(RateLimit(limit: 10, windowSeconds: 10))
        let (first, tat) = gcra.decide(tat: nil, now: 0, cost: 8)
        #expect(first.allowed && first.remaining == 2)
        #expect(!gcra.decide(tat: tat, now: 0, cost: 3).decision.allowed)
        #expect(gcra.decide(tat: tat, now: 0, cost: 2).decision.allowed)
    }
}
