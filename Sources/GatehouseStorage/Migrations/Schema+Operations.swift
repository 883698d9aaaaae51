/// Versions 7 on: the vault and jobs, rate limits, metering, webhooks. Append; never edit
/// one that has shipped.
extension Schema {
    static let operations: [Migration] = [
        Migration(version: 7, name: "vault, data keys, jobs, key check", statements: [
            """
            CREATE TABLE vault_keys (
                tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                version INTEGER NOT NULL,
                wrapped_key TEXT NULL,
                created_at BIGINT NOT NULL,
                retired_at BIGINT NULL,
                PRIMARY KEY (tenant_id, version)
            )
            """,
            """
            CREATE TABLE vault_credentials (
                id {id} PRIMARY KEY,
                tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                integration_id {id} NOT NULL,
                name TEXT NOT NULL,
                auth_type TEXT NOT NULL,
                metadata TEXT NOT NULL,
                ciphertext TEXT NOT NULL,
                dek_version INTEGER NOT NULL,
                revision BIGINT NOT NULL,
                expires_at BIGINT NULL,
                created_by TEXT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX vault_credentials_tenant ON vault_credentials (tenant_id, id)",
            "CREATE INDEX vault_credentials_integration ON vault_credentials (tenant_id, integration_id, id)",
            "CREATE INDEX vault_credentials_dek ON vault_credentials (tenant_id, dek_version)",
            "CREATE INDEX vault_credentials_expiry ON vault_credentials (expires_at)",
            """
            CREATE TABLE jobs (
                id {id} PRIMARY KEY,
                name TEXT NOT NULL,
                params TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                max_attempts INTEGER NOT NULL,
                run_after BIGINT NOT NULL,
                locked_by TEXT NULL,
                lease_until BIGINT NULL,
                last_error TEXT NULL,
                result TEXT NULL,
                singleton_key TEXT NULL,
                created_at BIGINT NOT NULL,
                started_at BIGINT NULL,
                finished_at BIGINT NULL,
                failed_at BIGINT NULL
            )
            """,
            "CREATE INDEX jobs_due ON jobs (state, run_after)",
            "CREATE INDEX jobs_name ON jobs (name, id)",
            "CREATE UNIQUE INDEX jobs_singleton ON jobs (singleton_key) WHERE state IN ('queued', 'running')",
            """
            CREATE TABLE key_check (
                name {id} PRIMARY KEY,
                sealed TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
        ]),
        Migration(version: 8, name: "shared rate-limit buckets", statements: [
            """
            CREATE TABLE rate_limit_buckets (
                bucket {id} PRIMARY KEY,
                tat BIGINT NOT NULL
            )
            """,
        ]),
        Migration(version: 9, name: "metering events", statements: [
            """
            CREATE TABLE meter_events (
                tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                idempotency_key {id} NOT NULL,
                meter {id} NOT NULL,
                quantity BIGINT NOT NULL,
                occurred_at BIGINT NOT NULL,
                dimensions TEXT NOT NULL,
                key_id TEXT NOT NULL,
                recorded_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, idempotency_key)
            )
            """,
        ]),
        Migration(version: 10, name: "webhooks: subscriptions, outbox, deliveries, attempts", statements: [
            """
            CREATE TABLE webhook_subscriptions (
                id {id} PRIMARY KEY,
                tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                url TEXT NOT NULL,
                event_types TEXT NOT NULL,
                description TEXT NOT NULL,
                enabled INTEGER NOT NULL,
                secret_sealed TEXT NOT NULL,
                previous_secret_sealed TEXT NULL,
                previous_secret_expires_at BIGINT NULL,
                failing_since BIGINT NULL,
                disabled_reason TEXT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX webhook_subscriptions_tenant ON webhook_subscriptions (tenant_id, id)",
            """
            CREATE TABLE webhook_events (
                id {id} PRIMARY KEY,
                tenant_id {id} NOT NULL,
                type TEXT NOT NULL,
                payload TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE webhook_deliveries (
                id {id} PRIMARY KEY,
                event_id {id} NOT NULL,
                subscription_id {id} NOT NULL,
                tenant_id {id} NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                next_attempt_at BIGINT NOT NULL,
                locked_by TEXT NULL,
                lease_until BIGINT NULL,
                last_status INTEGER NULL,
                last_error TEXT NULL,
                created_at BIGINT NOT NULL,
                delivered_at BIGINT NULL
            )
            """,
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at)",
            "CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id)",
            """
            CREATE TABLE webhook_attempts (
                delivery_id {id} NOT NULL,
                attempt INTEGER NOT NULL,
                subscription_id {id} NOT NULL,
                status_code INTEGER NULL,
                latency_ms BIGINT NOT NULL,
                error TEXT NULL,
                attempted_at BIGINT NOT NULL,
                PRIMARY KEY (delivery_id, attempt)
            )
            """,
        ]),
    ]
}
