import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseStorage
import GatehouseTestSupport
import Synchronization
import Testing

/// SPEC §8: `POST /admin/dek/rotate` re-encrypts every credential while the vault stays in use.
@Suite struct DataKeyRotationTests {
    static let count = 10_000

    /// 10,000 credentials are re-encrypted under a new data key while other tasks keep
    /// revealing and patching them: no request fails, no update is lost, and the old key is
    /// retired (destroyed) once nothing uses it.
    @Test func rotationReencryptsEverythingWhileReadsAndPatchesContinue() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let tenantID = try #require(ResourceID(tenant, kind: .tenant))
            var ids: [String] = []
            for batch in 0..<(Self.count / 500) {
                let now = Timestamp.now
                let items = (0..<500).map { index in
                    let credential = VaultCredential(
                        id: .generate(.credential, now: now), tenantID: tenantID, integrationID: "int-\(batch)",
                        name: "c\(index)", authType: .bearerToken, metadata: [:], expiresAt: nil, createdBy: nil,
                        createdAt: now, updatedAt: now)
                    return (credential: credential, data: JSONValue.object(["token": .string("v0-\(credential.id)")]))
                }
                let stored = try await server.store.vault.create(items, keys: server.environment.dataKeys, audit: [])
                ids += stored.map { "\($0.integrationID)/\($0.id)" }
            }
            let all = ids
            let hot = Array(ids.shuffled().prefix(100))
            let latest = Shared<[String: String]>([:])
            let failures = Shared<[String]>([])
            let done = Shared(false)
            let base = VaultTests.base(tenant)

            let rotation = try await server.admin(.post, "/api/v1/admin/dek/rotate", json: ["tenant_id": .string(tenant)])
            #expect(rotation.status == 202)
            #expect(rotation["rotations"]?.arrayValue?.first?["dek_version"]?.intValue == 2)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var round = 0
                    while !done.value {
                        round += 1
                        let path = hot[round % hot.count]
                        let value = "v\(round)-\(path)"
                        let reply = try await server.admin(.patch, "\(base)/\(path)", json: ["data": ["token": .string(value)]])
                        if reply.status == 200 { latest.withLock { $0[path] = value } } else {
                            failures.withLock { $0.append("PATCH \(reply.status) \(reply.text)") }
                        }
                    }
                }
                group.addTask {
                    while !done.value {
                        let path = all.randomElement()!
                        let parts = path.split(separator: "/")
                        let reply = try await server.admin(.get, "\(base)/\(parts[0])?credential_id=\(parts[1])")
                        let token = reply["data"]?.arrayValue?.first?["data"]?["token"]?.stringValue ?? ""
                        if reply.status != 200 || !token.hasSuffix(String(parts[1])) {
                            failures.withLock { $0.append("GET \(reply.status) \(reply.text.prefix(200))") }
                        }
                    }
                }
                group.addTask {
                    defer { done.withLock { $0 = true } }
                    try await server.waitUntilReencrypted(within: .seconds(240))
                }
                try await group.waitForAll()
            }
            #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0.prefix(5) })")
            let patched = latest.withLock { $0 }
            #expect(!patched.isEmpty, "patches ran during the rotation")
            for (path, value) in patched {
                let parts = path.split(separator: "/")
                let reply = try await server.admin(.get, "\(base)/\(parts[0])?credential_id=\(parts[1])")
                #expect(reply["data"]?.arrayValue?.first?["data"]?["token"]?.stringValue == value, "no lost update")
            }
            for path in ids.shuffled().prefix(50) where patched[path] == nil {
                let parts = path.split(separator: "/")
                let reply = try await server.admin(.get, "\(base)/\(parts[0])?credential_id=\(parts[1])")
                #expect(reply["data"]?.arrayValue?.first?["data"]?["token"]?.stringValue == "v0-\(parts[1])")
            }
            #expect(try await server.count("SELECT COUNT(*) AS n FROM vault_keys") == 2)
            #expect(try await server.count("SELECT COUNT(*) AS n FROM vault_keys WHERE wrapped_key IS NULL AND version = 1") == 1,
                    "version 1's key material is destroyed")
            let stats = try await server.admin(.get, "/api/v1/admin/jobs/dek-rotation/stats")
            #expect(stats["succeeded"]?.intValue == 1)
            #expect(stats["last_run"]?["result"]?["retired_versions"] == [1])
            let status = try await server.store.vault.status()
            #expect(status.liveKeyVersions == 1, "version 1 was retired")
            #expect(status.credentials == Self.count)
        }
    }
}

/// A value several test tasks share.
final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value { storage.withLock { $0 } }
    func withLock<T>(_ body: (inout Value) -> T) -> T { storage.withLock { body(&$0) } }
}
