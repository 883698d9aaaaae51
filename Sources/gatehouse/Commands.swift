import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseStorage
import Hummingbird
import Logging
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (the default command).")

    @OptionGroup var common: CommonOptions

    @Option(help: "Address to listen on. Env: GATEHOUSE_HOST.")
    var host: String?

    @Option(help: "Port to listen on. Env: GATEHOUSE_PORT.")
    var port: Int?

    @Option(help: "Purge audit events older than this many days. Env: GATEHOUSE_AUDIT_RETENTION_DAYS. Default: keep.")
    var auditRetentionDays: Int?

    @Option(help: "Share of requests kept in the request log, 0 to 1. Env: GATEHOUSE_REQUEST_LOG_SAMPLE_RATE.")
    var requestLogSampleRate: Double?

    @Option(help: "Earlier versions kept per document. Env: GATEHOUSE_REVISIONS_KEPT.")
    var revisionsKept: Int?

    @Option(help: "Public base URL: the issuer of tokens. Env: GATEHOUSE_ISSUER. Default: http://HOST:PORT.")
    var issuer: String?

    @Option(help: "Algorithm of new signing keys: EdDSA or ES256. Env: GATEHOUSE_SIGNING_ALGORITHM.")
    var signingAlgorithm: String?

    @Option(help: "JSON file listing trusted identity providers. Env: GATEHOUSE_IDENTITY_PROVIDERS.")
    var identityProviders: String?

    @Option(help: "Verified tokens kept in memory (0 disables the cache). Env: GATEHOUSE_TOKEN_CACHE_SIZE.")
    var tokenCacheSize: Int?

    @Flag(help: "Do not run queued jobs or send webhooks on this node (it still enqueues them). Env: GATEHOUSE_RUN_JOBS=false.")
    var noJobs = false

    @Option(help: "Rate-limit state: local (one node) or cluster (shared through PostgreSQL). Env: GATEHOUSE_RATE_LIMIT_MODE.")
    var rateLimitMode: String?

    @Option(help: "Budget per client address on login/register/refresh/oauth token, LIMIT/SECONDS or off. Env: GATEHOUSE_ADDRESS_RATE_LIMIT.")
    var addressRateLimit: String?

    @Option(help: "Cluster mode, database unreachable: e.g. key=open,ip=open,tenant=closed. Env: GATEHOUSE_RATE_LIMIT_FAILURE.")
    var rateLimitFailure: String?

    @Flag(help: "Let webhooks target private, loopback and link-local addresses. Env: GATEHOUSE_WEBHOOK_ALLOW_PRIVATE_TARGETS=true.")
    var webhookAllowPrivateTargets = false

    @Option(help: "First retry delay of a failed webhook delivery, seconds (doubling). Env: GATEHOUSE_WEBHOOK_RETRY_BASE_SECONDS.")
    var webhookRetryBaseSeconds: Double?

    @Option(help: "Disable a subscription whose deliveries all fail for this many hours. Env: GATEHOUSE_WEBHOOK_DISABLE_AFTER_HOURS.")
    var webhookDisableAfterHours: Double?

    @Option(help: "Time limit of one webhook delivery, seconds (default 10). Env: GATEHOUSE_WEBHOOK_TIMEOUT_SECONDS.")
    var webhookTimeoutSeconds: Int?

    func run() async throws {
        let logger = try common.makeLogger()
        let masterKey = try MasterKeySource.load(options: common, logger: logger)
        let url = try common.databaseURL()
        var options = ServerOptions()
        options.host = try common.setting(host, env: "GATEHOUSE_HOST", key: "host", default: "127.0.0.1")!
        let portText = try common.setting(port.map(String.init), env: "GATEHOUSE_PORT", key: "port", default: "8080")!
        guard let resolvedPort = Int(portText), (0...65535).contains(resolvedPort) else {
            throw ValidationError("Invalid port \(portText).")
        }
        options.port = resolvedPort
        if let days = try common.setting(
            auditRetentionDays.map(String.init), env: "GATEHOUSE_AUDIT_RETENTION_DAYS", key: "audit_retention_days")
        {
            guard let value = Int(days), value > 0 else { throw ValidationError("Invalid audit retention \(days).") }
            options.auditRetention = .seconds(value * 86_400)
        }
        if let rate = try common.setting(
            requestLogSampleRate.map { String($0) }, env: "GATEHOUSE_REQUEST_LOG_SAMPLE_RATE", key: "request_log_sample_rate")
        {
            guard let value = Double(rate), (0...1).contains(value) else { throw ValidationError("Invalid sample rate \(rate).") }
            options.requestLogSampleRate = value
        }
        options.issuer = try common.setting(issuer, env: "GATEHOUSE_ISSUER", key: "issuer")
            ?? "http://\(options.host):\(options.port)"
        if let algorithm = try common.setting(signingAlgorithm, env: "GATEHOUSE_SIGNING_ALGORITHM", key: "signing_algorithm") {
            guard let parsed = SigningKeyRing.Algorithm(rawValue: algorithm) else {
                throw ValidationError("Unknown signing algorithm \(algorithm); use EdDSA or ES256.")
            }
            options.signingAlgorithm = parsed
        }
        if let file = try common.setting(identityProviders, env: "GATEHOUSE_IDENTITY_PROVIDERS", key: "identity_providers") {
            options.identityProviders = try JSONDecoder().decode(
                [IdentityProvider].self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        }
        if let size = try common.setting(tokenCacheSize.map(String.init), env: "GATEHOUSE_TOKEN_CACHE_SIZE", key: "token_cache_size") {
            guard let value = Int(size), value >= 0 else { throw ValidationError("Invalid token cache size \(size).") }
            options.tokenCacheLimit = value
        }
        if let kept = try common.setting(revisionsKept.map(String.init), env: "GATEHOUSE_REVISIONS_KEPT", key: "revisions_kept") {
            guard let value = Int(kept), (0...10_000).contains(value) else { throw ValidationError("Invalid revisions \(kept).") }
            options.revisionsKept = value
        }
        let runJobs = try common.setting(noJobs ? "false" : nil, env: "GATEHOUSE_RUN_JOBS", key: "run_jobs", default: "true")!
        switch runJobs.lowercased() {
        case "true", "1", "yes": options.runsJobs = true
        case "false", "0", "no": options.runsJobs = false
        default: throw ValidationError("Invalid run_jobs \(runJobs); use true or false.")
        }
        try applyRateLimitSettings(to: &options)
        try applyWebhookSettings(to: &options)
        logger.info("Starting Gatehouse", metadata: ["database": "\(url)", "version": "\(GatehouseVersion.current)"])

        let backend = try await url.openBackend(logger: logger)
        let store = Store(backend: backend)
        let environment = ServerEnvironment(store: store, masterKey: masterKey, options: options, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The pool must run while migrations and the index warm-up talk to the database.
            group.addTask { try await BackendService(backend: backend).run() }
            try await store.migrator.migrate(logger: logger)
            let app = try await GatehouseApplication.make(environment: environment, logger: logger)
            try await app.runService()
            group.cancelAll()
        }
    }
}

extension Serve {
    func applyRateLimitSettings(to options: inout ServerOptions) throws {
        if let mode = try common.setting(rateLimitMode, env: "GATEHOUSE_RATE_LIMIT_MODE", key: "rate_limit_mode") {
            guard let parsed = RateLimiter.Mode(rawValue: mode) else {
                throw ValidationError("Unknown rate limit mode \(mode); use local or cluster.")
            }
            options.rateLimitMode = parsed
        }
        if let text = try common.setting(addressRateLimit, env: "GATEHOUSE_ADDRESS_RATE_LIMIT", key: "address_rate_limit") {
            if text == "off" {
                options.addressRateLimit = nil
            } else {
                let parts = text.split(separator: "/").compactMap { Int($0) }
                let limit = parts.count == 2 ? RateLimit(limit: parts[0], windowSeconds: parts[1]) : nil
                guard let limit, (try? limit.validate(field: "address_rate_limit")) != nil else {
                    throw ValidationError("Invalid address rate limit \(text); use LIMIT/SECONDS, e.g. 60/60, or off.")
                }
                options.addressRateLimit = limit
            }
        }
        if let text = try common.setting(rateLimitFailure, env: "GATEHOUSE_RATE_LIMIT_FAILURE", key: "rate_limit_failure") {
            for pair in text.split(separator: ",") {
                let parts = pair.split(separator: "=").map(String.init)
                guard parts.count == 2, let kind = RateLimitPolicy.Kind(rawValue: parts[0]),
                    let mode = RateLimiter.FailureMode(rawValue: parts[1])
                else { throw ValidationError("Invalid rate limit failure setting \(pair); use KIND=open|closed.") }
                options.rateLimitFailureModes[kind] = mode
            }
        }
    }
}

extension Serve {
    func applyWebhookSettings(to options: inout ServerOptions) throws {
        let allow = try common.setting(
            webhookAllowPrivateTargets ? "true" : nil, env: "GATEHOUSE_WEBHOOK_ALLOW_PRIVATE_TARGETS",
            key: "webhook_allow_private_targets", default: "false")!
        options.webhookAllowPrivateTargets = ["true", "1", "yes"].contains(allow.lowercased())
        if let text = try common.setting(
            webhookRetryBaseSeconds.map { String($0) }, env: "GATEHOUSE_WEBHOOK_RETRY_BASE_SECONDS", key: "webhook_retry_base_seconds")
        {
            guard let value = Double(text), value >= 0.01, value <= 3600 else { throw ValidationError("Invalid webhook retry base \(text).") }
            options.webhookRetryBaseDelay = .milliseconds(Int64(value * 1000))
        }
        if let text = try common.setting(
            webhookTimeoutSeconds.map(String.init), env: "GATEHOUSE_WEBHOOK_TIMEOUT_SECONDS", key: "webhook_timeout_seconds")
        {
            guard let value = Int(text), (1...300).contains(value) else { throw ValidationError("Invalid webhook timeout \(text).") }
            options.webhookTimeout = .seconds(value)
        }
        if let text = try common.setting(
            webhookDisableAfterHours.map { String($0) }, env: "GATEHOUSE_WEBHOOK_DISABLE_AFTER_HOURS",
            key: "webhook_disable_after_hours")
        {
            guard let value = Double(text), value > 0, value <= 24 * 365 else {
                throw ValidationError("Invalid webhook disable time \(text); 0 to 8760 hours.")
            }
            options.webhookDisableAfter = .milliseconds(Int64(value * 3_600_000))
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations and exit.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let logger = try common.makeLogger()
        let applied = try await StoreRuntime.withStore(try common.databaseURL(), logger: logger) { store in
            try await store.migrator.migrate(logger: logger)
        }
        print(applied.isEmpty ? "The schema is up to date (version \(Schema.latestVersion))." :
            "Applied migrations \(applied.map(String.init).joined(separator: ", ")).")
    }
}

struct Bootstrap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the platform admin credential and print it once.",
        discussion: """
            Only the SHA-256 of the credential is stored: copy it now. Running bootstrap again refuses \
            while an admin credential exists; --force revokes the existing one(s) and issues a new one.
            """)

    @OptionGroup var common: CommonOptions

    @Flag(help: "Revoke the existing platform admin credential(s) and issue a new one.")
    var force = false

    func run() async throws {
        let logger = try common.makeLogger()
        let force = self.force
        let outcome = try await StoreRuntime.withStore(try common.databaseURL(), logger: logger) { store in
            try await store.migrator.migrate(logger: logger)
            return try await PlatformAdmin.bootstrap(store: store, force: force)
        }
        switch outcome {
        case .refused(let existing):
            FileHandle.standardError.write(Data("""
                A platform admin credential already exists (\(existing) live). Nothing was created.
                Run `gatehouse bootstrap --force` to revoke it and issue a new one.

                """.utf8))
            throw ExitCode(1)
        case .created(let secret, let revoked):
            if revoked > 0 { print("Revoked \(revoked) previous platform admin credential(s).") }
            print("""
                Platform admin credential (shown once; only its hash is stored):

                    \(secret)

                Use it as: Authorization: Bearer <credential>
                """)
        }
    }
}
