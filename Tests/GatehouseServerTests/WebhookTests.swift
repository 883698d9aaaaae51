import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Testing

/// SPEC §10 webhooks through HTTP, delivered to a receiver on loopback.
@Suite struct WebhookTests {
    static var options: ServerOptions {
        var options = ServerOptions(changePollInterval: .milliseconds(50))
        options.webhookAllowPrivateTargets = true
        options.webhookRetryBaseDelay = .milliseconds(50)
        options.webhookPollInterval = .milliseconds(50)
        return options
    }

    static func subscribe(_ server: TestServer, tenant: String, url: String, types: [String] = ["*"]) async throws -> (id: String, secret: String) {
        let reply = try await server.admin(
            .post, "/api/v1/webhooks/tenants/\(tenant)/subscriptions",
            json: ["url": .string(url), "event_types": .array(types.map(JSONValue.string))])
        guard reply.status == 201, let id = reply["id"]?.stringValue, let secret = reply["secret"]?.stringValue else {
            throw TestFailure("subscribe: \(reply.text)")
        }
        return (id, secret)
    }

    @Test func changesAreDeliveredSignedAndLogged() async throws {
        try await Receiver.run { receiver in
            try await TestServer.run(options: Self.options) { server throws in
                let tenant = try await server.makeTenant()
                let hook = try await Self.subscribe(server, tenant: tenant, url: receiver.url, types: ["key.*"])
                #expect(hook.secret.hasPrefix("whsec_"))
                let shown = try await server.admin(.get, "/api/v1/webhooks/tenants/\(tenant)/subscriptions/\(hook.id)")
                #expect(shown["secret"] == nil, "the secret is shown once")
                let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"])
                let received = try await receiver.waitFor(count: 1)
                let message = received[0]
                #expect(message.json["type"]?.stringValue == "key.created")
                #expect(message.json["data"]?["id"]?.stringValue == key.id)
                let expected = WebhookSignature.sign(
                    id: message.headers["webhook-id"] ?? "", timestamp: Int64(message.headers["webhook-timestamp"] ?? "") ?? 0,
                    body: message.body, secret: hook.secret)
                #expect(message.headers["webhook-signature"] == expected)
                #expect(!String(decoding: message.body, as: UTF8.self).contains(key.secret), "never the key's secret")
                // Events of other types are not sent to this subscription.
                _ = try await server.admin(.post, "/api/v1/provisioning/tenants/\(tenant)/things/t1", json: ["a": 1])
                var log = try await server.admin(.get, "/api/v1/webhooks/tenants/\(tenant)/subscriptions/\(hook.id)/deliveries")
                for _ in 0..<100 where log["data"]?.arrayValue?.first?["state"]?.stringValue != "succeeded" {
                    try await Task.sleep(for: .milliseconds(20))
                    log = try await server.admin(.get, "/api/v1/webhooks/tenants/\(tenant)/subscriptions/\(hook.id)/deliveries")
                }
                #expect(log["total"]?.intValue == 1)
                #expect(log["data"]?.arrayValue?.first?["state"]?.stringValue == "succeeded")
            }
        }
    }

    @Test func failuresAreRetriedAndGoneDisables() async throws {
        try await Receiver.run(statuses: [500, 503, 200]) { receiver in
            try await TestServer.run(options: Self.options) { server throws in
                let tenant = try await server.makeTenant()
                let hook = try await Self.subscribe(server, tenant: tenant, url: receiver.url)
                let test = try await server.admin(.post, "/api/v1/webhooks/tenants/\(tenant)/subscriptions/\(hook.id)/test")
                #expect(test.status == 202)
                let delivery = try #require(test["delivery_id"]?.stringValue)
                let received = try await receiver.waitFor(count: 3)
                #expect(Set(received.map { $0.headers["webhook-id"] ?? "" }).count == 1, "retries keep the message id")
                let path = "/api/v1/webhooks/tenants/\(tenant)/subscriptions/\(hook.id)/deliveries/\(delivery)"
                var detail = try await server.admin(.get, path)
                for _ in 0..<100 where detail["state"]?.stringValue != "succeeded" {
                    try await Task.sleep(for: .milliseconds(20))
                    detail = try await server.admin(.get, path)
                }
                #expect(detail["attempts"]?.arrayValue?.compactMap { $0["status_code"]?.intValue } == [500, 503, 200])
                // Redelivery sends the same event again.
                let again = try await server.admin(.post, path + "/redeliver")
                #expect(again.status == 202)
                _ = try await receiver.waitFor(count: 4)
                receiver.respond(with: [410])
                _ = try await server.admin(.post, "/api/v1/webhooks/tenants/\(tenant)/subscriptions/\(hook.id)/test")
                _ = try await receiver.waitFor(count: 5)
                var subscription = try await server.admin(.get, "/api/v1/webhooks/tenants/\(tenant)/subscriptions/\(hook.id)")
                for _ in 0..<100 where subscription["enabled"] != false {
                    try await Task.sleep(for: .milliseconds(20))
                    subscription = try await server.admin(.get, "/api/v1/webhooks/tenants/\(tenant)/subscriptions/\(hook.id)")
                }
                #expect(subscription["enabled"] == false)
                #expect(subscription["disabled_reason"]?.stringValue?.contains("410") == true)
            }
        }
    }

    @Test func aRotatedSecretSignsAlongsideTheOldOne() async throws {
        try await Receiver.run { receiver in
            try await TestServer.run(options: Self.options) { server throws in
                let tenant = try await server.makeTenant()
                let hook = try await Self.subscribe(server, tenant: tenant, url: receiver.url)
                let rotated = try await server.admin(.post, "/api/v1/webhooks/tenants/\(tenant)/subscriptions/\(hook.id)/rotate-secret")
                let fresh = try #require(rotated["secret"]?.stringValue)
                #expect(fresh != hook.secret)
                _ = try await server.admin(.post, "/api/v1/webhooks/tenants/\(tenant)/subscriptions/\(hook.id)/test")
                let message = try await receiver.waitFor(count: 1)[0]
                let id = message.headers["webhook-id"] ?? ""
                let timestamp = Int64(message.headers["webhook-timestamp"] ?? "") ?? 0
                let signatures = (message.headers["webhook-signature"] ?? "").split(separator: " ").map(String.init)
                #expect(signatures == [fresh, hook.secret].compactMap {
                    WebhookSignature.sign(id: id, timestamp: timestamp, body: message.body, secret: $0)
                })
            }
        }
    }

    /// Both nodes' dispatchers poll the same outbox: every event is delivered once.
    @Test func twoNodesDeliverEachEventOnce() async throws {
        try await Receiver.run { receiver in
            try await TestServer.run(options: Self.options) { nodeA throws in
                let tenant = try await nodeA.makeTenant()
                let hook = try await Self.subscribe(nodeA, tenant: tenant, url: receiver.url)
                try await nodeA.secondNode(options: Self.options) { nodeB throws in
                    for index in 0..<30 {
                        let node = index.isMultiple(of: 2) ? nodeA : nodeB
                        let reply = try await node.admin(.post, "/api/v1/webhooks/tenants/\(tenant)/subscriptions/\(hook.id)/test")
                        #expect(reply.status == 202)
                    }
                    let received = try await receiver.waitFor(count: 30)
                    try await Task.sleep(for: .milliseconds(300))  // any duplicate would arrive meanwhile
                    let ids = receiver.messages.map { $0.headers["webhook-id"] ?? "" }
                    #expect(ids.count == 30, "\(ids.count) deliveries for 30 events")
                    #expect(Set(ids).count == 30)
                    #expect(received.count >= 30)
                }
            }
        }
    }

    /// A subscription whose deliveries have all failed for the configured time is disabled,
    /// and its queued deliveries end.
    @Test func aSubscriptionFailingTooLongIsDisabled() async throws {
        var failing = Self.options
        failing.webhookDisableAfter = .milliseconds(300)
        let options = failing
        try await Receiver.run(statuses: Array(repeating: 500, count: 100)) { receiver in
            try await TestServer.run(options: options) { server throws in
                let tenant = try await server.makeTenant()
                let hook = try await Self.subscribe(server, tenant: tenant, url: receiver.url)
                let uri = "/api/v1/webhooks/tenants/\(tenant)/subscriptions/\(hook.id)"
                _ = try await server.admin(.post, uri + "/test")
                var subscription = try await server.admin(.get, uri)
                for _ in 0..<200 where subscription["enabled"] != false {
                    try await Task.sleep(for: .milliseconds(25))
                    subscription = try await server.admin(.get, uri)
                }
                #expect(subscription["enabled"] == false)
                #expect(subscription["disabled_reason"]?.stringValue?.contains("failed for longer") == true)
                #expect(subscription["failing_since"]?.stringValue != nil)
                let log = try await server.admin(.get, uri + "/deliveries")
                #expect(log["data"]?.arrayValue?.first?["state"]?.stringValue == "failed")
                // Enabling again clears the failure clock.
                let enabled = try await server.admin(.patch, uri, json: ["enabled": true])
                #expect(enabled["enabled"] == true)
                #expect(enabled["failing_since"] == .null)
                #expect(enabled["disabled_reason"] == .null)
            }
        }
    }

    @Test func redirectsAreNotFollowed() async throws {
        try await Receiver.run(statuses: [307, 200]) { receiver in
            try await TestServer.run(options: Self.options) { server throws in
                let tenant = try await server.makeTenant()
                let hook = try await Self.subscribe(server, tenant: tenant, url: receiver.url)
                let test = try await server.admin(.post, "/api/v1/webhooks/tenants/\(tenant)/subscriptions/\(hook.id)/test")
                let delivery = try #require(test["delivery_id"]?.stringValue)
                _ = try await receiver.waitFor(count: 2)
                let path = "/api/v1/webhooks/tenants/\(tenant)/subscriptions/\(hook.id)/deliveries/\(delivery)"
                var detail = try await server.admin(.get, path)
                for _ in 0..<100 where detail["state"]?.stringValue != "succeeded" {
                    try await Task.sleep(for: .milliseconds(20))
                    detail = try await server.admin(.get, path)
                }
                #expect(detail["attempts"]?.arrayValue?.compactMap { $0["status_code"]?.intValue } == [307, 200])
                #expect(receiver.redirectsFollowed == 0, "a 307 is a failed attempt, not a new destination")
            }
        }
    }

    @Test func privateTargetsAreRefusedUnlessAllowed() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            for url in ["http://127.0.0.1:9/hook", "http://169.254.169.254/latest", "http://10.0.0.1/", "http://[::1]/",
                        "ftp://example.com/", "http://user:pw@example.com/", "not a url"] {
                let reply = try await server.admin(
                    .post, "/api/v1/webhooks/tenants/\(tenant)/subscriptions", json: ["url": .string(url)])
                #expect(reply.status == 422, "\(url)")
                #expect(reply.json["error"]?["details"]?["fields"]?["url"] != nil)
            }
            let bad = try await server.admin(
                .post, "/api/v1/webhooks/tenants/\(tenant)/subscriptions", json: ["url": "https://example.com/", "event_types": ["nope"]])
            #expect(bad.status == 422)
        }
    }
}

/// A webhook receiver on loopback that records what it gets and answers from a script.
final class Receiver: Sendable {
    struct Message: Sendable {
        let headers: [String: String]
        let body: Data
        var json: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: body)) ?? .null }
    }

    private let state = Mutex<(messages: [Message], statuses: [Int])>(([], []))
    private let followed = Mutex(0)
    var redirectsFollowed: Int { followed.withLock { $0 } }
    let port: Int
    var url: String { "http://127.0.0.1:\(port)/hook" }

    init(port: Int, statuses: [Int]) {
        self.port = port
        state.withLock { $0.statuses = statuses }
    }

    func respond(with statuses: [Int]) { state.withLock { $0.statuses = statuses } }

    var messages: [Message] { state.withLock { $0.messages } }

    func receive(_ message: Message) -> Int {
        state.withLock { state in
            state.messages.append(message)
            return state.statuses.isEmpty ? 200 : state.statuses.removeFirst()
        }
    }

    func waitFor(count: Int, within limit: Duration = .seconds(10)) async throws -> [Message] {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < limit {
            let messages = state.withLock { $0.messages }
            if messages.count >= count { return messages }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("the receiver got \(state.withLock { $0.messages.count }) messages, not \(count)")
    }

    static func run<T: Sendable>(statuses: [Int] = [], _ body: @Sendable (Receiver) async throws -> T) async throws -> T {
        let port = try GatehouseBinary.freePort()
        let receiver = Receiver(port: port, statuses: statuses)
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let body = try await request.body.collect(upTo: 1 << 20)
            let status = receiver.receive(Message(headers: headers, body: Data(buffer: body)))
            var response = Response(status: .init(code: status))
            if (300...399).contains(status) { response.headers[.location] = "http://127.0.0.1:\(port)/elsewhere" }
            return response
        }
        router.post("/elsewhere") { _, _ -> Response in
            receiver.followed.withLock { $0 += 1 }
            return Response(status: .ok)
        }
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical  // its shutdown at the end of each test is not news
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.runService(gracefulShutdownSignals: [])
                return nil
            }
            defer { group.cancelAll() }
            _ = try await GatehouseBinary.waitForPort(port, within: .seconds(5))
            return try await body(receiver)
        }
    }
}
