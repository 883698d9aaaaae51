/// Every migration, in order. Append; never edit one that has shipped.
public enum Schema {
    public static let migrations: [Migration] = identityAndData + operations

    /// Versions 1–6: tenants, keys, audit, documents, tokens, users.
    static let identityAndData: [Migration] = [
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
        Migration(version: 3, name: "audit log, documents, request log, usage", statements: [
            """
            CREATE TABLE audit_events (
                id {id} PRIMARY KEY,
                chain {id} NOT NULL,
                chain_seq BIGINT NOT NULL,
                tenant_id {id} NULL,
                occurred_at BIGINT NOT NULL,
                actor_type TEXT NOT NULL,
                actor_id TEXT NULL,
                action TEXT NOT NULL,
                target TEXT NULL,
                outcome TEXT NOT NULL,
                request_id TEXT NULL,
                ip TEXT NULL,
                user_agent TEXT NULL,
                details TEXT NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL,
                UNIQUE (chain, chain_seq)
            )
            """,
            "CREATE INDEX audit_events_tenant ON audit_events (tenant_id, id)",
            "CREATE INDEX audit_events_time ON audit_events (occurred_at)",
            """
            CREATE TABLE documents (
                tenant_id {id} NOT NULL,
                path {id} NOT NULL,
                parent {id} NOT NULL,
                doc_id {id} NOT NULL,
                data TEXT NOT NULL,
                version BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                updated_by TEXT NOT NULL,
                PRIMARY KEY (tenant_id, path)
            )
            """,
            "CREATE INDEX documents_parent ON documents (tenant_id, parent, doc_id)",
            """
            CREATE TABLE document_revisions (
                tenant_id {id} NOT NULL,
                path {id} NOT NULL,
                version BIGINT NOT NULL,
                data TEXT NOT NULL,
                updated_at BIGINT NOT NULL,
                updated_by TEXT NOT NULL,
                PRIMARY KEY (tenant_id, path, version)
            )
            """,
            """
            CREATE TABLE request_log (
                id {id} PRIMARY KEY,
                tenant_id {id} NULL,
                key_id TEXT NULL,
                occurred_at BIGINT NOT NULL,
                method TEXT NOT NULL,
                route TEXT NOT NULL,
                status INTEGER NOT NULL,
                latency_us BIGINT NOT NULL
            )
            """,
            "CREATE INDEX request_log_tenant ON request_log (tenant_id, id)",
            """
            CREATE TABLE usage_hourly (
                tenant_id {id} NOT NULL,
                key_id {id} NOT NULL,
                meter {id} NOT NULL,
                period_start BIGINT NOT NULL,
                quantity BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, meter, key_id, period_start)
            )
            """,
        ]),
        Migration(version: 4, name: "signing keys", statements: [
            """
            CREATE TABLE signing_keys (
                kid {id} PRIMARY KEY,
                algorithm TEXT NOT NULL,
                public_key TEXT NOT NULL,
                private_key_sealed TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                retired_at BIGINT NULL,
                published_until BIGINT NULL
            )
            """,
        ]),
        Migration(version: 5, name: "oauth clients, revoked tokens", statements: [
            """
            CREATE TABLE oauth_clients (
                id {id} PRIMARY KEY,
                tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                secret_hash TEXT NOT NULL,
                secret_start TEXT NOT NULL,
                previous_secret_hash TEXT NULL,
                previous_secret_expires_at BIGINT NULL,
                scopes TEXT NOT NULL,
                created_by TEXT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX oauth_clients_tenant_id ON oauth_clients (tenant_id, id)",
            """
            CREATE TABLE revoked_tokens (
                jti {id} PRIMARY KEY,
                tenant_id {id} NULL,
                expires_at BIGINT NOT NULL
            )
            """,
        ]),
        Migration(version: 6, name: "users, roles, refresh tokens", statements: [
            """
            CREATE TABLE users (
                id {id} PRIMARY KEY,
                tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                email TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                password_hash TEXT NULL,
                roles TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX users_tenant_id ON users (tenant_id, id)",
            """
            CREATE TABLE roles (
                tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                name {id} NOT NULL,
                scopes TEXT NOT NULL,
                description TEXT NOT NULL,
                PRIMARY KEY (tenant_id, name)
            )
            """,
            """
            CREATE TABLE refresh_tokens (
                hash TEXT PRIMARY KEY,
                family_id {id} NOT NULL,
                user_id {id} NOT NULL,
                tenant_id {id} NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT NULL,
                revoked_at BIGINT NULL
            )
            """,
            "CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)",
        ]),
    ]

    public static var latestVersion: Int { migrations.last?.version ?? 0 }
}
