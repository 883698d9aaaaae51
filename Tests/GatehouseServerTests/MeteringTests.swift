import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

/// SPEC §10 metering (seed 003): idempotent usage events, aggregated in reporting/usage.
@Suite struct MeteringTests {
    static func event(_ key: String, meter: String = "llm.tokens", quantity: Int64 = 10, at time: Date = Date()) -> JSONValue {
        ["meter": .string(meter), "quantity": .int(quantity), "time": .string(Timestamp.format(time)),
         "idempotency_key": .string(key), "dimensions": ["model": "small"]]
    }

    @Test func eventsAreCountedOnceAndReported() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["metering:write", "reporting:read"])
            let uri = "/api/v1/metering/tenants/\(tenant)/events"
            let first = try await server.request(.post, uri, key: key.secret, json: ["events": [Self.event("a"), Self.event("b", quantity: 5)]])
            #expect(first.status == 200)
            #expect(first["accepted"]?.intValue == 2)
            let replay = try await server.request(.post, uri, key: key.secret, json: ["events": [Self.event("a"), Self.event("c", quantity: 1)]])
            #expect(replay["accepted"]?.intValue == 1)
            #expect(replay["duplicates"]?.intValue == 1)
            #expect(replay["results"]?.arrayValue?.first?["status"]?.stringValue == "duplicate")
            let usage = try await server.request(
                .get, "/api/v1/reporting/tenants/\(tenant)/usage?meter=llm.tokens&granularity=day", key: key.secret)
            #expect(usage.status == 200)
            let rows = usage["data"]?.arrayValue ?? []
            #expect(rows.map { $0["quantity"]?.intValue ?? 0 }.reduce(0, +) == 16)
            #expect(rows.first?["meter"]?.stringValue == "llm.tokens")
            #expect(rows.first?["period_start"]?.stringValue != nil)
        }
    }

    /// The same events replayed by many concurrent requests are counted exactly once.
    @Test func concurrentReplaysNeverDoubleCount() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["metering:write", "reporting:read"])
            let uri = "/api/v1/metering/tenants/\(tenant)/events"
            let batch: JSONValue = ["events": .array((0..<20).map { Self.event("k\($0)", quantity: 3) })]
            let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<12 {
                    group.addTask { try await server.request(.post, uri, key: key.secret, json: batch)["accepted"]?.intValue ?? -1000 }
                }
                return try await group.reduce(0, +)
            }
            #expect(accepted == 20, "each event accepted by exactly one of the concurrent requests")
            let usage = try await server.request(.get, "/api/v1/reporting/tenants/\(tenant)/usage?meter=llm.tokens", key: key.secret)
            #expect(usage["data"]?.arrayValue?.map { $0["quantity"]?.intValue ?? 0 }.reduce(0, +) == 60)
        }
    }

    @Test func badEventsAreRefusedNamingTheField() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let uri = "/api/v1/metering/tenants/\(tenant)/events"
            let cases: [(JSONValue, String)] = [
                (["events": []], "events"),
                (["events": [Self.event("a", meter: "Bad Meter")]], "events[0].meter"),
                (["events": [Self.event("a", meter: "api.requests")]], "events[0].meter"),
                (["events": [Self.event("a", quantity: -1)]], "events[0].quantity"),
                (["events": [Self.event("a", at: Date().addingTimeInterval(3600))]], "events[0].time"),
                (["events": [Self.event("")]], "events[0].idempotency_key"),
            ]
            for (body, field) in cases {
                let reply = try await server.admin(.post, uri, json: body)
                #expect(reply.status == 422, "\(field): \(reply.text)")
                #expect(reply.json["error"]?["details"]?["fields"]?[field] != nil, "names \(field): \(reply.text)")
            }
            let reader = try await server.makeKey(tenant: tenant, scopes: ["metering:read"])
            #expect(try await server.request(.post, uri, key: reader.secret, json: ["events": [Self.event("x")]]).status == 403)
        }
    }
}
