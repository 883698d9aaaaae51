import Testing

@testable import GatehouseCore

/// Random grants and random requests, judged by the engine and by a reference written
/// straight from the words of SPEC §5: "a request needs one granted scope among `*`,
/// `{api}:*`, `{api}:{op}`, `{api}:{resource}.*`, `{api}:{resource}.{op}`".
struct AuthorizationPropertyTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state ^ (state >> 29)
        }
    }

    static let apis = ["iam", "provisioning", "vault", "reporting"]
    static let resources = ["users", "bots", "credentials", "api-keys"]
    static let actions = ["read", "write", "reveal"]

    static func randomScope(_ rng: inout Generator) -> String {
        let api = apis.randomElement(using: &rng)!
        let resource = resources.randomElement(using: &rng)!
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return "*"
        case 1: return "\(api):*"
        case 2: return "\(api):\(["read", "write"].randomElement(using: &rng)!)"
        case 3: return "\(api):\(resource).*"
        default: return "\(api):\(resource).\(actions.randomElement(using: &rng)!)"
        }
    }

    /// The reference: a literal set-membership reading of the rule.
    static func reference(grants: Set<String>, api: String, resource: String?, action: String) -> Bool {
        var acceptable: Set<String> = ["*", "\(api):*"]
        if action == "read" || action == "write" { acceptable.insert("\(api):\(action)") }
        if let resource {
            acceptable.insert("\(api):\(resource).*")
            acceptable.insert("\(api):\(resource).\(action)")
        }
        return !grants.isDisjoint(with: acceptable)
    }

    @Test func engineAgreesWithTheReference() throws {
        var rng = Generator(state: 42)
        for _ in 0..<20_000 {
            let grants = (0..<Int.random(in: 0..<4, using: &rng)).map { _ in Self.randomScope(&rng) }
            let api = Self.apis.randomElement(using: &rng)!
            let resource = Self.resources.randomElement(using: &rng)!
            let method = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"].randomElement(using: &rng)!
            let tail = Bool.random(using: &rng) ? "/x1" : ""
            let path = "/api/v1/\(api)/tenants/ten_1/\(resource)\(tail)"
            let target = try RequestTarget.derive(method: method, path: path)
            let engine = AuthorizationEngine.decide(grants: try grants.map { try Scope(parsing: $0) }, target: target)
            let expected = Self.reference(
                grants: Set(grants), api: target.api, resource: target.resource, action: target.action)
            #expect((engine == .allowed) == expected, "\(grants) \(method) \(path)")
        }
    }

    /// A scope covered by grants never allows a request the grants deny.
    @Test func coverageIsSound() throws {
        var rng = Generator(state: 7)
        for _ in 0..<5_000 {
            let grants = try (0..<Int.random(in: 1..<4, using: &rng)).map { _ in try Scope(parsing: Self.randomScope(&rng)) }
            let scope = try Scope(parsing: Self.randomScope(&rng))
            guard scope.isCovered(by: grants) else { continue }
            for api in Self.apis {
                for resource in Self.resources {
                    for action in Self.actions where scope.allows(api: api, resource: resource, action: action) {
                        #expect(grants.contains { $0.allows(api: api, resource: resource, action: action) },
                                "\(scope) covered by \(grants) but allows \(api):\(resource).\(action)")
                    }
                }
            }
        }
    }
}
