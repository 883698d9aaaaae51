import Foundation
import GatehouseCore
import Logging
import SQLKit

/// Everything the server keeps, behind repository protocols, on one backend.
public struct Store: Sendable {
    public let backend: any DatabaseBackend
    public let tenants: any TenantRepository
    public let partners: any PartnerRepository
    public let apiKeys: any APIKeyRepository
    public let serviceAccounts: any ServiceAccountRepository
    public let changes: any ChangeFeed
    public let audit: any AuditLog
    public let reporting: any ReportingRepository
    public let documents: any DocumentRepository
    public let signingKeys: any SigningKeyRepository
    public let oauthClients: any OAuthClientRepository
    public let users: any UserRepository
    public let vault: any VaultRepository
    public let jobs: any JobQueue
    public let keyMaterial: any KeyMaterialRepository
    public let rateLimits: any RateLimitBuckets
    public let metering: any MeteringRepository
    public let webhooks: any WebhookRepository
    public let migrator: Migrator

    public init(backend: any DatabaseBackend) {
        self.backend = backend
        self.tenants = SQLTenantRepository(backend: backend)
        self.partners = SQLPartnerRepository(backend: backend)
        self.apiKeys = SQLAPIKeyRepository(backend: backend)
        self.serviceAccounts = SQLServiceAccountRepository(backend: backend)
        self.changes = SQLChangeFeed(backend: backend)
        self.audit = SQLAuditLog(backend: backend)
        self.reporting = SQLReporting(backend: backend)
        self.documents = SQLDocumentRepository(backend: backend)
        self.signingKeys = SQLSigningKeyRepository(backend: backend)
        self.oauthClients = SQLOAuthClientRepository(backend: backend)
        self.users = SQLUserRepository(backend: backend)
        self.vault = SQLVaultRepository(backend: backend)
        self.jobs = SQLJobQueue(backend: backend)
        self.keyMaterial = SQLKeyMaterial(backend: backend)
        self.rateLimits = SQLRateLimitBuckets(backend: backend)
        self.metering = SQLMetering(backend: backend)
        self.webhooks = SQLWebhookRepository(backend: backend)
        self.migrator = Migrator(backend: backend)
    }

    /// One round trip to the database; throws when it does not answer.
    public func ping() async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        try await backend.read { database in
            _ = try await database.raw("SELECT 1 AS one").first()
        }
        return clock.now - start
    }
}
