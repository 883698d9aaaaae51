import Testing

@testable import GatehouseCore

struct TenantSettingsTests {
    @Test func defaultsApplyWhenNothingIsGiven() throws {
        let settings = try TenantSettings().merging(.object([:]))
        #expect(settings == TenantSettings(keyPrefix: "gk", defaultRateLimit: nil))
    }

    @Test func mergeReplacesAndNullResets() throws {
        let limited = try TenantSettings().merging(.object([
            "key_prefix": "cm",
            "default_rate_limit": .object(["limit": 100, "window_seconds": 60]),
        ]))
        #expect(limited == TenantSettings(keyPrefix: "cm", defaultRateLimit: RateLimit(limit: 100, windowSeconds: 60)))
        let reset = try limited.merging(.object(["default_rate_limit": .null, "key_prefix": .null]))
        #expect(reset == TenantSettings())
    }

    @Test func unknownSettingsAreNamed() {
        #expect(throws: GatehouseError.validationFailed(fields: ["settings.colour": "unknown field"])) {
            try TenantSettings().merging(.object(["colour": "blue"]))
        }
    }

    @Test func invalidPrefixIsRejected() {
        #expect(throws: GatehouseError.self) { try TenantSettings().merging(.object(["key_prefix": "Bad_"])) }
    }

    @Test func invalidRateLimitNamesTheField() {
        #expect(
            throws: GatehouseError.invalid("settings.default_rate_limit.window_seconds", "must be between 1 and 86400")
        ) {
            try TenantSettings().merging(.object(["default_rate_limit": .object(["limit": 1, "window_seconds": 0])]))
        }
    }

    @Test(arguments: ["", "   ", String(repeating: "x", count: 201), "tab\tname"])
    func badNamesAreRejected(name: String) {
        #expect(throws: GatehouseError.self) { try DisplayName.validate(name) }
    }

    @Test func namesAreTrimmed() throws {
        #expect(try DisplayName.validate("  Acme  ") == "Acme")
    }
}
