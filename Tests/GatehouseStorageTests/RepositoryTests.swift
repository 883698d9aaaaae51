import Foundation
import GatehouseCore
import GatehouseStorage
import GatehouseTestSupport
import Testing

/// One suite for every backend: `scripts/test` runs it on SQLite and on PostgreSQL.
@Suite("Repositories")
struct RepositoryTests {
    @Test func migrationsAreVersionedAndIdempotent() async throws {
        try await TestDatabase.withStore(migrate: false) { store throws in
            let logger = TestLogger.quiet
            #expect(try await store.migrator.migrate(logger: logger) == Schema.migrations.map(\.version))
            #expect(try await store.migrator.migrate(logger: logger) == [])
            #expect(try await store.migrator.currentVersion() == Schema.latestVersion)
        }
    }

    @Test func tenantRoundTrips() async throws {
        try await TestDatabase.withStore { store throws in
            var tenant = Fixtures.tenant()
            tenant.settings = TenantSettings(keyPrefix: "cm", defaultRateLimit: RateLimit(limit: 5, windowSeconds: 1))
            try await store.tenants.create(tenant, audit: nil)
            let loaded = try #require(try await store.tenants.get(tenant.id))
            #expect(loaded.id == tenant.id)
            #expect(loaded.settings == tenant.settings)
            #expect(Timestamp.milliseconds(loaded.createdAt) == Timestamp.milliseconds(tenant.createdAt))
            #expect(try await store.tenants.get(.generate(.tenant)) == nil)
        }
    }

    @Test func tenantWithUnknownPartnerIsRejectedAndNothingIsWritten() async throws {
        try await TestDatabase.withStore { store throws in
            let tenant = Fixtures.tenant(partner: .generate(.partner))
            await #expect(throws: GatehouseError.invalid("partner_id", "no partner has this id")) {
                try await store.tenants.create(tenant, audit: nil)
            }
            #expect(try await store.tenants.get(tenant.id) == nil)
        }
    }

    @Test func updateAppliesInOneTransactionAndFeedsTheChangeFeed() async throws {
        try await TestDatabase.withStore { store throws in
            let tenant = Fixtures.tenant()
            try await store.tenants.create(tenant, audit: nil)
            let before = try await store.changes.latestSequence()
            let updated = try await store.tenants.update(tenant.id, audit: nil) { $0.status = .suspended }
            #expect(updated?.status == .suspended)
            #expect(try await store.tenants.get(tenant.id)?.status == .suspended)
            let changes = try await store.changes.changes(after: before, limit: 10)
            #expect(changes.map(\.topic) == [.tenant])
            #expect(changes.first?.entityID == tenant.id.rawValue)
        }
    }

    @Test func aThrowingUpdateChangesNothing() async throws {
        try await TestDatabase.withStore { store throws in
            let tenant = Fixtures.tenant()
            try await store.tenants.create(tenant, audit: nil)
            await #expect(throws: GatehouseError.self) {
                try await store.tenants.update(tenant.id, audit: nil) { tenant in
                    tenant.name = "Changed"
                    throw GatehouseError.conflict("no")
                }
            }
            #expect(try await store.tenants.get(tenant.id)?.name == "Acme")
        }
    }

    @Test func deletingATenantRemovesItsKeys() async throws {
        try await TestDatabase.withStore { store throws in
            let tenant = Fixtures.tenant()
            try await store.tenants.create(tenant, audit: nil)
            let (key, secret) = Fixtures.key(tenant: tenant.id)
            try await store.apiKeys.insert(key, secretHash: APIKeyFormat.hash(secret), audit: nil)
            #expect(try await store.tenants.stats(tenant.id) == TenantStats(activeKeys: 1, revokedKeys: 0))
            #expect(try await store.tenants.delete(tenant.id, audit: nil))
            #expect(try await store.tenants.get(tenant.id) == nil)
            #expect(try await store.apiKeys.get(key.id) == nil)
            #expect(try await store.apiKeys.indexedKeys(now: Date()).isEmpty)
            #expect(try await store.tenants.delete(tenant.id, audit: nil) == false)
        }
    }

    @Test func keysetPagesCoverEveryRowOnce() async throws {
        try await TestDatabase.withStore { store throws in
            let start = Date()
            var created: [ResourceID] = []
            for index in 0..<7 {
                let tenant = Fixtures.tenant("T\(index)", at: start.addingTimeInterval(Double(index) / 1000))
                try await store.tenants.create(tenant, audit: nil)
                created.append(tenant.id)
            }
            var seen: [ResourceID] = []
            var page = PageRequest(limit: 3)
            while true {
                let result = try await store.tenants.list(page, filter: TenantFilter())
                #expect(result.total == 7)
                seen += result.items.map(\.id)
                guard let next = result.nextAfter else { break }
                page.position = .after(next)
            }
            #expect(seen == created)
            let offsetPage = try await store.tenants.list(PageRequest(limit: 2, position: .offset(5)), filter: TenantFilter())
            #expect(offsetPage.items.map(\.id) == Array(created[5...]))
            #expect(offsetPage.nextAfter == nil)
        }
    }

    @Test func listFiltersByPartnerAndStatus() async throws {
        try await TestDatabase.withStore { store throws in
            let partner = Fixtures.partner()
            try await store.partners.create(partner, audit: nil)
            let mine = Fixtures.tenant("Mine", partner: partner.id)
            try await store.tenants.create(mine, audit: nil)
            try await store.tenants.create(Fixtures.tenant("Other"), audit: nil)
            let byPartner = try await store.tenants.list(PageRequest(), filter: TenantFilter(partnerID: partner.id))
            #expect(byPartner.items.map(\.id) == [mine.id])
            #expect(byPartner.total == 1)
            _ = try await store.tenants.update(mine.id, audit: nil) { $0.status = .suspended }
            let suspended = try await store.tenants.list(PageRequest(), filter: TenantFilter(status: .suspended))
            #expect(suspended.items.map(\.id) == [mine.id])
            #expect(try await store.partners.tenantCount(partner.id) == 1)
        }
    }

    @Test func aPartnerWithTenantsCannotBeDeleted() async throws {
        try await TestDatabase.withStore { store throws in
            let partner = Fixtures.partner()
            try await store.partners.create(partner, audit: nil)
            let tenant = Fixtures.tenant(partner: partner.id)
            try await store.tenants.create(tenant, audit: nil)
            await #expect(throws: GatehouseError.self) { try await store.partners.delete(partner.id, audit: nil) }
            #expect(try await store.tenants.delete(tenant.id, audit: nil))
            #expect(try await store.partners.delete(partner.id, audit: nil))
            #expect(try await store.partners.get(partner.id) == nil)
        }
    }

    @Test func keysRoundTripAndRevocationHidesThem() async throws {
        try await TestDatabase.withStore { store throws in
            let (key, secret) = Fixtures.key(tenant: nil, owner: .platformAdmin)
            try await store.apiKeys.insert(key, secretHash: APIKeyFormat.hash(secret), audit: nil)
            let loaded = try #require(try await store.apiKeys.get(key.id))
            #expect(loaded.scopes == key.scopes)
            #expect(loaded.metadata == key.metadata)
            #expect(loaded.rateLimit == key.rateLimit)
            let indexed = try #require(try await store.apiKeys.indexedKey(key.id, now: Date()))
            #expect(indexed.secrets.map(\.hash) == [APIKeyFormat.hash(secret)])
            #expect(try await store.apiKeys.countLive(owner: .platformAdmin) == 1)
            #expect(try await store.apiKeys.revokeAll(owner: .platformAdmin, ownerID: nil, at: Date(), audit: nil) == 1)
            let revoked = try #require(try await store.apiKeys.indexedKey(key.id, now: Date()))
            #expect(revoked.key.revokedAt != nil, "revoked keys stay indexed so denials can say so")
            #expect(try await store.apiKeys.countLive(owner: .platformAdmin) == 0)
        }
    }

    @Test func duplicateSecretHashIsAUniqueViolation() async throws {
        try await TestDatabase.withStore { store throws in
            let (first, secret) = Fixtures.key(tenant: nil, owner: .platformAdmin)
            try await store.apiKeys.insert(first, secretHash: APIKeyFormat.hash(secret), audit: nil)
            let (second, _) = Fixtures.key(tenant: nil, owner: .platformAdmin)
            do {
                try await store.apiKeys.insert(second, secretHash: APIKeyFormat.hash(secret), audit: nil)
                Issue.record("a second row with the same hash was accepted")
            } catch {
                #expect(store.backend.isUniqueViolation(error))
            }
            #expect(try await store.apiKeys.get(second.id) == nil, "the failed transaction left a row behind")
        }
    }

    @Test func changeFeedIsOrderedAndPrunable() async throws {
        try await TestDatabase.withStore { store throws in
            let start = try await store.changes.latestSequence()
            for _ in 0..<3 {
                let (key, secret) = Fixtures.key(tenant: nil, owner: .platformAdmin)
                try await store.apiKeys.insert(key, secretHash: APIKeyFormat.hash(secret), audit: nil)
            }
            let changes = try await store.changes.changes(after: start, limit: 10)
            #expect(changes.count == 3)
            #expect(changes.map(\.sequence) == changes.map(\.sequence).sorted())
            #expect(try await store.changes.changes(after: start, limit: 2).count == 2)
            try await store.changes.prune(before: Date().addingTimeInterval(60))
            #expect(try await store.changes.changes(after: start, limit: 10).isEmpty)
        }
    }

    @Test func pingAnswers() async throws {
        try await TestDatabase.withStore { store throws in
            #expect(try await store.ping() < .seconds(5))
        }
    }

    @Test func rotationKeepsAtMostTwoLiveSecrets() async throws {
        try await TestDatabase.withStore { store throws in
            let now = Date()
            let (key, first) = Fixtures.key(tenant: nil, owner: .platformAdmin)
            try await store.apiKeys.insert(key, secretHash: APIKeyFormat.hash(first), audit: nil)
            let grace = now.addingTimeInterval(3600)
            let rotated = try await store.apiKeys.rotate(
                key.id, newHash: "second", newStart: "gk_abcd", graceUntil: grace, now: now, audit: nil)
            #expect(rotated?.start == "gk_abcd")
            _ = try await store.apiKeys.rotate(key.id, newHash: "third", newStart: "gk_efgh", graceUntil: grace, now: now, audit: nil)
            let secrets = try #require(try await store.apiKeys.indexedKey(key.id, now: now)).secrets
            let live = secrets.filter { $0.expiresAt.map { $0 > now } ?? true }
            #expect(Set(live.map(\.hash)) == ["second", "third"])
            #expect(live.first { $0.hash == "third" }?.expiresAt == nil)
        }
    }

    @Test func keyUpdatesAndListsArePerTenant() async throws {
        try await TestDatabase.withStore { store throws in
            let tenant = Fixtures.tenant()
            try await store.tenants.create(tenant, audit: nil)
            let (key, secret) = Fixtures.key(tenant: tenant.id)
            try await store.apiKeys.insert(key, secretHash: APIKeyFormat.hash(secret), audit: nil)
            let (other, otherSecret) = Fixtures.key(tenant: nil, owner: .platformAdmin)
            try await store.apiKeys.insert(other, secretHash: APIKeyFormat.hash(otherSecret), audit: nil)
            let updated = try await store.apiKeys.update(key.id, audit: nil) { $0.scopes = ["iam:read"] }
            #expect(updated?.scopes == ["iam:read"])
            #expect(try await store.apiKeys.get(key.id)?.scopes == ["iam:read"])
            let listed = try await store.apiKeys.list(tenant: tenant.id, page: PageRequest())
            #expect(listed.items.map(\.id) == [key.id])
            let platform = try await store.apiKeys.list(tenant: nil, page: PageRequest())
            #expect(platform.items.map(\.id) == [other.id])
            try await store.apiKeys.recordUse([key.id: Date(timeIntervalSince1970: 1_800_000_000)])
            #expect(try await store.apiKeys.get(key.id)?.lastUsedAt == Date(timeIntervalSince1970: 1_800_000_000))
        }
    }

    @Test func deletingAServiceAccountRevokesItsKeys() async throws {
        try await TestDatabase.withStore { store throws in
            let tenant = Fixtures.tenant()
            try await store.tenants.create(tenant, audit: nil)
            let now = Timestamp.now
            let account = ServiceAccount(
                id: .generate(.serviceAccount), tenantID: tenant.id, name: "ci", description: nil, createdBy: nil,
                createdAt: now, updatedAt: now)
            try await store.serviceAccounts.create(account, audit: nil)
            #expect(try await store.serviceAccounts.get(account.id) == account)
            var (key, secret) = Fixtures.key(tenant: tenant.id, owner: .serviceAccount)
            key.ownerID = account.id.rawValue
            try await store.apiKeys.insert(key, secretHash: APIKeyFormat.hash(secret), audit: nil)
            #expect(try await store.serviceAccounts.list(tenant: tenant.id, page: PageRequest()).total == 1)
            #expect(try await store.serviceAccounts.delete(account.id, at: now, audit: nil))
            #expect(try await store.serviceAccounts.get(account.id) == nil)
            #expect(try await store.apiKeys.get(key.id)?.revokedAt != nil)
        }
    }
}
