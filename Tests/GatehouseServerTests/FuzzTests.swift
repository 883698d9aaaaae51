import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import Testing

/// Throws a thousand malformed and random bodies at the write routes (tenants, partners,
/// keys, vault, metering, webhooks, jobs): every answer is a 2xx or a 4xx in the error
/// envelope, never a 5xx.
@Suite struct FuzzTests {
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let keys = ["name", "settings", "partner_id", "status", "key_prefix", "default_rate_limit", "limit",
                       "window_seconds", "x", "", "NAME", "name\u{0}", "__proto__", "integration_id", "auth_type", "data",
                       "metadata", "expires_at", "token", "events", "meter", "quantity", "time", "idempotency_key",
                       "dimensions", "url", "event_types", "description", "enabled", "job", "params", "tenant_id",
                       "rate_limit"]

    static func randomValue(_ rng: inout SeededGenerator, depth: Int = 0) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 6 : 8), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int(Int64.random(in: Int64.min...Int64.max, using: &rng))
        case 3: return .double(Double.random(in: -1e300...1e300, using: &rng))
        case 4:
            let samples = ["", "Acme", "cm", "gk", "active", "suspended", "ptn_", "ten_01m84h1ye85pv7t0e3vgpbp3g6",
                           String(repeating: "é", count: 300), "\u{202E}rtl", "<script>", "'; DROP TABLE tenants; --",
                           "jwt", "basic_auth", "custom", "https://example.com/hook", "http://127.0.0.1/", "key.*", "*",
                           "2026-11-23T00:00:00Z", "llm.tokens", "audit-retention", "dek-rotation", "nul\u{0}byte"]
            return .string(samples[Int.random(in: 0..<samples.count, using: &rng)])
        case 5: return .string(String((0..<Int.random(in: 0..<20, using: &rng)).map { _ in
            Character(UnicodeScalar(UInt8.random(in: 32...126, using: &rng))) }))
        case 6: return .array((0..<Int.random(in: 0..<4, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var object: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0..<5, using: &rng) {
                object[keys[Int.random(in: 0..<keys.count, using: &rng)]] = randomValue(&rng, depth: depth + 1)
            }
            return .object(object)
        }
    }

    static func randomBody(_ rng: inout SeededGenerator) -> String {
        switch Int.random(in: 0..<5, using: &rng) {
        case 0:
            return String(decoding: (0..<Int.random(in: 0..<64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) },
                          as: UTF8.self)
        case 1:
            let valid = String(decoding: try! JSONEncoder().encode(randomValue(&rng)), as: UTF8.self)
            return String(valid.prefix(Int.random(in: 0...max(0, valid.count), using: &rng)))
        case 2:
            return String(repeating: "[", count: Int.random(in: 30...200, using: &rng))
        default:
            return String(decoding: try! JSONEncoder().encode(randomValue(&rng)), as: UTF8.self)
        }
    }

    @Test func randomBodiesNeverCauseA5xx() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.admin(.post, "/api/v1/admin/tenants", json: ["name": "Target"])
            let tenantID = try #require(tenant["id"]?.stringValue)
            let partner = try await server.admin(.post, "/api/v1/admin/partners", json: ["name": "P"])
            let partnerID = try #require(partner["id"]?.stringValue)
            let vault = "/api/v1/vault/tenants/\(tenantID)/credentials"
            let credential = try await server.admin(.post, vault, json: [
                "integration_id": "crm", "name": "CRM", "auth_type": "jwt", "data": ["token": "t"],
            ])
            let credentialID = try #require(credential["id"]?.stringValue)
            let hooks = "/api/v1/webhooks/tenants/\(tenantID)/subscriptions"
            let targets: [(HTTPRequest.Method, String)] = [
                (.post, "/api/v1/admin/tenants"), (.patch, "/api/v1/admin/tenants/\(tenantID)"),
                (.post, "/api/v1/admin/partners"), (.patch, "/api/v1/admin/partners/\(partnerID)"),
                (.post, vault), (.patch, "\(vault)/crm/\(credentialID)"),
                (.post, "/api/v1/metering/tenants/\(tenantID)/events"), (.post, hooks),
                (.post, "/api/v1/admin/jobs/trigger"), (.post, "/api/v1/iam/tenants/\(tenantID)/api-keys"),
            ]
            var rng = SeededGenerator(state: 20261123)
            for round in 0..<1000 {
                let (method, path) = targets[round % targets.count]
                let body = Self.randomBody(&rng)
                let reply = try await server.admin(method, path, raw: body)
                #expect(reply.status < 500, "\(method) \(path) with \(body.prefix(200)) → \(reply.status) \(reply.text)")
                if reply.status >= 400 {
                    #expect(reply.errorCode != nil, "error responses use the envelope: \(reply.text)")
                }
            }
            #expect(try await server.admin(.get, "/api/v1/admin/tenants/\(tenantID)").status == 200)
        }
    }
}
