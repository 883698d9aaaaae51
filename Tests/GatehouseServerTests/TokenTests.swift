import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import HTTPTypes
import Testing

/// Scoped tokens from API keys (SPEC §4, seed 002), signing keys and discovery.
@Suite struct TokenTests {
    static func decodePart(_ token: String, _ index: Int) -> JSONValue {
        let part = token.split(separator: ".")[index]
        var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return (try? JSONDecoder().decode(JSONValue.self, from: Data(base64Encoded: base64) ?? Data())) ?? .null
    }

    @Test func anAPIKeyMintsANarrowerToken() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["provisioning:*", "iam:read"])
            let minted = try await server.request(
                .post, "/api/v1/auth/token", key: key.secret, json: ["scopes": ["provisioning:users.read"], "ttl_seconds": 600])
            #expect(minted.status == 200)
            #expect(minted.headers[.cacheControl] == "no-store")
            #expect(minted["token_type"] == "Bearer")
            #expect(minted["expires_in"] == 600)
            #expect(minted["scope"] == "provisioning:users.read")
            let token = try #require(minted["access_token"]?.stringValue)
            let header = Self.decodePart(token, 0)
            #expect(header["alg"] == "EdDSA")
            #expect(header["kid"]?.stringValue?.hasPrefix("sk_") == true)
            let claims = Self.decodePart(token, 1)
            #expect(claims["sub"]?.stringValue == key.id)
            #expect(claims["tenant_id"]?.stringValue == tenant)
            #expect(claims["exp"]?.intValue != nil, "exp is whole seconds")
            #expect(claims["iat"]?.intValue != nil)
            #expect(!token.contains(key.secret))

            let base = "/api/v1/provisioning/tenants/\(tenant)"
            _ = try await server.admin(.post, "\(base)/users/u1", json: ["a": 1])
            #expect(try await server.request(.get, "\(base)/users/u1", key: token).status == 200)
            let write = try await server.request(.post, "\(base)/users/u2", key: token, json: [:])
            #expect(write.status == 403, "the token is narrower than its key")
            let whoami = try await server.request(.get, "/api/v1/auth/whoami", key: token)
            #expect(whoami["type"] == "access_token")
            #expect(whoami["id"]?.stringValue == key.id)

            let broader = try await server.request(.post, "/api/v1/auth/token", key: key.secret, json: ["scopes": ["*"]])
            #expect(broader.status == 403)
            let tooLong = try await server.request(.post, "/api/v1/auth/token", key: key.secret, json: ["ttl_seconds": 7200])
            #expect(tooLong.status == 422)
            let fromToken = try await server.request(.post, "/api/v1/auth/token", key: token, json: [:])
            #expect(fromToken.status == 403)
            #expect(fromToken.json["error"]?["message"]?.stringValue?.contains("cannot mint") == true)
            let defaults = try await server.request(.post, "/api/v1/auth/token", key: key.secret)
            #expect(defaults["expires_in"] == 900)
            #expect(defaults["scope"] == "provisioning:* iam:read")
        }
    }

    @Test func revokingOrRotatingOutTheParentEndsItsTokens() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"])
            let token = try #require(try await server.request(.post, "/api/v1/auth/token", key: key.secret)["access_token"]?.stringValue)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: token).status == 200)
            let rotated = try await server.admin(
                .post, "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)/rotate", json: ["grace_seconds": 0])
            try await server.waitUntilIndexed(try #require(rotated["key"]?.stringValue))
            _ = try await server.waitForStatus(401, "/api/v1/auth/whoami", key: token)

            let fresh = try #require(rotated["key"]?.stringValue)
            let second = try #require(try await server.request(.post, "/api/v1/auth/token", key: fresh)["access_token"]?.stringValue)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: second).status == 200)
            _ = try await server.admin(.delete, "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)")
            _ = try await server.waitForStatus(401, "/api/v1/auth/whoami", key: second)
        }
    }

    @Test func forgedAndForeignTokensAreRefused() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"])
            let token = try #require(try await server.request(.post, "/api/v1/auth/token", key: key.secret)["access_token"]?.stringValue)
            let parts = token.split(separator: ".").map(String.init)
            var claims = Self.decodePart(token, 1).objectValue ?? [:]
            claims["scope"] = "*"
            let forgedBody = try JSONEncoder().encode(JSONValue.object(claims)).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: "\(parts[0]).\(forgedBody).\(parts[2])").status == 401)
            let noKid = #"{"alg":"EdDSA","typ":"JWT"}"#.data(using: .utf8)!.base64EncodedString()
                .replacingOccurrences(of: "=", with: "")
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: "\(noKid).\(parts[1]).\(parts[2])").status == 401)
            let audience = try #require(try await server.request(
                .post, "/api/v1/auth/token", key: key.secret, json: ["audience": "https://downstream.example"])["access_token"]?.stringValue)
            let foreign = try await server.request(.get, "/api/v1/auth/whoami", key: audience)
            #expect(foreign.status == 401, "a token for another audience is not accepted here")
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: "a.b.c").status == 401)
        }
    }

    @Test func signingKeysRotateAndOldOnesStayPublished() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"])
            let before = try await server.request(.get, "/.well-known/jwks.json")
            #expect(before.status == 200)
            let firstKid = try #require(before["keys"]?.arrayValue?.first?["kid"]?.stringValue)
            #expect(before["keys"]?.arrayValue?.first?["kty"] == "OKP")
            #expect(before["keys"]?.arrayValue?.first?["d"] == nil, "no private material")
            let oldToken = try #require(try await server.request(.post, "/api/v1/auth/token", key: key.secret)["access_token"]?.stringValue)

            let rotated = try await server.admin(.post, "/api/v1/admin/signing-keys/rotate", json: ["algorithm": "ES256"])
            #expect(rotated.status == 200)
            let newKid = try #require(rotated["kid"]?.stringValue)
            let after = try await server.request(.get, "/.well-known/jwks.json")
            let kids = Set(after["keys"]?.arrayValue?.compactMap { $0["kid"]?.stringValue } ?? [])
            #expect(kids == [firstKid, newKid])
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: oldToken).status == 200, "old tokens still verify")
            let newToken = try #require(try await server.request(.post, "/api/v1/auth/token", key: key.secret)["access_token"]?.stringValue)
            #expect(Self.decodePart(newToken, 0)["alg"] == "ES256")
            #expect(Self.decodePart(newToken, 0)["kid"]?.stringValue == newKid)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: newToken).status == 200)

            let keyRow = try await server.allSigningKeyText()
            #expect(!keyRow.isEmpty)
            let discovery = try await server.request(.get, "/.well-known/openid-configuration")
            #expect(discovery["jwks_uri"]?.stringValue?.hasSuffix("/.well-known/jwks.json") == true)
            let config = try await server.request(.get, "/api/v1/auth/config")
            #expect(config.status == 200)
            #expect(config["issuer"] == discovery["issuer"])
            let tenantKeyRotate = try await server.request(.post, "/api/v1/admin/signing-keys/rotate", key: key.secret)
            #expect(tenantKeyRotate.status == 403)
        }
    }
}

/// The failure modes of token verification.
@Suite struct TokenFailureTests {
    static func b64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    @Test func algNoneUnknownKidWrongIssuerAndTamperingAreRefused() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"])
            let token = try #require(try await server.request(.post, "/api/v1/auth/token", key: key.secret)["access_token"]?.stringValue)
            let parts = token.split(separator: ".").map(String.init)
            let kid = try #require(TokenTests.decodePart(token, 0)["kid"]?.stringValue)
            let none = Self.b64(#"{"alg":"none","typ":"JWT","kid":"\#(kid)"}"#) + "." + parts[1] + "."
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: none).status == 401)
            let unknownKid = Self.b64(#"{"alg":"EdDSA","typ":"JWT","kid":"sk_nobody"}"#) + "." + parts[1] + "." + parts[2]
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: unknownKid).status == 401)
            var signature = Array(parts[2])
            signature[5] = signature[5] == "A" ? "B" : "A"
            let tampered = parts[0] + "." + parts[1] + "." + String(signature)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: tampered).status == 401)
            var claims = TokenTests.decodePart(token, 1).objectValue ?? [:]
            claims["iss"] = "https://evil.example"
            let otherIssuer = parts[0] + "." + Self.b64(String(decoding: try JSONEncoder().encode(JSONValue.object(claims)), as: UTF8.self)) + "." + parts[2]
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: otherIssuer).status == 401)
        }
    }

    @Test func expiredTokensAndCrossTenantUseAreRefused() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let other = try await server.makeTenant("Other")
            let key = try await server.makeKey(tenant: tenant, scopes: ["provisioning:*"])
            let short = try #require(try await server.request(
                .post, "/api/v1/auth/token", key: key.secret, json: ["ttl_seconds": 2])["access_token"]?.stringValue)
            #expect(try await server.request(.get, "/api/v1/provisioning/tenants/\(other)/users/u1", key: short).status == 403)
            _ = try await server.waitForStatus(401, "/api/v1/auth/whoami", key: short, within: .seconds(5))
            let denied = try await server.request(.get, "/api/v1/auth/whoami", key: short)
            #expect(denied.json["error"]?["message"]?.stringValue?.contains("expired") == true)
        }
    }
}
