import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GatehouseTestSupport
import Testing

/// The real `gatehouse` binary on loopback: zero-config start, bootstrap, a request,
/// and a graceful stop on SIGTERM.
@Suite(.serialized) struct BinaryEndToEndTests {
    @Test func servesHealthBootstrapsAndStopsGracefully() async throws {
        let binary = try GatehouseBinary.locate()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-e2e-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try GatehouseBinary.freePort()

        let bootstrap = try GatehouseBinary.run(binary, ["bootstrap"], in: directory)
        #expect(bootstrap.status == 0)
        let adminKey = try #require(bootstrap.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix("gkadmin_") })
        let again = try GatehouseBinary.run(binary, ["bootstrap"], in: directory)
        #expect(again.status != 0, "a second bootstrap without --force must fail")
        #expect(!again.output.contains("gkadmin_"))

        let server = try GatehouseBinary.start(binary, ["serve", "--port", "\(port)", "--log-format", "json"], in: directory)
        defer { if server.isRunning { server.terminate() } }
        let health = try await GatehouseBinary.waitForHealth(port: port, within: .seconds(20))
        #expect(health == 200)
        let keyFile = directory.appendingPathComponent("gatehouse-data/master.key").path
        let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
        #expect(mode == 0o600, "the generated development master key is private")

        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/admin/tenants")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(adminKey)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"name":"E2E"}"#.utf8)
        let (created, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 201)
        let tenant = try #require(
            (try JSONSerialization.jsonObject(with: created) as? [String: Any])?["id"] as? String)

        var keyRequest = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/iam/tenants/\(tenant)/api-keys")!)
        keyRequest.httpMethod = "POST"
        keyRequest.setValue("Bearer \(adminKey)", forHTTPHeaderField: "Authorization")
        keyRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
        keyRequest.httpBody = Data(#"{"scopes":["provisioning:*"]}"#.utf8)
        let (keyBody, _) = try await URLSession.shared.data(for: keyRequest)
        let tenantKey = try #require((try JSONSerialization.jsonObject(with: keyBody) as? [String: Any])?["key"] as? String)

        // A write, then an immediate stop: its request-log row is still buffered and must be
        // flushed by the graceful shutdown, not lost.
        var write = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/provisioning/tenants/\(tenant)/users/u1")!)
        write.httpMethod = "POST"
        write.setValue("Bearer \(tenantKey)", forHTTPHeaderField: "Authorization")
        write.setValue("application/json", forHTTPHeaderField: "Content-Type")
        write.httpBody = Data(#"{"name":"Ada"}"#.utf8)
        var status = 0
        for _ in 0..<50 where status != 201 {  // until the new key reaches the index
            let (_, written) = try await URLSession.shared.data(for: write)
            status = (written as? HTTPURLResponse)?.statusCode ?? 0
            if status != 201 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(status == 201)

        try await GatehouseBinary.stop(server)
        #expect(server.terminationStatus == 0)

        let restarted = try GatehouseBinary.start(binary, ["serve", "--port", "\(port)"], in: directory)
        defer { if restarted.isRunning { restarted.terminate() } }
        _ = try await GatehouseBinary.waitForHealth(port: port, within: .seconds(20))
        var report = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/reporting/tenants/\(tenant)/requests")!)
        report.setValue("Bearer \(adminKey)", forHTTPHeaderField: "Authorization")
        let (body, _) = try await URLSession.shared.data(for: report)
        let rows = (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["data"] as? [[String: Any]] ?? []
        #expect(rows.contains { $0["method"] as? String == "POST" && $0["status"] as? Int == 201 })
        try await GatehouseBinary.stop(restarted)
    }
}

enum GatehouseBinary {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// `.build/<triple>/debug/gatehouse`, beside the test bundle.
    static func locate() throws -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("gatehouse")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw Failure(description: "the gatehouse binary was not built next to the tests")
    }

    static func freePort() throws -> Int {
        let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func environment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("GATEHOUSE_") { environment[key] = nil }
        return environment
    }

    static func run(_ binary: URL, _ arguments: [String], in directory: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment()
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func start(_ binary: URL, _ arguments: [String], in directory: URL) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// SIGTERM, then waits up to ten seconds for a graceful exit.
    static func stop(_ process: Process) async throws {
        kill(process.processIdentifier, SIGTERM)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while process.isRunning && clock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        guard !process.isRunning else { throw Failure(description: "the server did not stop on SIGTERM") }
    }

    static func waitForHealth(port: Int, within limit: Duration) async throws -> Int {
        try await waitForAnswer(URL(string: "http://127.0.0.1:\(port)/health")!, within: limit)
    }

    /// Waits until something answers HTTP on `port` (any status).
    static func waitForPort(_ port: Int, within limit: Duration) async throws -> Int {
        try await waitForAnswer(URL(string: "http://127.0.0.1:\(port)/")!, within: limit)
    }

    static func waitForAnswer(_ url: URL, within limit: Duration) async throws -> Int {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while clock.now < deadline {
            if let (_, response) = try? await URLSession.shared.data(from: url),
                let status = (response as? HTTPURLResponse)?.statusCode
            {
                return status
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "nothing answered \(url) within \(limit)")
    }
}
