import Crypto
import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import JWTKit
import Testing

/// Tokens of a trusted external identity provider (seed 003).
@Suite struct ExternalIdentityTests {
    struct IdPClaims: JWTPayload {
        var iss: String
        var sub: String
        var aud: String
        var exp: Int
        var tenant_id: String
        var roles: [String]
        var permissions: [String]
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    @Test func claimsMapOntoAPrincipalThroughTheTenantsRoles() async throws {
        let key = Curve25519.Signing.PrivateKey()
        let x = key.publicKey.rawRepresentation.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("idp-\(UUID()).json")
        try Data(#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"\#(x)","kid":"idp-1","alg":"EdDSA","use":"sig"}]}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        var options = ServerOptions(changePollInterval: .milliseconds(50))
        options.identityProviders = [IdentityProvider(
            issuer: "https://scaikey.example", audience: "gatehouse", tenants: ["*"], jwksFile: file.path)]
        let signer = JWTKeyCollection()
        await signer.add(eddsa: EdDSA.PrivateKey(backing: key), kid: "idp-1")
        try await TestServer.run(options: options) { server throws in
            let tenant = try await server.makeTenant()
            func token(roles: [String], aud: String = "gatehouse", tenant: String, exp: Int = Int(Date().timeIntervalSince1970) + 600)
                async throws -> String
            {
                try await signer.sign(
                    IdPClaims(iss: "https://scaikey.example", sub: "alice", aud: aud, exp: exp, tenant_id: tenant, roles: roles,
                              permissions: ["llm"]), kid: "idp-1")
            }
            let viewer = try await token(roles: ["viewer"], tenant: tenant)
            let whoami = try await server.request(.get, "/api/v1/auth/whoami", key: viewer)
            #expect(whoami.status == 200)
            #expect(whoami["type"] == "external")
            #expect(whoami["tenant_id"]?.stringValue == tenant)
            #expect(whoami["permissions"] == ["llm"])
            let base = "/api/v1/provisioning/tenants/\(tenant)"
            #expect(try await server.request(.get, "\(base)/users/u1", key: viewer).status == 404)
            #expect(try await server.request(.post, "\(base)/users/u1", key: viewer, json: [:]).status == 403)

            _ = try await server.admin(.post, "/api/v1/iam/tenants/\(tenant)/roles", json: ["name": "editor", "scopes": ["provisioning:*"]])
            #expect(try await server.request(.post, "\(base)/users/u1", key: try await token(roles: ["editor"], tenant: tenant), json: [:]).status == 201)

            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: try await token(roles: ["viewer"], aud: "other", tenant: tenant)).status == 401)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: try await token(roles: [], tenant: tenant, exp: 1000)).status == 401)
            let other = try await server.makeTenant("Other")
            #expect(try await server.request(.get, "\(Self.path(other))/users/u1", key: viewer).status == 403, "its own tenant only")
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: try await token(roles: [], tenant: "ten_unknown")).status == 401)

            let stranger = Curve25519.Signing.PrivateKey()
            let forger = JWTKeyCollection()
            await forger.add(eddsa: EdDSA.PrivateKey(backing: stranger), kid: "idp-1")
            let forged = try await forger.sign(
                IdPClaims(iss: "https://scaikey.example", sub: "mallory", aud: "gatehouse", exp: Int(Date().timeIntervalSince1970) + 600,
                          tenant_id: tenant, roles: ["owner"], permissions: []), kid: "idp-1")
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: forged).status == 401)
        }
    }

    static func path(_ tenant: String) -> String { "/api/v1/provisioning/tenants/\(tenant)" }
}

@Suite struct ExternalIdentityTenantTests {
    @Test func anIssuerSpeaksOnlyForItsTenants() async throws {
        let key = Curve25519.Signing.PrivateKey()
        let x = key.publicKey.rawRepresentation.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("idp-\(UUID()).json")
        try Data(#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"\#(x)","kid":"k1","alg":"EdDSA","use":"sig"}]}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let signer = JWTKeyCollection()
        await signer.add(eddsa: EdDSA.PrivateKey(backing: key), kid: "k1")
        // The provider is configured before the tenants exist, so it names one by a fixed id
        // that no tenant has: tokens for any real tenant must be refused.
        var options = ServerOptions(changePollInterval: .milliseconds(50))
        options.identityProviders = [IdentityProvider(
            issuer: "https://customer-a.example", audience: "gatehouse", tenants: [ResourceID.generate(.tenant).rawValue],
            jwksFile: file.path)]
        try await TestServer.run(options: options) { server throws in
            let victim = try await server.makeTenant("Victim")
            let token = try await signer.sign(
                ExternalIdentityTests.IdPClaims(
                    iss: "https://customer-a.example", sub: "mallory", aud: "gatehouse",
                    exp: Int(Date().timeIntervalSince1970) + 600, tenant_id: victim, roles: ["owner"], permissions: []),
                kid: "k1")
            let reply = try await server.request(.get, "/api/v1/auth/whoami", key: token)
            #expect(reply.status == 401)
        }
    }
}
