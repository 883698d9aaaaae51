import Crypto
import Foundation
import GatehouseCore
import SQLKit

/// A credential with its secret fields opened.
public struct RevealedCredential: Sendable, Equatable {
    public var credential: VaultCredential
    public var data: JSONValue
}

/// The vault's stored state: credentials sealed under per-tenant data keys.
///
/// Secrets cross this boundary only as plaintext JSON in (to seal inside the write's
/// transaction, with the tenant's newest key) and out of `reveal`; nothing else returns
/// them. Data keys are stored wrapped by `DataKeyWrapper`.
public protocol VaultRepository: Sendable {
    /// Seals each credential's `data` with its tenant's newest data key (created on first
    /// use) and inserts them, with `audit`, in one transaction.
    func create(
        _ items: [(credential: VaultCredential, data: JSONValue)], keys: DataKeyWrapper, audit: [AuditEvent]
    ) async throws -> [VaultCredential]
    func get(_ id: ResourceID) async throws -> VaultCredential?
    func list(tenant: ResourceID, integrationID: String?, page: PageRequest) async throws -> Page<VaultCredential>
    /// The tenant's credentials of `integrationID` (or just `credentialID`), opened.
    func reveal(
        tenant: ResourceID, integrationID: String, credentialID: ResourceID?, keys: DataKeyWrapper
    ) async throws -> [RevealedCredential]
    /// Applies `change` in one transaction; a non-nil `data` is sealed anew with the newest key.
    func update(
        _ id: ResourceID, data: JSONValue?, keys: DataKeyWrapper, audit: AuditEvent?,
        _ change: @Sendable (inout VaultCredential) throws -> Void
    ) async throws -> VaultCredential?
    func delete(_ id: ResourceID, audit: AuditEvent?) async throws -> Bool
    /// Adds a data key version for each tenant (every tenant with a key when `tenant` is
    /// nil) and enqueues its re-encryption job, in one transaction.
    func rotateKeys(
        tenant: ResourceID?, keys: DataKeyWrapper, job: @Sendable (ResourceID, Int) -> Job, audit: AuditEvent?
    ) async throws -> [DataKeyRotation]
    /// Re-seals up to `limit` credentials still on older keys (ids after `after`) with the
    /// newest one.
    func reencrypt(tenant: ResourceID, after: ResourceID?, limit: Int, keys: DataKeyWrapper) async throws -> ReencryptionBatch
    /// Retires (destroys) older key versions no credential uses any more.
    func retireUnusedKeys(tenant: ResourceID, at: Date) async throws -> DataKeyRetirement
    /// Deletes credentials that expired before `date`; returns how many.
    func deleteExpired(before date: Date) async throws -> Int
    func status() async throws -> VaultStatus
}

public struct DataKeyRotation: Sendable, Equatable {
    public var tenantID: ResourceID
    public var version: Int
    public var jobID: ResourceID
}

public struct ReencryptionBatch: Sendable, Equatable {
    /// Credentials re-sealed under the newest key.
    public var reencrypted = 0
    /// Credentials changed concurrently (their compare-and-set lost): picked up again.
    public var raced = 0
    /// Credentials on older keys this batch saw.
    public var found = 0
    /// Credentials whose ciphertext does not open (altered or moved): left as they are.
    public var unreadable: [ResourceID] = []
    /// The last id seen: where the next batch starts.
    public var last: ResourceID?

    public init(reencrypted: Int = 0, raced: Int = 0, found: Int = 0) {
        self.reencrypted = reencrypted
        self.raced = raced
        self.found = found
    }
}

public struct DataKeyRetirement: Sendable, Equatable {
    public var retired: [Int] = []
    /// Older versions still holding credentials.
    public var stillInUse: [Int] = []

    public init() {}
}

public struct VaultStatus: Sendable, Equatable {
    public var credentials = 0
    /// Credentials sealed with a key older than their tenant's newest: re-encryption pending.
    public var onOlderKeys = 0
    public var liveKeyVersions = 0
    public var tenantsWithKeys = 0

    public init() {}
}

struct SQLVaultRepository: VaultRepository {
    let backend: any DatabaseBackend

    func create(
        _ items: [(credential: VaultCredential, data: JSONValue)], keys: DataKeyWrapper, audit: [AuditEvent]
    ) async throws -> [VaultCredential] {
        guard let tenantID = items.first?.credential.tenantID else { return [] }
        precondition(items.allSatisfy { $0.credential.tenantID == tenantID }, "one tenant per batch")
        return try await backend.transaction { database in
            let key = try await activeKey(tenant: tenantID, keys: keys, on: database)
            var stored: [VaultCredential] = []
            for (credential, data) in items {
                let sealed = try Self.seal(data, for: credential, with: key)
                try await database.raw("""
                    INSERT INTO vault_credentials (id, tenant_id, integration_id, name, auth_type, metadata, ciphertext,
                        dek_version, revision, expires_at, created_by, created_at, updated_at)
                    VALUES (\(bind: sealed.id.rawValue), \(bind: tenantID.rawValue), \(bind: sealed.integrationID),
                        \(bind: sealed.name), \(bind: sealed.authType.rawValue), \(bind: SQLColumn.json(sealed.metadata)),
                        \(bind: sealed.sealed.base64EncodedString()), \(bind: sealed.dekVersion), \(bind: sealed.revision),
                        \(bind: SQLColumn.millis(sealed.expiresAt)), \(bind: sealed.createdBy),
                        \(bind: SQLColumn.millis(sealed.createdAt)), \(bind: SQLColumn.millis(sealed.updatedAt)))
                    """).run()
                stored.append(sealed)
            }
            try await SQLAuditLog.append(audit, on: database, engine: backend.engine)
            return stored
        }
    }

    func get(_ id: ResourceID) async throws -> VaultCredential? {
        try await backend.read { database in
            try await database.raw("SELECT * FROM vault_credentials WHERE id = \(bind: id.rawValue)").first()
                .map(Self.credential)
        }
    }

    func list(tenant: ResourceID, integrationID: String?, page: PageRequest) async throws -> Page<VaultCredential> {
        var condition: SQLQueryString = " WHERE tenant_id = \(bind: tenant.rawValue)"
        if let integrationID { condition = condition + " AND integration_id = \(bind: integrationID)" }
        let query = PagedQuery(page: page)
        return try await backend.read { database in
            try await query.run("vault_credentials", where: condition, on: database, decode: Self.credential, id: \.id.rawValue)
        }
    }

    func reveal(
        tenant: ResourceID, integrationID: String, credentialID: ResourceID?, keys: DataKeyWrapper
    ) async throws -> [RevealedCredential] {
        var condition: SQLQueryString = """
             WHERE c.tenant_id = \(bind: tenant.rawValue) AND c.integration_id = \(bind: integrationID)
            """
        if let credentialID { condition = condition + " AND c.id = \(bind: credentialID.rawValue)" }
        // One statement reads each credential with the key that sealed it: a key is retired
        // only once no credential uses it, so the pair is always consistent.
        let rows = try await backend.read { database in
            try await database.raw("""
                SELECT c.*, k.wrapped_key FROM vault_credentials c
                JOIN vault_keys k ON k.tenant_id = c.tenant_id AND k.version = c.dek_version
                """ + condition + " ORDER BY c.id LIMIT 1000").all()
        }
        return try rows.map { row in
            let credential = try Self.credential(row)
            guard let wrapped = try row.optionalString("wrapped_key") else { throw VaultError.keyDestroyed }
            let dek = try keys.unwrap(wrapped, tenantID: tenant.rawValue, version: credential.dekVersion)
            return RevealedCredential(credential: credential, data: try Self.open(credential, with: dek))
        }
    }

    func update(
        _ id: ResourceID, data: JSONValue?, keys: DataKeyWrapper, audit: AuditEvent?,
        _ change: @Sendable (inout VaultCredential) throws -> Void
    ) async throws -> VaultCredential? {
        try await backend.transaction { database in
            guard
                var credential = try await database.raw(
                    "SELECT * FROM vault_credentials WHERE id = \(bind: id.rawValue)\(unsafeRaw: backend.forUpdate)"
                ).first().map(Self.credential)
            else { return nil }
            try change(&credential)
            if let data {
                credential = try Self.seal(
                    data, for: credential, with: try await activeKey(tenant: credential.tenantID, keys: keys, on: database))
            }
            credential.revision += 1
            try await database.raw("""
                UPDATE vault_credentials SET name = \(bind: credential.name), auth_type = \(bind: credential.authType.rawValue),
                    metadata = \(bind: SQLColumn.json(credential.metadata)),
                    ciphertext = \(bind: credential.sealed.base64EncodedString()), dek_version = \(bind: credential.dekVersion),
                    revision = \(bind: credential.revision), expires_at = \(bind: SQLColumn.millis(credential.expiresAt)),
                    updated_at = \(bind: SQLColumn.millis(credential.updatedAt))
                WHERE id = \(bind: id.rawValue)
                """).run()
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return credential
        }
    }

    func delete(_ id: ResourceID, audit: AuditEvent?) async throws -> Bool {
        try await backend.transaction { database in
            let deleted = try await database.raw(
                "DELETE FROM vault_credentials WHERE id = \(bind: id.rawValue) RETURNING id"
            ).all()
            guard !deleted.isEmpty else { return false }
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return true
        }
    }

    func deleteExpired(before date: Date) async throws -> Int {
        try await backend.transaction { database in
            try await database.raw("""
                DELETE FROM vault_credentials WHERE expires_at IS NOT NULL AND expires_at < \(bind: SQLColumn.millis(date))
                RETURNING id
                """).all().count
        }
    }

    func status() async throws -> VaultStatus {
        try await backend.read { database in
            var status = VaultStatus()
            status.credentials = try await database.raw("SELECT COUNT(*) AS n FROM vault_credentials").first()?.int("n") ?? 0
            status.onOlderKeys = try await database.raw("""
                SELECT COUNT(*) AS n FROM vault_credentials c
                WHERE c.dek_version < (SELECT MAX(version) FROM vault_keys k WHERE k.tenant_id = c.tenant_id)
                """).first()?.int("n") ?? 0
            let keys = try await database.raw("""
                SELECT COUNT(*) AS n, COUNT(DISTINCT tenant_id) AS t FROM vault_keys WHERE retired_at IS NULL
                """).first()
            status.liveKeyVersions = try keys?.int("n") ?? 0
            status.tenantsWithKeys = try keys?.int("t") ?? 0
            return status
        }
    }

    static func credential(_ row: any SQLRow) throws -> VaultCredential {
        guard let authType = CredentialAuthType(rawValue: try row.string("auth_type")),
            let sealed = Data(base64Encoded: try row.string("ciphertext"))
        else { throw StorageError.corrupt("vault_credentials") }
        return VaultCredential(
            id: try row.id("id", .credential), tenantID: try row.id("tenant_id", .tenant),
            integrationID: try row.string("integration_id"), name: try row.string("name"), authType: authType,
            metadata: try row.json("metadata", as: JSONValue.self), expiresAt: try row.optionalDate("expires_at"),
            createdBy: try row.optionalString("created_by"), createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"), sealed: sealed, dekVersion: try row.int("dek_version"),
            revision: try row.decode(column: "revision", as: Int64.self))
    }
}

/// Why a stored credential cannot be opened.
public enum VaultError: Error, CustomStringConvertible {
    /// The credential's ciphertext does not open under its key and binding: it was altered
    /// or moved from another row.
    case tampered(ResourceID)
    /// A credential references a key version that was destroyed (must never happen).
    case keyDestroyed
    /// Concurrent key changes kept colliding.
    case contention

    public var description: String {
        switch self {
        case .tampered(let id): "The sealed secret of \(id) does not authenticate (altered or moved)."
        case .keyDestroyed: "A credential references a destroyed data key."
        case .contention: "Concurrent changes to the tenant's data keys kept colliding; retry."
        }
    }
}
