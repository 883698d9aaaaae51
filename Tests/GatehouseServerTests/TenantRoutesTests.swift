import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import Testing

/// `/api/v1/admin/tenants` and `/api/v1/admin/partners` (SPEC §2 Tenancy, §10).
@Suite struct TenantRoutesTests {
    @Test func tenantLifecycle() async throws {
        try await TestServer.run { server throws in
            let created = try await server.admin(
                .post, "/api/v1/admin/tenants",
                json: ["name": "  Acme  ", "settings": ["key_prefix": "cm", "default_rate_limit": ["limit": 100, "window_seconds": 60]]])
            #expect(created.status == 201)
            let id = try #require(created["id"]?.stringValue)
            #expect(id.hasPrefix("ten_"))
            #expect(created["name"] == "Acme")
            #expect(created["status"] == "active")
            #expect(created["partner_id"] == .null)
            #expect(created["settings"]?["key_prefix"] == "cm")
            #expect(created["settings"]?["default_rate_limit"]?["limit"] == 100)

            let fetched = try await server.admin(.get, "/api/v1/admin/tenants/\(id)")
            #expect(fetched.json == created.json)

            let suspended = try await server.admin(
                .patch, "/api/v1/admin/tenants/\(id)",
                json: ["status": "suspended", "settings": ["default_rate_limit": .null]])
            #expect(suspended.status == 200)
            #expect(suspended["status"] == "suspended")
            #expect(suspended["settings"]?["key_prefix"] == "cm", "a merge patch keeps what it does not name")
            #expect(suspended["settings"]?["default_rate_limit"] == .null)

            let stats = try await server.admin(.get, "/api/v1/admin/tenants/\(id)/stats")
            #expect(stats["tenant_id"]?.stringValue == id)
            #expect(stats["api_keys"]?["active"] == 0)

            #expect(try await server.admin(.delete, "/api/v1/admin/tenants/\(id)").status == 204)
            #expect(try await server.admin(.get, "/api/v1/admin/tenants/\(id)").status == 404)
            #expect(try await server.admin(.get, "/api/v1/admin/tenants/\(id)/stats").status == 404)
            #expect(try await server.admin(.delete, "/api/v1/admin/tenants/\(id)").status == 404)
        }
    }

    @Test func invalidPatchesAreRefusedAndChangeNothing() async throws {
        try await TestServer.run { server throws in
            let id = try #require(try await server.admin(.post, "/api/v1/admin/tenants", json: ["name": "A"])["id"]?.stringValue)
            let badStatus = try await server.admin(.patch, "/api/v1/admin/tenants/\(id)", json: ["status": "deleted"])
            #expect(badStatus.status == 422)
            #expect(badStatus.json["error"]?["details"]?["fields"]?["status"] != nil)
            let badPrefix = try await server.admin(
                .patch, "/api/v1/admin/tenants/\(id)", json: ["name": "B", "settings": ["key_prefix": "NO!"]])
            #expect(badPrefix.status == 422)
            #expect(badPrefix.json["error"]?["details"]?["fields"]?["settings.key_prefix"] != nil)
            let unknownSetting = try await server.admin(
                .patch, "/api/v1/admin/tenants/\(id)", json: ["settings": ["colour": "red"]])
            #expect(unknownSetting.json["error"]?["details"]?["fields"]?["settings.colour"] == "unknown field")
            let emptyName = try await server.admin(.patch, "/api/v1/admin/tenants/\(id)", json: ["name": "   "])
            #expect(emptyName.status == 422)
            let after = try await server.admin(.get, "/api/v1/admin/tenants/\(id)")
            #expect(after["name"] == "A")
            #expect(after["settings"]?["key_prefix"] == "gk")
        }
    }

    @Test func partnersOwnTenants() async throws {
        try await TestServer.run { server throws in
            let partner = try await server.admin(.post, "/api/v1/admin/partners", json: ["name": "Reseller"])
            #expect(partner.status == 201)
            let partnerID = try #require(partner["id"]?.stringValue)
            #expect(partnerID.hasPrefix("ptn_"))

            let unknownPartner = try await server.admin(
                .post, "/api/v1/admin/tenants", json: ["name": "X", "partner_id": .string("\(ResourceID.generate(.partner))")])
            #expect(unknownPartner.status == 422)
            #expect(unknownPartner.json["error"]?["details"]?["fields"]?["partner_id"] != nil)

            let tenant = try await server.admin(
                .post, "/api/v1/admin/tenants", json: ["name": "Child", "partner_id": .string(partnerID)])
            let tenantID = try #require(tenant["id"]?.stringValue)
            #expect(tenant["partner_id"]?.stringValue == partnerID)
            #expect(try await server.admin(.get, "/api/v1/admin/partners/\(partnerID)/stats")["tenants"] == 1)
            let filtered = try await server.admin(.get, "/api/v1/admin/tenants?partner_id=\(partnerID)")
            #expect(filtered["total"] == 1)

            let blocked = try await server.admin(.delete, "/api/v1/admin/partners/\(partnerID)")
            #expect(blocked.status == 409)
            #expect(blocked.errorCode == "conflict")

            let detached = try await server.admin(.patch, "/api/v1/admin/tenants/\(tenantID)", json: ["partner_id": .null])
            #expect(detached["partner_id"] == .null)
            let renamed = try await server.admin(.patch, "/api/v1/admin/partners/\(partnerID)", json: ["name": "Renamed"])
            #expect(renamed["name"] == "Renamed")
            #expect(try await server.admin(.get, "/api/v1/admin/partners")["total"] == 1)
            #expect(try await server.admin(.delete, "/api/v1/admin/partners/\(partnerID)").status == 204)
            #expect(try await server.admin(.get, "/api/v1/admin/partners/\(partnerID)").status == 404)
        }
    }

    @Test func listsPageWithCursorsAndOffsets() async throws {
        try await TestServer.run { server throws in
            for index in 0..<5 {
                _ = try await server.admin(.post, "/api/v1/admin/tenants", json: ["name": .string("T\(index)")])
            }
            let first = try await server.admin(.get, "/api/v1/admin/tenants?limit=2")
            #expect(first["total"] == 5)
            #expect(first["data"]?.arrayValue?.count == 2)
            let cursor = try #require(first["cursor"]?["next"]?.stringValue)
            let second = try await server.admin(.get, "/api/v1/admin/tenants?limit=2&cursor=\(cursor)")
            #expect(second["data"]?.arrayValue?.first?["name"] == "T2")
            let byOffset = try await server.admin(.get, "/api/v1/admin/tenants?limit=2&offset=4")
            #expect(byOffset["data"]?.arrayValue?.map { $0["name"] } == ["T4"])
            #expect(byOffset["cursor"]?["next"] == .null)
        }
    }

    @Test func badPagingParametersAre400() async throws {
        try await TestServer.run { server throws in
            for query in ["limit=0", "limit=5000", "limit=x", "offset=-1", "cursor=garbage", "cursor=a.b",
                          "cursor=x&offset=1", "status=zombie", "partner_id=nope"] {
                let reply = try await server.admin(.get, "/api/v1/admin/tenants?\(query)")
                #expect(reply.status == 400, "\(query)")
                #expect(reply.errorCode == "bad_request", "\(query)")
            }
            let partnersCursor = try await server.admin(.get, "/api/v1/admin/partners?limit=1")
            _ = partnersCursor
        }
    }

    @Test func aCursorFromAnotherListOrEditedIsRefused() async throws {
        try await TestServer.run { server throws in
            for index in 0..<3 {
                _ = try await server.admin(.post, "/api/v1/admin/partners", json: ["name": .string("P\(index)")])
            }
            let cursor = try #require(try await server.admin(.get, "/api/v1/admin/partners?limit=1")["cursor"]?["next"]?.stringValue)
            #expect(try await server.admin(.get, "/api/v1/admin/tenants?cursor=\(cursor)").status == 400)
            var tampered = Array(cursor)
            tampered[3] = tampered[3] == "A" ? "B" : "A"
            #expect(try await server.admin(.get, "/api/v1/admin/partners?cursor=\(String(tampered))").status == 400)
        }
    }

    /// Keyset paging while other clients insert: every row that existed before the walk
    /// is seen exactly once, whatever lands in between.
    @Test func cursorPagingIsStableUnderConcurrentInserts() async throws {
        try await TestServer.run { server throws in
            var existing: Set<String> = []
            for index in 0..<30 {
                let reply = try await server.admin(.post, "/api/v1/admin/tenants", json: ["name": .string("Before \(index)")])
                existing.insert(try #require(reply["id"]?.stringValue))
            }
            let inserter = Task {
                for index in 0..<30 {
                    _ = try await server.admin(.post, "/api/v1/admin/tenants", json: ["name": .string("During \(index)")])
                }
            }
            var seen: [String] = []
            var uri = "/api/v1/admin/tenants?limit=7"
            while true {
                let page = try await server.admin(.get, uri)
                #expect(page.status == 200)
                seen += page["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
                guard let next = page["cursor"]?["next"]?.stringValue else { break }
                uri = "/api/v1/admin/tenants?limit=7&cursor=\(next)"
            }
            try await inserter.value
            #expect(seen.count == Set(seen).count, "no row appears twice")
            #expect(existing.isSubset(of: Set(seen)), "no row that existed is skipped")
            #expect(seen == seen.sorted(), "pages come in id order")
        }
    }
}
