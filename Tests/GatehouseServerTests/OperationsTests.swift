import Foundation
import GatehouseCore
import GatehouseStorage
import GatehouseTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseServer

/// Health, metrics, the OpenAPI document and what the logs may contain.
@Suite struct OperationsTests {
    @Test func healthIsPublicAndReportsOK() async throws {
        try await TestServer.run { server throws in
            for path in ["/health", "/api/v1/health"] {
                let reply = try await server.request(.get, path)
                #expect(reply.status == 200)
                #expect(reply.json == ["status": "ok"])
            }
        }
    }

    @Test func adminHealthDescribesTheDeployment() async throws {
        try await TestServer.run { server throws in
            #expect(try await server.request(.get, "/api/v1/admin/health").status == 401)
            let reply = try await server.admin(.get, "/api/v1/admin/health")
            #expect(reply.status == 200)
            #expect(reply["version"]?.stringValue == GatehouseVersion.current)
            #expect(reply["database"]?["status"] == "ok")
            #expect(reply["database"]?["engine"]?.stringValue == TestDatabase.engineName)
            #expect(reply["database"]?["schema_version"]?.intValue == Schema.latestVersion)
            #expect(reply["uptime_seconds"] != nil)
        }
    }

    /// A database that does not answer makes health 503 `unavailable`.
    @Test func healthIs503WhenTheDatabaseIsGone() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gh-dead-\(UUID()).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let backend = try await SQLiteBackend.open(path: path, logger: TestDatabase.logger)
        await backend.shutdown()
        let environment = ServerEnvironment(store: Store(backend: backend), masterKey: TestServer.masterKey, options: .init(), logger: TestDatabase.logger)
        let app = Application(router: GatehouseApplication.makeRouter(environment: environment, logger: TestDatabase.logger))
        try await app.test(.router) { client in
            let reply = try await client.execute(uri: "/health", method: .get)
            #expect(reply.status == .serviceUnavailable)
            #expect(String(buffer: reply.body).contains("\"unavailable\""))
        }
    }

    /// Many health checks in one second cost the database one probe.
    @Test func theHealthProbeRunsAtMostOncePerSecond() async throws {
        try await TestDatabase.withStore { store throws in
            let probe = HealthProbe(store: store)
            let first = await probe.check()
            for _ in 0..<50 {
                let again = await probe.check()
                #expect(again.latency == first.latency, "a cached result is returned within the second")
            }
        }
    }

    @Test func metricsCountRequestsByRouteAndStatus() async throws {
        try await TestServer.run { server throws in
            _ = try await server.admin(.get, "/api/v1/admin/tenants")
            _ = try await server.request(.get, "/api/v1/admin/tenants")
            let metrics = try await server.request(.get, "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.text.contains(#"gatehouse_http_requests_total{method="GET",route="/api/v1/admin/tenants",status="200"} 1"#))
            #expect(metrics.text.contains(#"gatehouse_http_requests_total{method="GET",route="/api/v1/admin/tenants",status="401"} 1"#))
            #expect(metrics.text.contains("gatehouse_http_request_duration_seconds_bucket"))
        }
    }

    /// The document and the router must list the same operations.
    @Test func openAPIDocumentsEveryRouteAndNothingElse() async throws {
        let environment = try await TestDatabase.withStore { store in
            ServerEnvironment(store: store, masterKey: TestServer.masterKey, options: .init(), logger: TestDatabase.logger)
        }
        let router = GatehouseApplication.makeRouter(environment: environment, logger: TestDatabase.logger)
        let registered = Set(RouteTable(router: router).routes.map { "\($0.method) \($0.template)" })
        let documented = Set(OpenAPIDocument.operations.map { "\($0.method) \($0.path)" })
        #expect(registered.subtracting(documented).isEmpty, "routes missing from openapi.json")
        #expect(documented.subtracting(registered).isEmpty, "documented operations with no route")
    }

    @Test func openAPIDocumentIsServed() async throws {
        try await TestServer.run { server throws in
            let reply = try await server.request(.get, "/openapi.json")
            #expect(reply.status == 200)
            #expect(reply["openapi"] == "3.1.0")
            #expect(reply["paths"]?["/api/v1/admin/tenants/{tenantId}"]?["patch"] != nil)
        }
    }

    /// Credentials in headers or the query string never reach a log line.
    @Test func logsNeverContainCredentials() async throws {
        let capture = LogCapture()
        try await TestServer.run(logger: capture.logger()) { server throws in
            _ = try await server.admin(.get, "/api/v1/admin/tenants")
            _ = try await server.request(.get, "/api/v1/admin/tenants", headers: [.init("X-Api-Key")!: server.adminKey])
            _ = try await server.request(.get, "/api/v1/admin/tenants?bearer_token=\(server.adminKey)")
            _ = try await server.request(.get, "/api/v1/admin/tenants?bearer_token=hunter2-secret")
            #expect(!capture.text.isEmpty)
            #expect(!capture.text.contains(server.adminKey))
            #expect(!capture.text.contains(String(server.adminKey.dropFirst(8).prefix(20))))
            #expect(!capture.text.contains("hunter2-secret"))
        }
    }
}
