/// Every migration, in order. Append; never edit one that has shipped.
public enum Schema {
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "tenants, partners, credentials, change feed", statements: [
            """
            CREATE TABLE partners (
                id {id} PRIMARY KEY,
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE tenants (
                id {id} PRIMARY KEY,
                name TEXT NOT NULL,
                status TEXT NOT NULL,
                partner_id {id} NULL REFERENCES partners(id),
                settings TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX tenants_partner_id ON tenants (partner_id, id)",
            """
            CREATE TABLE api_keys (
                id {id} PRIMARY KEY,
                tenant_id {id} NULL REFERENCES tenants(id) ON DELETE CASCADE,
                owner_kind TEXT NOT NULL,
                owner_id TEXT NULL,
                name TEXT NOT NULL,
                start TEXT NOT NULL,
                scopes TEXT NOT NULL,
                permissions TEXT NOT NULL,
                metadata TEXT NOT NULL,
                rate_limit TEXT NULL,
                expires_at BIGINT NULL,
                last_used_at BIGINT NULL,
                created_by TEXT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                revoked_at BIGINT NULL
            )
            """,
            "CREATE INDEX api_keys_tenant_id ON api_keys (tenant_id, id)",
            """
            CREATE TABLE api_key_secrets (
                hash TEXT PRIMARY KEY,
                key_id {id} NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NULL
            )
            """,
            "CREATE INDEX api_key_secrets_key_id ON api_key_secrets (key_id)",
            """
            CREATE TABLE change_feed (
                seq {serial},
                topic TEXT NOT NULL,
                entity_id TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
        ]),
        Migration(version: 2, name: "service accounts", statements: [
            """
            CREATE TABLE service_accounts (
                id {id} PRIMARY KEY,
                tenant_id {id} NULL REFERENCES tenants(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                description TEXT NULL,
                created_by TEXT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX service_accounts_tenant_id ON service_accounts (tenant_id, id)",
            "CREATE INDEX api_keys_owner ON api_keys (owner_kind, owner_id)",
        ]),
    ]

    public static var latestVersion: Int { migrations.last?.version ?? 0 }
}
