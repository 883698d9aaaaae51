import GatehouseCore

extension OpenAPIDocument {
    /// The vault (SPEC §8) and the jobs/data-key admin routes (§10).
    static let vaultAndJobOperations: [OpenAPIOperation] = [
        .init(method: "POST", path: "/api/v1/vault/tenants/{tenantId}/credentials",
              summary: "Store a credential; its secret fields are sealed and never returned here", tag: "vault",
              access: .scoped, requestSchema: "CreateCredential", success: (201, "Credential")),
        .init(method: "GET", path: "/api/v1/vault/tenants/{tenantId}/credentials",
              summary: "List credentials' metadata (filter integration_id)", tag: "vault", access: .scoped,
              success: (200, "CredentialList"), isList: true),
        .init(method: "GET", path: "/api/v1/vault/tenants/{tenantId}/credentials/{integrationId}",
              summary: "Reveal the integration's live credentials, decrypted (needs vault:credentials.reveal; audited; no-store; credential_id narrows)",
              tag: "vault", access: .scoped, success: (200, "Integration")),
        .init(method: "GET", path: "/api/v1/vault/tenants/{tenantId}/credentials/{integrationId}/details",
              summary: "The integration's credentials, metadata only", tag: "vault", access: .scoped,
              success: (200, "Integration")),
        .init(method: "PATCH", path: "/api/v1/vault/tenants/{tenantId}/credentials/{integrationId}/{credentialId}",
              summary: "Change name, metadata, expiry, or replace the secret (auth_type needs data)", tag: "vault",
              access: .scoped, requestSchema: "UpdateCredential", success: (200, "Credential")),
        .init(method: "DELETE", path: "/api/v1/vault/tenants/{tenantId}/credentials/{integrationId}/{credentialId}",
              summary: "Delete a credential", tag: "vault", access: .scoped, success: (204, nil)),

        .init(method: "POST", path: "/api/v1/admin/dek/rotate",
              summary: "New data key version for a tenant (tenant_id) or every tenant, and a job re-encrypting its credentials",
              tag: "admin", access: .admin, requestSchema: "RotateDataKeys", success: (202, "DataKeyRotations")),
        .init(method: "POST", path: "/api/v1/admin/jobs/trigger", summary: "Enqueue a job run", tag: "admin",
              access: .admin, requestSchema: "TriggerJob", success: (202, "Job")),
        .init(method: "GET", path: "/api/v1/admin/jobs/{jobName}/stats",
              summary: "Queued, running, succeeded and failed runs, the last run and the last error", tag: "admin",
              access: .admin, success: (200, "JobStats")),
        .init(method: "GET", path: "/api/v1/admin/jobs/{jobName}/runs", summary: "A job's runs, oldest first",
              tag: "admin", access: .admin, success: (200, "JobList"), isList: true),

        .init(method: "GET", path: "/api/v1/iam/tenants/{tenantId}/api-keys/{keyId}/rate-limit",
              summary: "The budgets the key spends (its own or the tenant default, and the tenant's) and what is left now",
              tag: "iam", access: .scoped, success: (200, "KeyRateLimit")),
        .init(method: "POST", path: "/api/v1/metering/tenants/{tenantId}/events",
              summary: "Record usage events; each idempotency_key counts once (replays answer duplicate)", tag: "metering",
              access: .scoped, requestSchema: "MeterEvents", success: (200, "MeterEventsRecorded")),
    ]
}

extension OpenAPISchemas {
    static let authTypes: JSONValue = .array(CredentialAuthType.allCases.map { .string($0.rawValue) })
    static let integrationID: JSONValue = .object(["type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"])

    static let vaultAndJobs: [String: JSONValue] = [
        "CreateCredential": object([
            "integration_id": integrationID, "name": .object(["type": "string", "minLength": 1, "maxLength": 200]),
            "auth_type": .object(["type": "string", "enum": authTypes]), "data": .object(["type": "object"]),
            "metadata": .object(["type": "object"]), "expires_at": timestamp,
        ], required: ["integration_id", "name", "auth_type", "data"]),
        "UpdateCredential": object([
            "name": .object(["type": "string", "minLength": 1, "maxLength": 200]),
            "auth_type": .object(["type": "string", "enum": authTypes]), "data": .object(["type": "object"]),
            "metadata": .object(["type": "object"]), "expires_at": nullable("string"),
        ]),
        "Credential": object([
            "id": string, "tenant_id": string, "integration_id": string, "name": string,
            "auth_type": .object(["type": "string", "enum": authTypes]), "metadata": .object(["type": "object"]),
            "status": .object(["type": "string", "enum": ["active", "expired"]]), "expires_at": nullable("string"),
            "key_version": integer, "created_by": nullable("string"), "created_at": timestamp, "updated_at": timestamp,
            "data": .object(["type": "object", "description": "Only in reveal responses"]),
        ], required: ["id", "tenant_id", "integration_id", "name", "auth_type", "metadata", "status", "created_at"]),
        "CredentialList": list(of: "Credential"),
        "Integration": object([
            "integration_id": string, "data": .object(["type": "array", "items": ref("Credential")]),
        ], required: ["integration_id", "data"]),
        "RotateDataKeys": object(["tenant_id": string]),
        "DataKeyRotations": object([
            "rotations": .object(["type": "array", "items": object(
                ["tenant_id": string, "dek_version": integer, "job_id": string])]),
        ], required: ["rotations"]),
        "TriggerJob": object([
            "job": .object(["type": "string", "enum": .array(JobName.allCases.map { .string($0.rawValue) })]),
            "params": .object(["type": "object"]),
        ], required: ["job"]),
        "Job": object([
            "id": string, "job": string,
            "state": .object(["type": "string", "enum": .array(JobState.allCases.map { .string($0.rawValue) })]),
            "params": .object(["type": "object"]), "attempts": integer, "max_attempts": integer, "run_after": timestamp,
            "locked_by": nullable("string"), "lease_until": nullable("string"), "last_error": nullable("string"),
            "result": .object(["type": ["object", "null"]]), "created_at": timestamp, "started_at": nullable("string"),
            "finished_at": nullable("string"),
        ], required: ["id", "job", "state", "attempts"]),
        "JobList": list(of: "Job"),
        "MeterEvents": object([
            "events": .object(["type": "array", "minItems": 1, "maxItems": 1000, "items": object([
                "meter": .object(["type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,63}$"]),
                "quantity": .object(["type": "integer", "minimum": 0]), "time": timestamp,
                "idempotency_key": .object(["type": "string", "minLength": 1, "maxLength": 128]),
                "dimensions": .object(["type": "object", "additionalProperties": string]),
            ], required: ["meter", "quantity", "time", "idempotency_key"])]),
        ], required: ["events"]),
        "MeterEventsRecorded": object([
            "accepted": integer, "duplicates": integer,
            "results": .object(["type": "array", "items": object([
                "idempotency_key": string, "status": .object(["type": "string", "enum": ["accepted", "duplicate"]]),
            ])]),
        ], required: ["accepted", "duplicates", "results"]),
        "KeyRateLimit": object([
            "key_id": string, "mode": .object(["type": "string", "enum": ["local", "cluster"]]),
            "policies": .object(["type": "array", "items": object([
                "kind": .object(["type": "string", "enum": ["key", "tenant"]]),
                "source": .object(["type": "string", "enum": ["key", "tenant_default", "tenant"]]),
                "limit": integer, "window_seconds": integer, "remaining": integer, "reset": integer,
            ])]),
        ], required: ["key_id", "mode", "policies"]),
        "JobStats": object([
            "job": string, "queued": integer, "running": integer, "succeeded": integer, "failed": integer,
            "last_run": .object(["oneOf": [ref("Job"), .object(["type": "null"])]]), "last_error": nullable("string"),
            "last_error_at": nullable("string"),
        ], required: ["job", "queued", "running", "succeeded", "failed"]),
    ]
}
