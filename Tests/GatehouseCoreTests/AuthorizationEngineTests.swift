import Testing

@testable import GatehouseCore

/// SPEC §5 and seed 000's scope table.
struct AuthorizationEngineTests {
    static func decide(_ grants: [String], _ method: String, _ path: String) throws -> Bool {
        let scopes = try grants.map { try Scope(parsing: $0) }
        let target = try RequestTarget.derive(method: method, path: path)
        return AuthorizationEngine.decide(grants: scopes, target: target) == .allowed
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let grants: [String]
        let method: String
        let path: String
        let allowed: Bool
        var testDescription: String { "\(grants) \(method) \(path) → \(allowed ? "allow" : "deny")" }
    }

    static let seedTable: [Case] = [
        // Provisioning: read scopes
        Case(grants: ["provisioning:*"], method: "GET", path: "/api/v1/provisioning/tenants/t1/users", allowed: true),
        Case(grants: ["provisioning:read"], method: "GET", path: "/api/v1/provisioning/tenants/t1/users", allowed: true),
        Case(grants: ["provisioning:users.read"], method: "GET", path: "/api/v1/provisioning/tenants/t1/users/u1", allowed: true),
        Case(grants: ["provisioning:users.read"], method: "GET", path: "/api/v1/provisioning/tenants/t1/bots", allowed: false),
        // Provisioning: write scopes
        Case(grants: ["provisioning:*"], method: "POST", path: "/api/v1/provisioning/tenants/t1/users/u1", allowed: true),
        Case(grants: ["provisioning:users.*"], method: "PUT", path: "/api/v1/provisioning/tenants/t1/users/u1", allowed: true),
        Case(grants: ["provisioning:users.*"], method: "GET", path: "/api/v1/provisioning/tenants/t1/users/u1", allowed: true),
        Case(grants: ["provisioning:read"], method: "POST", path: "/api/v1/provisioning/tenants/t1/users/u1", allowed: false),
        // Reporting is read-only
        Case(grants: ["reporting:*"], method: "GET", path: "/api/v1/reporting/tenants/t1/usage", allowed: true),
        Case(grants: ["reporting:read"], method: "GET", path: "/api/v1/reporting/tenants/t1/usage", allowed: true),
        Case(grants: ["reporting:read"], method: "POST", path: "/api/v1/reporting/tenants/t1/usage", allowed: false),
        // VOC and MCP
        Case(grants: ["voc:*"], method: "DELETE", path: "/api/v1/voc/tenants/t1/recording/r1", allowed: true),
        Case(grants: ["voc:read"], method: "GET", path: "/api/v1/voc/tenants/t1/recording/r1", allowed: true),
        Case(grants: ["voc:recording.*"], method: "POST", path: "/api/v1/voc/tenants/t1/recording", allowed: true),
        Case(grants: ["voc:recording.*"], method: "POST", path: "/api/v1/voc/tenants/t1/calls", allowed: false),
        Case(grants: ["mcp:*"], method: "GET", path: "/api/v1/mcp/tenants/t1/bots", allowed: true),
        Case(grants: ["mcp:read"], method: "GET", path: "/api/v1/mcp/tenants/t1/bots", allowed: true),
        Case(grants: ["mcp:bots.read"], method: "GET", path: "/api/v1/mcp/tenants/t1/bots", allowed: true),
        Case(grants: ["mcp:bots.read"], method: "PATCH", path: "/api/v1/mcp/tenants/t1/bots/b1", allowed: false),
        Case(grants: ["mcp:bots.*"], method: "PATCH", path: "/api/v1/mcp/tenants/t1/bots/b1", allowed: true),
        // write does not imply read
        Case(grants: ["provisioning:write"], method: "GET", path: "/api/v1/provisioning/tenants/t1/users", allowed: false),
        Case(grants: ["provisioning:users.write"], method: "GET", path: "/api/v1/provisioning/tenants/t1/users", allowed: false),
        Case(grants: ["provisioning:write"], method: "DELETE", path: "/api/v1/provisioning/tenants/t1/users/u1", allowed: true),
        // HEAD and OPTIONS read
        Case(grants: ["provisioning:read"], method: "HEAD", path: "/api/v1/provisioning/tenants/t1/users", allowed: true),
        Case(grants: ["provisioning:read"], method: "OPTIONS", path: "/api/v1/provisioning/tenants/t1/users", allowed: true),
        // Another api is never reached
        Case(grants: ["provisioning:*"], method: "GET", path: "/api/v1/reporting/tenants/t1/usage", allowed: false),
        Case(grants: [], method: "GET", path: "/api/v1/provisioning/tenants/t1/users", allowed: false),
        Case(grants: ["*"], method: "DELETE", path: "/api/v1/anything/tenants/t1/at/all", allowed: true),
        // Platform routes: the resource follows the api
        Case(grants: ["admin:tenants.read"], method: "GET", path: "/api/v1/admin/tenants", allowed: true),
        Case(grants: ["admin:tenants.read"], method: "GET", path: "/api/v1/admin/tenants/ten_1/stats", allowed: true),
        Case(grants: ["admin:tenants.read"], method: "POST", path: "/api/v1/admin/tenants", allowed: false),
        Case(grants: ["iam:keys.write"], method: "POST", path: "/api/v1/iam/keys/verify", allowed: true),
        // Sensitive verbs are not implied by read or write
        Case(grants: ["vault:read"], method: "GET", path: "/api/v1/vault/tenants/t1/credentials/int1", allowed: false),
        Case(grants: ["vault:write", "vault:read"], method: "GET", path: "/api/v1/vault/tenants/t1/credentials/int1", allowed: false),
        Case(grants: ["vault:credentials.read"], method: "GET", path: "/api/v1/vault/tenants/t1/credentials/int1", allowed: false),
        Case(grants: ["vault:credentials.reveal"], method: "GET", path: "/api/v1/vault/tenants/t1/credentials/int1", allowed: true),
        Case(grants: ["vault:*"], method: "GET", path: "/api/v1/vault/tenants/t1/credentials/int1", allowed: true),
        Case(grants: ["*"], method: "GET", path: "/api/v1/vault/tenants/t1/credentials/int1", allowed: true),
        Case(grants: ["vault:read"], method: "GET", path: "/api/v1/vault/tenants/t1/credentials/int1/details", allowed: true),
        Case(grants: ["vault:read"], method: "GET", path: "/api/v1/vault/tenants/t1/credentials", allowed: true),
        // Edge cases: trailing slashes, repeated slashes, encoding, case
        Case(grants: ["provisioning:users.read"], method: "GET", path: "/api/v1/provisioning/tenants/t1/users/", allowed: true),
        Case(grants: ["provisioning:users.read"], method: "GET", path: "//api//v1/provisioning/tenants/t1//users", allowed: true),
        Case(grants: ["provisioning:users.read"], method: "GET", path: "/api/v1/provisioning/tenants/t1/%75sers", allowed: true),
        Case(grants: ["provisioning:users.read"], method: "GET", path: "/api/v1/Provisioning/tenants/t1/users", allowed: true),
        Case(grants: ["provisioning:users.read"], method: "GET", path: "/api/v1/provisioning/tenants/t1/Users", allowed: false),
        Case(grants: ["provisioning:read"], method: "GET", path: "/api/v1/provisioning/tenants/t1/Users", allowed: true),
        Case(grants: ["provisioning:users.read"], method: "get", path: "/api/v1/provisioning/tenants/t1/users", allowed: true),
    ]

    @Test(arguments: seedTable)
    func seedScopeTable(_ testCase: Case) throws {
        #expect(try Self.decide(testCase.grants, testCase.method, testCase.path) == testCase.allowed)
    }

    @Test(arguments: ["", ":", "provisioning", "provisioning:", ":read", "Provisioning:read", "provisioning:reveal",
                      "provisioning:users", "provisioning:users.", "provisioning:.read", "provisioning:users.read.x",
                      "provisioning:*:read", "provisioning:users.*.read", "**", "provisioning:**", "a b:read",
                      "provisioning:users.Read", "1api:read", String(repeating: "a", count: 65) + ":read"])
    func malformedScopesAreRejected(_ text: String) {
        #expect(throws: Scope.ParseError.self) { try Scope(parsing: text) }
    }

    @Test(arguments: ["*", "iam:*", "iam:read", "iam:write", "iam:api-keys.*", "iam:api-keys.read",
                      "vault:credentials.reveal", "bots:read", "agents:write", "calls:read"])
    func wellFormedScopesRoundTrip(_ text: String) throws {
        #expect(try Scope(parsing: text).description == text)
    }

    @Test func parseAllNamesTheOffendingIndex() {
        #expect(throws: GatehouseError.self) { try Scope.parseAll(["iam:read", "nope"]) }
        do {
            _ = try Scope.parseAll(["iam:read", "nope"])
        } catch {
            guard case .validationFailed(let fields) = error else { return }
            #expect(fields.keys.first == "scopes[1]")
        }
    }

    @Test(arguments: ["/api/v1/provisioning/tenants/t1/../t2/users", "/api/v1/provisioning/tenants/t1/%2e%2e/users",
                      "/api/v1/provisioning/./tenants", "/api/v1/provisioning/tenants/t1/a%2Fb", "/api/v1/x/%zz"])
    func dotSegmentsAndBadEscapesAreRefused(_ path: String) {
        #expect(throws: RequestTarget.DerivationError.suspiciousPath) { try RequestTarget.derive(method: "GET", path: path) }
    }

    @Test(arguments: ["/health", "/api", "/api/v1", "/api/v2/iam/keys", "/metrics"])
    func nonAPIPathsHaveNoTarget(_ path: String) {
        #expect(throws: RequestTarget.DerivationError.notAnAPIPath) { try RequestTarget.derive(method: "GET", path: path) }
    }

    @Test func derivationNamesTheTenant() throws {
        let target = try RequestTarget.derive(method: "DELETE", path: "/api/v1/iam/tenants/ten_1/api-keys/key_1")
        #expect(target == RequestTarget(api: "iam", resource: "api-keys", action: "write", tenantID: "ten_1"))
    }

    @Test func denialListsEveryAcceptableScope() throws {
        let target = try RequestTarget.derive(method: "GET", path: "/api/v1/provisioning/tenants/t1/users")
        #expect(AuthorizationEngine.decide(grants: [], target: target) == .denied(required: [
            "*", "provisioning:*", "provisioning:read", "provisioning:users.*", "provisioning:users.read",
        ]))
        let reveal = try RequestTarget.derive(method: "GET", path: "/api/v1/vault/tenants/t1/credentials/x")
        #expect(AuthorizationEngine.acceptableScopes(for: reveal) == [
            "*", "vault:*", "vault:credentials.*", "vault:credentials.reveal",
        ])
    }

    @Test(arguments: [
        ("provisioning:users.read", ["provisioning:*"], true),
        ("provisioning:users.read", ["provisioning:read"], true),
        ("provisioning:users.read", ["provisioning:users.*"], true),
        ("provisioning:users.read", ["provisioning:write"], false),
        ("provisioning:users.*", ["provisioning:read", "provisioning:write"], false),
        ("provisioning:read", ["provisioning:users.*"], false),
        ("provisioning:*", ["provisioning:read", "provisioning:write"], false),
        ("*", ["provisioning:*"], false),
        ("vault:credentials.reveal", ["vault:read"], false),
        ("vault:credentials.reveal", ["vault:credentials.*"], true),
        ("iam:api-keys.write", ["*"], true),
    ])
    func coverage(scope: String, grants: [String], covered: Bool) throws {
        #expect(try Scope(parsing: scope).isCovered(by: grants.map { try Scope(parsing: $0) }) == covered)
    }

    @Test func permissionsAreIndependentOfScopes() {
        #expect(AuthorizationEngine.hasPermission("llm", in: ["*"]))
        #expect(AuthorizationEngine.hasPermission("llm", in: ["llm", "stt"]))
        #expect(!AuthorizationEngine.hasPermission("tts", in: ["llm"]))
        #expect(!AuthorizationEngine.hasPermission("llm", in: []))
    }
}
