import Foundation
import Testing

@testable import GatehouseCore

@Suite struct WebhookCoreTests {
    /// The example of the Standard Webhooks specification.
    @Test func signsLikeTheStandardWebhooksExample() {
        let signature = WebhookSignature.sign(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Data(#"{"test": 2432232314}"#.utf8),
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func everyLiveSecretSigns() {
        let header = WebhookSignature.header(
            id: "m", timestamp: 1, body: Data("{}".utf8), secrets: [WebhookSignature.generateSecret(), WebhookSignature.generateSecret()])
        #expect(header.split(separator: " ").count == 2)
        #expect(header.split(separator: " ").allSatisfy { $0.hasPrefix("v1,") })
    }

    @Test(arguments: [
        ("127.0.0.1", NetworkAddress.Class.loopback), ("10.1.2.3", .privateAddress), ("172.20.0.1", .privateAddress),
        ("192.168.1.1", .privateAddress), ("169.254.169.254", .linkLocal), ("100.64.0.1", .privateAddress),
        ("0.0.0.0", .privateAddress), ("8.8.8.8", .publicAddress), ("::1", .loopback), ("[::1]", .loopback),
        ("fe80::1%eth0", .linkLocal), ("fd00::1", .privateAddress), ("::ffff:10.0.0.1", .privateAddress),
        ("::ffff:127.0.0.1", .loopback), ("2001:4860:4860::8888", .publicAddress), ("::", .privateAddress),
        ("64:ff9b::a9fe:a9fe", .linkLocal), ("2002:7f00:1::", .loopback), ("::10.0.0.1", .privateAddress),
        ("fec0::1", .privateAddress),
    ])
    func classifiesAddresses(text: String, expected: NetworkAddress.Class) {
        #expect(NetworkAddress.classify(text) == expected)
    }

    @Test func namesAreNotAddresses() {
        #expect(NetworkAddress.classify("example.com") == nil)
        #expect(NetworkAddress.classify("1.2.3") == nil)
        #expect(NetworkAddress.classify("1:2:3:4:5:6:7:8:9") == nil)
    }

    @Test func auditedChangesRaiseWebhookEvents() {
        let tenant = ResourceID.generate(.tenant)
        let created = AuditEvent(tenantID: tenant, actorType: "api_key", actorID: "k", action: "api_key.create", target: "key_x")
        #expect(WebhookEventType.raised(by: created)?.type == "key.created")
        let suspended = AuditEvent(
            tenantID: nil, actorType: "platform_admin", actorID: "a", action: "tenant.update", target: tenant.rawValue,
            details: ["status": "suspended"])
        #expect(WebhookEventType.raised(by: suspended)?.tenantID == tenant)
        let denied = AuditEvent(tenantID: tenant, actorType: "api_key", actorID: "k", action: "api_key.create", target: nil, outcome: .denied)
        #expect(WebhookEventType.raised(by: denied) == nil)
        #expect(WebhookEventType.matches(["key.*"], "key.revoked"))
        #expect(!WebhookEventType.matches(["key.*"], "credential.created"))
        #expect(WebhookEventType.matches(["*"], "credential.created"))
        #expect(WebhookEventType.isValidFilter("credential.*") && !WebhookEventType.isValidFilter("nope"))
    }

    @Test func retryAfterReadsSecondsAndDates() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RetryAfter.delay("120", now: now) == 120)
        #expect(RetryAfter.delay("999999", now: now) == 3600)
        #expect(RetryAfter.delay("Tue, 14 Nov 2023 22:15:20 GMT", now: now) == 120)
        #expect(RetryAfter.delay("soon", now: now) == nil)
        #expect(RetryAfter.delay(nil, now: now) == nil)
    }
}
