import Foundation
import GatehouseCore
import GatehouseStorage
import Logging

/// What route handlers share: storage, the cursor codec, limits and build facts.
public struct ServerEnvironment: Sendable {
    public let store: Store
    public let index: CredentialIndex
    public let tenants: TenantDirectory
    public let usage: KeyUsageRecorder
    public let telemetry: RequestTelemetry
    public let signingKeys: SigningKeyRing
    public let tokens: TokenService
    public let oauth: OAuthState
    public let users: UserDirectory
    public let externalIdentity: ExternalIdentity
    let loginThrottle = LoginThrottle()
    public let cursors: CursorCodec
    public let metrics: HTTPMetrics
    public let options: ServerOptions
    let health: HealthProbe
    let startedAt: Date
    /// Wraps and unwraps tenants' vault data keys.
    public let dataKeys: DataKeyWrapper
    let masterKey: MasterKey
    /// This process, as named in job leases.
    let nodeID: String
    let jobWakeup = Wakeup()
    let webhookWakeup = Wakeup()
    let rateLimiter: RateLimiter
    let deploymentStatus = DeploymentStatus()

    public init(store: Store, masterKey: MasterKey, options: ServerOptions, logger: Logger) {
        self.store = store
        self.index = CredentialIndex()
        self.tenants = TenantDirectory()
        self.usage = KeyUsageRecorder()
        self.telemetry = RequestTelemetry(sampleRate: options.requestLogSampleRate)
        self.signingKeys = SigningKeyRing(masterKey: masterKey, longestTokenLifetime: options.sessionTTL)
        self.oauth = OAuthState()
        self.users = UserDirectory()
        self.externalIdentity = ExternalIdentity(providers: options.identityProviders, tenants: tenants, users: users)
        self.tokens = TokenService(
            ring: signingKeys, index: index, authenticator: Authenticator(index: index, tenants: tenants), oauth: oauth,
            tenants: tenants, users: users, issuer: options.issuer, masterKey: masterKey,
            cacheLimit: options.tokenCacheLimit)
        self.cursors = CursorCodec(key: masterKey.derive(purpose: "cursor"))
        self.metrics = HTTPMetrics()
        self.options = options
        self.health = HealthProbe(store: store)
        self.startedAt = Date()
        self.rateLimiter = RateLimiter(
            mode: options.rateLimitMode, buckets: store.rateLimits, failureModes: options.rateLimitFailureModes)
        self.dataKeys = DataKeyWrapper(masterKey: masterKey)
        self.masterKey = masterKey
        self.nodeID = (ProcessInfo.processInfo.hostName.prefix(40)) + "-" + UUID().uuidString.prefix(8).lowercased()
    }

    var authenticator: Authenticator { Authenticator(index: index, tenants: tenants) }
}

/// Tunables of the HTTP server.
public struct ServerOptions: Sendable {
    public var host: String
    public var port: Int
    /// Largest accepted JSON body.
    public var maxBodyBytes: Int
    /// How often the change feed is polled (PostgreSQL NOTIFY wakes it sooner).
    public var changePollInterval: Duration
    /// How often the whole credential index is rebuilt, as a safety net.
    public var fullResyncInterval: Duration
    /// How often `last_used_at`, the request log, usage counts and failure audit events are written.
    public var usageFlushInterval: Duration
    /// The share of requests written to the request log (1 = all).
    public var requestLogSampleRate: Double
    /// Documents keep this many earlier versions.
    public var revisionsKept: Int
    /// Audit events older than this are purged; `nil` keeps them forever.
    public var auditRetention: Duration?
    /// The public base URL: `iss` of tokens and the audience this API accepts.
    public var issuer: String
    /// The algorithm of new signing keys.
    public var signingAlgorithm: SigningKeyRing.Algorithm
    /// Lifetime of a session's access token (seed 001: 24 h) and of its refresh token.
    public var sessionTTL: Int = 86_400
    public var refreshTTL: Int = 30 * 86_400
    /// The scrypt cost of password hashes (log2 N); tests lower it.
    public var passwordHashLogRounds: Int = 15
    /// Trusted external issuers whose JWTs are accepted.
    public var identityProviders: [IdentityProvider] = []
    /// Verified tokens kept in memory until they expire (0 turns the cache off).
    public var tokenCacheLimit: Int = 100_000
    /// Whether this node runs jobs and sends webhook deliveries (every node can enqueue).
    public var runsJobs = true
    /// How often the job queue is polled for due jobs when nothing wakes the runner.
    public var jobPollInterval: Duration = .seconds(1)
    /// How long a claimed job stays with its node without a renewal.
    public var jobLease: Duration = .seconds(30)
    /// The first retry delay of a failed job (doubling after each attempt, jittered).
    public var jobRetryBaseDelay: Duration = .seconds(2)
    /// How often periodic jobs are enqueued.
    public var jobScheduleInterval: Duration = .seconds(3600)
    /// `local`: rate-limit state in this process (one node); `cluster`: shared through the
    /// database, leased in batches (several nodes).
    public var rateLimitMode: RateLimiter.Mode = .local
    /// The budget of each client address on the unauthenticated auth endpoints.
    public var addressRateLimit: RateLimit? = RateLimit(limit: 60, windowSeconds: 60)
    /// Cluster mode, database unreachable: protection limits fall back to this node's own
    /// buckets (open), quotas refuse (closed).
    public var rateLimitFailureModes: [RateLimitPolicy.Kind: RateLimiter.FailureMode] = [
        .key: .open, .ip: .open, .tenant: .closed,
    ]
    /// Whether webhooks may target private, loopback and link-local addresses.
    public var webhookAllowPrivateTargets = false
    /// How long a delivery attempt may take.
    public var webhookTimeout: Duration = .seconds(10)
    /// The first retry delay of a failed delivery (doubling, jittered, capped at 10 min).
    public var webhookRetryBaseDelay: Duration = .seconds(5)
    /// Attempts per delivery before it is marked failed.
    public var webhookMaxAttempts = 12
    /// A subscription whose deliveries have all failed for this long is disabled.
    public var webhookDisableAfter: Duration = .seconds(3 * 86_400)
    /// How often the outbox is polled when nothing wakes the dispatcher.
    public var webhookPollInterval: Duration = .seconds(1)
    /// Credentials re-sealed per transaction by the DEK rotation job.
    public var reencryptionBatchSize = 500

    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 2 * 1024 * 1024,
        changePollInterval: Duration = .milliseconds(500), fullResyncInterval: Duration = .seconds(300),
        usageFlushInterval: Duration = .seconds(1), requestLogSampleRate: Double = 1, revisionsKept: Int = 20,
        auditRetention: Duration? = nil, issuer: String? = nil, signingAlgorithm: SigningKeyRing.Algorithm = .eddsa
    ) {
        self.issuer = issuer ?? "http://\(host):\(port)"
        self.signingAlgorithm = signingAlgorithm
        self.usageFlushInterval = usageFlushInterval
        self.requestLogSampleRate = requestLogSampleRate
        self.revisionsKept = revisionsKept
        self.auditRetention = auditRetention
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.changePollInterval = changePollInterval
        self.fullResyncInterval = fullResyncInterval
    }
}

public enum GatehouseVersion {
    public static let current = "0.1.0"
}

/// The master key does not match the one that sealed this database's data.
public struct MasterKeyMismatch: Error, CustomStringConvertible {
    public let expected: String
    public let given: String
    public var description: String {
        "This database's data is sealed by master key \(expected), but the server was given key \(given). "
            + "After `gatehouse master-key rotate`, start with the new key only."
    }
}

extension ServerEnvironment {
    /// Refuses to start with a master key other than the one that sealed the data.
    func verifyMasterKey(logger: Logger) async throws {
        switch try await store.keyMaterial.verify(masterKey) {
        case .matches: break
        case .recorded: logger.info("Recorded the master key check", metadata: ["fingerprint": "\(masterKey.fingerprint)"])
        case .mismatch(let stored): throw MasterKeyMismatch(expected: stored, given: masterKey.fingerprint)
        }
    }
}

extension ServerEnvironment {
    /// The request's tenant, which must exist (the directory knows it, else the database).
    func existingTenant(of context: GatehouseContext) async throws -> ResourceID {
        let tenantID = try context.requireTenant()
        if tenants.entry(tenantID) != nil { return tenantID }
        guard try await store.tenants.get(tenantID) != nil else { throw GatehouseError.notFound("No tenant has this id.") }
        return tenantID
    }
}
