import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GatehouseCore
import GatehouseTestSupport
import Testing

/// `gatehouse master-key rotate` against the real binary: the data survives a restart on
/// the new key, and the old key is refused.
@Suite(.serialized) struct MasterKeyRotationTests {
    @Test func rotationThenRestartKeepsEverythingAndRefusesTheOldKey() async throws {
        let binary = try GatehouseBinary.locate()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-mk-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bootstrap = try GatehouseBinary.run(binary, ["bootstrap"], in: directory)
        let admin = try #require(bootstrap.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix("gkadmin_") })

        // First life: a credential and a session-signing key under the generated key.
        var port = try GatehouseBinary.freePort()
        var server = try GatehouseBinary.start(binary, ["serve", "--port", "\(port)"], in: directory)
        _ = try await GatehouseBinary.waitForHealth(port: port, within: .seconds(20))
        let tenant = try #require(try await HTTP.send("POST", port, "/api/v1/admin/tenants", key: admin, ["name": "MK"])
            .json["id"]?.stringValue)
        let vault = "/api/v1/vault/tenants/\(tenant)/credentials"
        let stored = try await HTTP.send("POST", port, vault, key: admin, [
            "integration_id": "crm", "name": "CRM", "auth_type": "basic_auth",
            "data": ["username": "u", "password": "survives-rotation"],
        ])
        #expect(stored.status == 201)
        let kidsBefore = try await HTTP.send("GET", port, "/.well-known/jwks.json").json["keys"]?.arrayValue?
            .compactMap { $0["kid"]?.stringValue }
        try await GatehouseBinary.stop(server)

        let keyFile = directory.appendingPathComponent("gatehouse-data/master.key")
        let oldKeyFile = directory.appendingPathComponent("old.key")
        try FileManager.default.copyItem(at: keyFile, to: oldKeyFile)
        let newKeyFile = directory.appendingPathComponent("new.key")
        try Data(MasterKey.generateBase64().utf8).write(to: newKeyFile)
        let rotate = try GatehouseBinary.run(binary, ["master-key", "rotate", "--new-key-file", newKeyFile.path], in: directory)
        #expect(rotate.status == 0, "\(rotate.output)")
        #expect(rotate.output.contains("Re-wrapped 1 data key(s) and re-sealed 1 signing key(s)"), "\(rotate.output)")
        #expect(try String(contentsOf: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            == String(contentsOf: newKeyFile, encoding: .utf8), "the development key file now holds the new key")

        // Second life, on the new key: the secret and the signing keys are all there.
        port = try GatehouseBinary.freePort()
        server = try GatehouseBinary.start(binary, ["serve", "--port", "\(port)"], in: directory)
        defer { if server.isRunning { server.terminate() } }
        _ = try await GatehouseBinary.waitForHealth(port: port, within: .seconds(20))
        let revealed = try await HTTP.send("GET", port, "\(vault)/crm", key: admin)
        #expect(revealed.json["data"]?.arrayValue?.first?["data"]?["password"]?.stringValue == "survives-rotation")
        let kidsAfter = try await HTTP.send("GET", port, "/.well-known/jwks.json").json["keys"]?.arrayValue?
            .compactMap { $0["kid"]?.stringValue }
        #expect(kidsAfter == kidsBefore)
        let token = try await HTTP.send("POST", port, "/api/v1/admin/signing-keys/rotate", key: admin, [:])
        #expect(token.status == 200, "the re-sealed signing key is usable: \(token.text)")
        try await GatehouseBinary.stop(server)

        // The old key is refused at start, with a reason.
        let refused = try GatehouseBinary.run(
            binary, ["serve", "--port", "\(try GatehouseBinary.freePort())", "--master-key-file", oldKeyFile.path],
            in: directory)
        #expect(refused.status != 0)
        #expect(refused.output.contains("sealed by master key"), "\(refused.output)")
        // And rotating again from the wrong key changes nothing.
        let again = try GatehouseBinary.run(
            binary, ["master-key", "rotate", "--new-key-file", newKeyFile.path, "--master-key-file", oldKeyFile.path],
            in: directory)
        #expect(again.status != 0)
    }
}

@Suite struct MasterKeyCheckTests {
    /// On a database sealed before the key check existed, only a key that opens the sealed
    /// signing keys is recorded; a mistyped key is refused, not written down.
    @Test func aWrongKeyIsNeverRecordedAsTheRightOne() async throws {
        try await TestServer.run { server throws in
            try await server.executeSQL("DELETE FROM key_check")
            let other = MasterKey(bytes: Array(repeating: 3, count: 32))
            #expect(try await server.store.keyMaterial.verify(other) != .recorded)
            #expect(try await server.store.keyMaterial.verify(TestServer.masterKey) == .recorded)
            #expect(try await server.store.keyMaterial.verify(TestServer.masterKey) == .matches)
            #expect(try await server.store.keyMaterial.verify(other) == .mismatch(storedFingerprint: TestServer.masterKey.fingerprint))
        }
    }
}

/// Minimal JSON over loopback for the binary tests.
enum HTTP {
    static func send(
        _ method: String, _ port: Int, _ path: String, key: String? = nil, _ body: JSONValue? = nil
    ) async throws -> (status: Int, json: JSONValue, text: String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONEncoder().encode(body)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let json = (try? JSONDecoder().decode(JSONValue.self, from: data)) ?? .null
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, json, String(decoding: data, as: UTF8.self))
    }
}
