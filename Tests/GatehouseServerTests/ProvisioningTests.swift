import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import HTTPTypes
import Testing

/// The provisioning document store, SPEC §6, through HTTP.
@Suite struct ProvisioningTests {
    static func base(_ tenant: String) -> String { "/api/v1/provisioning/tenants/\(tenant)" }

    @Test func documentLifecycleStampsAndTags() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let uri = "\(Self.base(tenant))/users/u1"
            let created = try await server.admin(.post, uri, json: ["name": "Ada", "updated": 1, "updatedBy": "forged"])
            #expect(created.status == 201)
            #expect(created.headers[.eTag] == "\"v1\"")
            #expect(created["name"] == "Ada")
            #expect(created["updatedBy"]?.stringValue?.hasPrefix("key_") == true, "clients cannot forge updatedBy")
            let stamped = try #require(created["updated"]?.intValue)
            #expect(stamped > 1_700_000_000_000, "updated is epoch milliseconds")

            let fetched = try await server.admin(.get, uri)
            #expect(fetched.json == created.json)
            #expect(fetched.headers[.eTag] == "\"v1\"")

            let replaced = try await server.admin(.post, uri, json: ["email": "ada@example.com"])
            #expect(replaced.status == 200)
            #expect(replaced["name"] == nil, "POST replaces the whole document")
            #expect(replaced.headers[.eTag] == "\"v2\"")

            let merged = try await server.admin(.put, uri, json: ["name": "Ada L.", "email": .null])
            #expect(merged.status == 200)
            #expect(merged["name"] == "Ada L.")
            #expect(merged["email"] == nil, "null removes a field")

            #expect(try await server.admin(.delete, uri).status == 204)
            #expect(try await server.admin(.get, uri).status == 404)
            #expect(try await server.admin(.put, uri, json: ["a": 1]).status == 404, "PUT does not create")
            #expect(try await server.admin(.delete, uri).status == 404)
        }
    }

    /// RFC 7396 appendix A, where target and patch are objects (a document is an object).
    @Test func mergeFollowsRFC7396() async throws {
        let cases: [(JSONValue, JSONValue, JSONValue)] = [
            (["a": "b"], ["a": "c"], ["a": "c"]),
            (["a": "b"], ["b": "c"], ["a": "b", "b": "c"]),
            (["a": "b"], ["a": .null], [:]),
            (["a": "b", "b": "c"], ["a": .null], ["b": "c"]),
            (["a": ["b"]], ["a": "c"], ["a": "c"]),
            (["a": "c"], ["a": ["b"]], ["a": ["b"]]),
            (["a": ["b": "c"]], ["a": ["b": "d", "c": .null]], ["a": ["b": "d"]]),
            (["a": [["b": "c"]]], ["a": [1]], ["a": [1]]),
            (["e": .null], ["a": 1], ["e": .null, "a": 1]),
            ([:], ["a": ["bb": ["ccc": .null]]], ["a": ["bb": [:]]]),
        ]
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            for (index, (target, patch, expected)) in cases.enumerated() {
                let uri = "\(Self.base(tenant))/merges/m\(index)"
                _ = try await server.admin(.post, uri, json: target)
                var merged = try await server.admin(.put, uri, json: patch).json
                if case .object(var object) = merged {
                    object["updated"] = nil
                    object["updatedBy"] = nil
                    merged = .object(object)
                }
                #expect(merged == expected, "case \(index)")
            }
        }
    }

    @Test func versionsCurrentIsAnOrdinaryFieldThatMerges() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let uri = "\(Self.base(tenant))/bots/b1"
            _ = try await server.admin(
                .post, uri, json: ["name": "Bot", "versions": ["current": ["id": "v1", "prompt": "hi", "model": "m1"], "v0": ["id": "v0"]]])
            let merged = try await server.admin(.put, uri, json: ["versions": ["current": ["id": "v2", "model": .null]]])
            #expect(merged["versions"]?["current"] == ["id": "v2", "prompt": "hi"])
            #expect(merged["versions"]?["v0"] == ["id": "v0"])
            #expect(merged["name"] == "Bot")
        }
    }

    @Test func ifMatchPreventsLostUpdates() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let uri = "\(Self.base(tenant))/users/u1"
            _ = try await server.admin(.post, uri, json: ["n": 0])
            let stale = try await server.request(
                .put, uri, key: server.adminKey, json: ["n": 1], headers: [.ifMatch: "\"v9\""])
            #expect(stale.status == 412)
            #expect(stale.errorCode == "precondition_failed")
            let fresh = try await server.request(.put, uri, key: server.adminKey, json: ["n": 1], headers: [.ifMatch: "\"v1\""])
            #expect(fresh.status == 200)
            let missing = try await server.request(
                .post, "\(Self.base(tenant))/users/nobody", key: server.adminKey, json: ["n": 1], headers: [.ifMatch: "*"])
            #expect(missing.status == 412)

            // Ten writers race with the same ETag: exactly one wins.
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for writer in 0..<10 {
                    group.addTask {
                        try await server.request(
                            .put, uri, key: server.adminKey, json: ["writer": .int(Int64(writer))],
                            headers: [.ifMatch: "\"v2\""]
                        ).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 1)
            #expect(statuses.filter { $0 == 412 }.count == 9)
            #expect(try await server.admin(.get, uri).headers[.eTag] == "\"v3\"")
        }
    }

    @Test func nestedCollectionsAndSubtreeDeletion() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let base = Self.base(tenant)
            _ = try await server.admin(.post, "\(base)/users/u1", json: ["name": "A"])
            _ = try await server.admin(.post, "\(base)/users/u1/devices/d1", json: ["kind": "phone"])
            _ = try await server.admin(.post, "\(base)/users/u1/devices/d2/apps/x", json: ["ok": true])
            _ = try await server.admin(.post, "\(base)/users/u10", json: ["name": "neighbour"])
            _ = try await server.admin(.post, "\(base)/users/u1x/devices/d1", json: ["kind": "neighbour"])
            let devices = try await server.admin(.get, "\(base)/users/u1/devices")
            #expect(devices.json.arrayValue?.map { $0["id"] } == ["d1"], "d2 exists only as a parent path")
            #expect(devices.json.arrayValue?.first?["data"]?["kind"] == "phone")
            #expect(try await server.admin(.delete, "\(base)/users/u1").status == 204)
            #expect(try await server.admin(.get, "\(base)/users/u1/devices/d1").status == 404)
            #expect(try await server.admin(.get, "\(base)/users/u1/devices/d2/apps/x").status == 404)
            #expect(try await server.admin(.get, "\(base)/users/u10").status == 200, "siblings survive")
            #expect(try await server.admin(.get, "\(base)/users/u1x/devices/d1").status == 200)
        }
    }

    @Test func revisionsKeepEarlierVersions() async throws {
        let options = ServerOptions(changePollInterval: .milliseconds(50), revisionsKept: 3)
        try await TestServer.run(options: options) { server throws in
            let tenant = try await server.makeTenant()
            let uri = "\(Self.base(tenant))/users/u1"
            for version in 1...5 { _ = try await server.admin(.post, uri, json: ["n": .int(Int64(version))]) }
            let revisions = try await server.admin(.get, "\(uri)/_revisions?limit=2")
            #expect(revisions.status == 200)
            #expect(revisions["total"] == 3, "three earlier versions are kept")
            #expect(revisions["data"]?.arrayValue?.map { $0["version"] } == [4, 3])
            #expect(revisions["data"]?.arrayValue?.first?["data"]?["n"] == 4)
            let next = try #require(revisions["cursor"]?["next"]?.stringValue)
            let rest = try await server.admin(.get, "\(uri)/_revisions?limit=2&cursor=\(next)")
            #expect(rest["data"]?.arrayValue?.map { $0["version"] } == [2])
        }
    }

    @Test func limitsAndBadInput() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let base = Self.base(tenant)
            let big = #"{"blob":""# + String(repeating: "x", count: 1024 * 1024) + #""}"#
            #expect(try await server.admin(.post, "\(base)/users/big", raw: big).status == 413)
            let deep = String(repeating: #"{"a":"#, count: 40) + "1" + String(repeating: "}", count: 40)
            #expect(try await server.admin(.post, "\(base)/users/deep", raw: deep).status == 400)
            #expect(try await server.admin(.post, "\(base)/users/arr", raw: "[1,2]").status == 422)
            #expect(try await server.admin(.post, "\(base)/users/bad%20id", json: [:]).status == 400)
            #expect(try await server.admin(.post, "\(base)/users/" + String(repeating: "a", count: 129), json: [:]).status == 400)
            #expect(try await server.admin(.post, "\(base)/users/..", json: [:]).status == 400)
            #expect(try await server.admin(.post, "\(base)/users", json: [:]).status == 405, "a collection is not written")
            #expect(try await server.admin(.get, "\(base)/users/big").status == 404, "nothing was written")
        }
    }

    @Test func scopesGateCollections() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let base = Self.base(tenant)
            _ = try await server.admin(.post, "\(base)/users/u1", json: ["name": "A"])
            let reader = try await server.makeKey(tenant: tenant, scopes: ["provisioning:users.read"])
            #expect(try await server.request(.get, "\(base)/users/u1", key: reader.secret).status == 200)
            #expect(try await server.request(.post, "\(base)/users/u2", key: reader.secret, json: [:]).status == 403)
            #expect(try await server.request(.get, "\(base)/bots/b1", key: reader.secret).status == 403)
            let botWriter = try await server.makeKey(tenant: tenant, scopes: ["provisioning:bots.*"])
            #expect(try await server.request(.post, "\(base)/bots/b1", key: botWriter.secret, json: [:]).status == 201)
            let other = try await server.makeTenant("Other")
            #expect(try await server.request(.get, "\(Self.base(other))/users/u1", key: reader.secret).status == 403)
        }
    }

    /// Walking a 1,000-document collection with X-Next-Cursor while others insert: every
    /// document that existed is seen once, in id order.
    @Test func cursorPagingThroughAThousandDocumentsWithConcurrentInserts() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let base = Self.base(tenant)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        for index in stride(from: writer, to: 1000, by: 4) {
                            _ = try await server.admin(.post, "\(base)/items/i\(String(format: "%04d", index))", json: ["n": .int(Int64(index))])
                        }
                    }
                }
                try await group.waitForAll()
            }
            let inserter = Task {
                for index in 0..<100 {
                    _ = try await server.admin(.post, "\(base)/items/j\(String(format: "%04d", index))", json: [:])
                }
            }
            var seen: [String] = []
            var uri = "\(base)/items?limit=97"
            while true {
                let page = try await server.admin(.get, uri)
                #expect(page.status == 200)
                seen += page.json.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
                guard let next = page.headers[.init("X-Next-Cursor")!] else { break }
                uri = "\(base)/items?limit=97&cursor=\(next)"
            }
            try await inserter.value
            #expect(seen.count == Set(seen).count)
            #expect(Set((0..<1000).map { "i\(String(format: "%04d", $0))" }).isSubset(of: Set(seen)))
            #expect(seen == seen.sorted())
        }
    }
}
