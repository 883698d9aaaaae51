import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GatehouseCore
import GatehouseServer
import GatehouseStorage

/// In-process cost of authenticating an API key that the index holds (a cache hit):
/// checksum, SHA-256, lookup, expiry and tenant checks — everything the hot path does
/// before a route runs. Also reports the heap the index holds.
///
///     swift run -c release gatehouse-bench [keys...]    # default: 1000 1000000
///     swift run -c release gatehouse-bench storage DATABASE_URL
///     swift run -c release gatehouse-bench vault DATABASE_URL
@main
struct Bench {
    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "storage", arguments.count == 2 {
            try await StorageBenchmark.run(url: try DatabaseURL(parsing: arguments[1]))
            return
        }
        if arguments.first == "vault", arguments.count == 2 {
            try await VaultBenchmark.run(url: try DatabaseURL(parsing: arguments[1]))
            return
        }
        let sizes = arguments.compactMap(Int.init)
        for size in sizes.isEmpty ? [1_000, 1_000_000] : sizes {
            try VerifyBenchmark.measure(keys: size)
        }
    }
}

enum VerifyBenchmark {

    static func measure(keys count: Int) throws {
        let baseline = heapBytes()
        let index = CredentialIndex()
        let tenants = TenantDirectory()
        let tenantID = ResourceID.generate(.tenant)
        let now = Timestamp.now
        tenants.replaceAll(with: [
            Tenant(id: tenantID, name: "bench", status: .active, partnerID: nil, settings: TenantSettings(),
                   createdAt: now, updatedAt: now)
        ])
        var secrets: [String] = []
        secrets.reserveCapacity(min(count, 10_000))
        var keys: [IndexedKey] = []
        keys.reserveCapacity(count)
        for index in 0..<count {
            let secret = APIKeyFormat.generate(prefix: "gk")
            if index % max(1, count / 10_000) == 0 { secrets.append(secret) }
            let id = ResourceID.generate(.apiKey, now: now)
            let record = APIKeyRecord(
                id: id, tenantID: tenantID, owner: .tenant, ownerID: nil, name: "bench \(index)",
                start: APIKeyFormat.start(of: secret), scopes: ["provisioning:read", "iam:keys.write"],
                createdAt: now, updatedAt: now)
            keys.append((record, [APIKeySecretRecord(hash: APIKeyFormat.hash(secret), keyID: id, expiresAt: nil)]))
        }
        index.replaceAll(with: keys)
        keys = []
        let indexBytes = heapBytes() - baseline - secrets.reduce(0) { $0 + $1.utf8.count + 32 }
        let authenticator = Authenticator(index: index, tenants: tenants)

        let iterations = 2_000_000
        var sink = 0
        for secret in secrets.prefix(1000) { sink &+= try authenticator.authenticate(secret, now: now).scopes.count }
        let clock = ContinuousClock()
        let start = clock.now
        for iteration in 0..<iterations {
            let principal = try authenticator.authenticate(secrets[iteration % secrets.count], now: now)
            sink &+= principal.scopes.count
        }
        let elapsed = clock.now - start
        let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        print(String(
            format: "keys=%d  verify(hit)=%.0f ns/op  (%d iterations, %d distinct secrets)  index RSS≈%.0f MiB (%.0f B/key)  [%d]",
            count, nanoseconds / Double(iterations), iterations, secrets.count, Double(indexBytes) / 1_048_576,
            Double(indexBytes) / Double(count), sink % 10))
    }

    /// Resident bytes after returning freed heap to the system (`malloc_trim`), so memory
    /// freed after the build-up is not counted.
    static func heapBytes() -> Int {
        _ = glibcMallocTrim(0)
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// glibc's `malloc_trim`, which the Glibc module does not export.
@_silgen_name("malloc_trim")
func glibcMallocTrim(_ pad: Int) -> Int32
