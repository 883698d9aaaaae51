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

    public static let masterKey = MasterKey(bytes: Array(repeating: 7, count: 32))

    public static func run<T: Sendable>(
        options: ServerOptions = ServerOptions(changePollInterval: .milliseconds(50)),
        logger: Logger = TestDatabase.logger,
        _ body: @Sendable (TestServer) async throws -> T
    ) async throws -> T {
        try await TestDatabase.withStore { store in
            guard case .created(let adminKey, _) = try await PlatformAdmin.bootstrap(store: store, force: false) else {
                fatalError("a fresh database has no admin")
            }
            let environment = ServerEnvironment(store: store, masterKey: masterKey, options: options, logger: logger)
            let app = try await GatehouseApplication.make(environment: environment, logger: logger)
            return try await app.test(.router) { client in
                try await body(TestServer(store: store, environment: environment, adminKey: adminKey, client: client))
            }
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

extension JSONValue {
    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }

    public var intValue: Int? {
        if case .int(let int) = self { return Int(int) }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let array) = self { return array }
        return nil
    }
}

extension TestServer {
    /// Waits until this node's credential index knows `secret` (the change follower polls
    /// the feed); fails after two seconds.
    public func waitUntilIndexed(_ secret: String) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(2)
        while clock.now < deadline {
            if try await request(.get, "/api/v1/admin/health", key: secret).status != 401 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestServerError.notIndexed
    }
}

enum TestServerError: Error {
    case notIndexed
}
