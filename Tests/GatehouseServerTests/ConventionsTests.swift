import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import Testing

/// SPEC §1: the envelope, request ids, strict bodies and the status codes they produce.
@Suite struct ConventionsTests {
    @Test func everyResponseCarriesARequestID() async throws {
        try await TestServer.run { server throws in
            let health = try await server.request(.get, "/health")
            #expect(health.status == 200)
            #expect(health.headers[.init("X-Request-Id")!]?.hasPrefix("req_") == true)
            let denied = try await server.request(.get, "/api/v1/admin/tenants")
            let id = try #require(denied.headers[.init("X-Request-Id")!])
            #expect(denied.json["error"]?["request_id"]?.stringValue == id)
        }
    }

    @Test func aSaneIncomingRequestIDIsEchoed() async throws {
        try await TestServer.run { server throws in
            let reply = try await server.request(.get, "/health", headers: [.init("X-Request-Id")!: "trace-abc.123"])
            #expect(reply.headers[.init("X-Request-Id")!] == "trace-abc.123")
            let insane = try await server.request(
                .get, "/health", headers: [.init("X-Request-Id")!: "bad id with spaces<script>"])
            #expect(insane.headers[.init("X-Request-Id")!]?.hasPrefix("req_") == true)
        }
    }

    @Test func unknownRouteIs404InTheEnvelope() async throws {
        try await TestServer.run { server throws in
            let reply = try await server.admin(.get, "/api/v1/admin/nothing-here")
            #expect(reply.status == 404)
            #expect(reply.errorCode == "not_found")
            #expect(reply.json["error"]?["message"]?.stringValue?.isEmpty == false)
        }
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        try await TestServer.run { server throws in
            let reply = try await server.admin(.put, "/api/v1/admin/tenants")
            #expect(reply.status == 405)
            #expect(reply.errorCode == "method_not_allowed")
            #expect(reply.headers[.allow] == "GET, POST")
        }
    }

    @Test func malformedJSONIs400() async throws {
        try await TestServer.run { server throws in
            let reply = try await server.admin(.post, "/api/v1/admin/tenants", raw: #"{"name": "#)
            #expect(reply.status == 400)
            #expect(reply.errorCode == "bad_request")
        }
    }

    @Test func unknownFieldIs422NamingIt() async throws {
        try await TestServer.run { server throws in
            let reply = try await server.admin(.post, "/api/v1/admin/tenants", json: ["name": "A", "nmae": "typo"])
            #expect(reply.status == 422)
            #expect(reply.errorCode == "validation_failed")
            #expect(reply.json["error"]?["details"]?["fields"]?["nmae"]?.stringValue == "unknown field")
        }
    }

    @Test func wrongTypeIs422NamingTheField() async throws {
        try await TestServer.run { server throws in
            let reply = try await server.admin(.post, "/api/v1/admin/tenants", json: ["name": 42])
            #expect(reply.status == 422)
            #expect(reply.json["error"]?["details"]?["fields"]?["name"] != nil)
        }
    }

    @Test func wrongContentTypeIs415() async throws {
        try await TestServer.run { server throws in
            let reply = try await server.request(
                .post, "/api/v1/admin/tenants", key: server.adminKey, raw: "name=A",
                headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(reply.status == 415)
            #expect(reply.errorCode == "unsupported_media_type")
        }
    }

    @Test func oversizedBodyIs413AndWritesNothing() async throws {
        try await TestServer.run(options: .init(maxBodyBytes: 1024, changePollInterval: .milliseconds(50))) { server throws in
            let huge = #"{"name":""# + String(repeating: "x", count: 4096) + #""}"#
            let reply = try await server.admin(.post, "/api/v1/admin/tenants", raw: huge)
            #expect(reply.status == 413)
            #expect(reply.errorCode == "payload_too_large")
            #expect(try await server.admin(.get, "/api/v1/admin/tenants")["total"] == 0)
        }
    }

    @Test func malformedIdIs400AndUnknownIdIs404() async throws {
        try await TestServer.run { server throws in
            #expect(try await server.admin(.get, "/api/v1/admin/tenants/not-an-id").status == 400)
            #expect(try await server.admin(.get, "/api/v1/admin/tenants/..%2F..%2Fetc").status == 400)
            let unknown = try await server.admin(.get, "/api/v1/admin/tenants/\(ResourceID.generate(.tenant))")
            #expect(unknown.status == 404)
            #expect(unknown.errorCode == "not_found")
        }
    }

    @Test func timestampsAreRFC3339() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.admin(.post, "/api/v1/admin/tenants", json: ["name": "A"])
            let created = try #require(tenant["created_at"]?.stringValue)
            #expect(Timestamp.parse(created) != nil)
            #expect(created.hasSuffix("Z"))
        }
    }
}
