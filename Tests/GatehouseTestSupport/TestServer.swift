import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseStorage
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore

/// A Gatehouse application on a fresh database, with a bootstrapped platform admin,
/// exercised in-process through HummingbirdTesting.
public struct TestServer: Sendable {
    public let store: Store
    public let environment: ServerEnvironment
    public let adminKey: String
    public let client: any TestClientProtocol
    /// The database this server runs on, for a second node.
    public let databaseURL: DatabaseURL

    public static let masterKey = MasterKey(bytes: Array(repeating: 7, count: 32))

    /// On PostgreSQL, NOTIFY wakes the change follower at once, so polling can be slow;
    /// SQLite has only the poll.
    public static var defaultOptions: ServerOptions {
        ServerOptions(changePollInterval: TestDatabase.postgresURL == nil ? .milliseconds(50) : .milliseconds(500))
    }

    public static func run<T: Sendable>(
        options: ServerOptions = TestServer.defaultOptions,
        logger: Logger = TestDatabase.logger,
        _ body: @Sendable (TestServer) async throws -> T
    ) async throws -> T {
        try await TestDatabase.withDatabaseURL { url in
            try await TestDatabase.withRunning(try await url.openBackend(logger: TestDatabase.logger)) { backend in
                let store = Store(backend: backend)
                try await store.migrator.migrate(logger: TestDatabase.logger)
                guard case .created(let adminKey, _) = try await PlatformAdmin.bootstrap(store: store, force: false) else {
                    fatalError("a fresh database has no admin")
                }
                return try await node(url: url, options: options, logger: logger, store: store, adminKey: adminKey, body)
            }
        }
    }

    /// Another node on the same database as `self`: its own backend, caches and followers.
    public func secondNode<T: Sendable>(
        options: ServerOptions, _ body: @Sendable (TestServer) async throws -> T
    ) async throws -> T {
        let url = databaseURL
        let adminKey = adminKey
        return try await TestDatabase.withRunning(try await url.openBackend(logger: TestDatabase.logger)) { backend in
            try await Self.node(
                url: url, options: options, logger: TestDatabase.logger, store: Store(backend: backend), adminKey: adminKey,
                body)
        }
    }

    static func node<T: Sendable>(
        url: DatabaseURL, options: ServerOptions, logger: Logger, store: Store, adminKey: String,
        _ body: @Sendable (TestServer) async throws -> T
    ) async throws -> T {
        var options = options
        options.passwordHashLogRounds = min(options.passwordHashLogRounds, 10)  // fast hashes in tests
        options.jobPollInterval = min(options.jobPollInterval, .seconds(1))
        options.jobRetryBaseDelay = min(options.jobRetryBaseDelay, .milliseconds(50))
        let environment = ServerEnvironment(store: store, masterKey: masterKey, options: options, logger: logger)
        let app = try await GatehouseApplication.make(environment: environment, logger: logger)
        return try await app.test(.router) { client in
            try await body(
                TestServer(store: store, environment: environment, adminKey: adminKey, client: client, databaseURL: url))
        }
    }

    /// Sends a request; `json` is sent as a JSON body, `raw` as-is.
    @discardableResult
    public func request(
        _ method: HTTPRequest.Method, _ uri: String, key: String? = nil, json: JSONValue? = nil, raw: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> TestReply {
        var headers = extra
        if let key { headers[.authorization] = "Bearer \(key)" }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(data: try JSONEncoder().encode(json))
            if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        } else if let raw {
            body = ByteBuffer(string: raw)
            if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
        return TestReply(response: response)
    }

    /// As the platform admin.
    @discardableResult
    public func admin(
        _ method: HTTPRequest.Method, _ uri: String, json: JSONValue? = nil, raw: String? = nil
    ) async throws -> TestReply {
        try await request(method, uri, key: adminKey, json: json, raw: raw)
    }
}

/// A response with its body parsed when it is JSON.
public struct TestReply: Sendable {
    public let status: Int
    public let headers: HTTPFields
    public let text: String
    public let json: JSONValue

    init(response: TestResponse) {
        status = response.status.code
        headers = response.headers
        text = String(buffer: response.body)
        json = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .null
    }

    /// The `error.code` of an error envelope.
    public var errorCode: String? { json["error"]?["code"]?.stringValue }

    public subscript(key: String) -> JSONValue? { json[key] }
}

extension TestServer {
    /// Waits until this node's credential index knows `secret` (the change follower polls
    /// the feed); fails after five seconds. (Propagation bounds are checked by their own
    /// tests; this only waits for readiness.)
    public func waitUntilIndexed(_ secret: String) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        while clock.now < deadline {
            if environment.index.contains(secret: secret) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestServerError.notIndexed
    }
}

enum TestServerError: Error {
    case notIndexed
    case unexpected(String)
}

extension TestServer {
    /// Creates a tenant as the platform admin; returns its id.
    public func makeTenant(_ name: String = "Acme", settings: JSONValue = [:], partner: String? = nil) async throws -> String {
        var body: [String: JSONValue] = ["name": .string(name), "settings": settings]
        if let partner { body["partner_id"] = .string(partner) }
        let reply = try await admin(.post, "/api/v1/admin/tenants", json: .object(body))
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestServerError.unexpected(reply.text) }
        return id
    }

    /// Creates a key of `tenant` as the platform admin; returns (id, secret), usable at once.
    public func makeKey(
        tenant: String, scopes: [String], extra: [String: JSONValue] = [:], as creator: String? = nil
    ) async throws -> (id: String, secret: String) {
        var body = extra
        body["scopes"] = .array(scopes.map(JSONValue.string))
        let reply = try await request(
            .post, "/api/v1/iam/tenants/\(tenant)/api-keys", key: creator ?? adminKey, json: .object(body))
        guard reply.status == 201, let id = reply["id"]?.stringValue, let secret = reply["key"]?.stringValue else {
            throw TestServerError.unexpected(reply.text)
        }
        try await waitUntilIndexed(secret)
        return (id, secret)
    }

    /// Polls `uri` with `key` until the status is `status`; returns how long it took.
    public func waitForStatus(
        _ status: Int, _ uri: String, key: String, method: HTTPRequest.Method = .get, within limit: Duration = .seconds(2)
    ) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < limit {
            if try await request(method, uri, key: key).status == status { return clock.now - start }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestServerError.unexpected("\(uri) did not answer \(status) within \(limit)")
    }
}

import SQLKit

extension TestServer {
    /// Runs raw SQL on the server's database, behind the server's back (tamper tests).
    public func executeSQL(_ sql: String) async throws {
        try await store.backend.transaction { database in
            try await database.raw("\(unsafeRaw: sql)").run()
        }
    }

    /// The `n` column of a one-row query (`SELECT COUNT(*) AS n …`).
    public func count(_ sql: String) async throws -> Int {
        try await store.backend.read { database in
            try await database.raw("\(unsafeRaw: sql)").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// Every stored audit event, as text, for searching.
    public func allAuditRowsText() async throws -> String {
        try await tableText("audit_events")
    }

    /// Every row of `table`, its columns joined, for searching text (on PostgreSQL numbers
    /// come out as raw bytes: search it, do not parse or count its lines).
    public func tableText(_ table: String) async throws -> String {
        try await store.backend.read { database in
            let rows = try await database.raw("SELECT * FROM \(unsafeRaw: table)").all()
            return try rows.map { row in
                try row.allColumns.map { column in
                    (try? row.decode(column: column, as: String?.self)).flatMap { $0 } ?? ""
                }.joined(separator: "|")
            }.joined(separator: "\n")
        }
    }

    /// Writes the buffered request log, usage counts and failure audit events now.
    public func flushTelemetry() async throws {
        try await environment.telemetry.flush(to: store)
    }
}

extension TestServer {
    /// The stored signing keys as text, to check that no private key is stored in the clear.
    public func allSigningKeyText() async throws -> String {
        try await tableText("signing_keys")
    }
}
