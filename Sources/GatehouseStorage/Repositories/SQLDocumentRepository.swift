import Foundation
import GatehouseCore
import SQLKit

/// A stored provisioning document.
public struct StoredDocument: Sendable, Equatable {
    public var path: String
    public var id: String
    public var data: JSONValue
    public var version: Int64
    public var updatedAt: Date
    public var updatedBy: String

    /// The document's ETag: its version, which every write increments.
    public var etag: String { "\"v\(version)\"" }
}

/// One earlier version of a document.
public struct DocumentRevision: Sendable, Equatable {
    public var version: Int64
    public var data: JSONValue
    public var updatedAt: Date
    public var updatedBy: String
}

public protocol DocumentRepository: Sendable {
    func get(tenant: ResourceID, path: DocumentPath) async throws -> StoredDocument?
    /// Documents of a collection in id order, after `afterID`; one more than `limit` tells
    /// whether another page follows.
    func list(tenant: ResourceID, collection: DocumentPath, afterID: String?, limit: Int) async throws -> [StoredDocument]
    /// Writes a document in one transaction, serialized with every other writer of the same
    /// path: `write` receives the current document (or `nil`) and returns the new data, or
    /// throws (a failed `If-Match`, a merge on a missing document). The previous version is
    /// kept as a revision; at most `keepRevisions` are kept.
    func write(
        tenant: ResourceID, path: DocumentPath, by principal: String, keepRevisions: Int, audit: AuditEvent?,
        _ write: @Sendable (StoredDocument?) throws -> [String: JSONValue]
    ) async throws -> (document: StoredDocument, created: Bool)
    /// Deletes a document, everything below it and its revisions; `check` may refuse.
    func delete(
        tenant: ResourceID, path: DocumentPath, audit: AuditEvent?, _ check: @Sendable (StoredDocument) throws -> Void
    ) async throws -> Bool
    func revisions(tenant: ResourceID, path: DocumentPath, page: PageRequest) async throws -> Page<DocumentRevision>
}

struct SQLDocumentRepository: DocumentRepository {
    let backend: any DatabaseBackend

    func get(tenant: ResourceID, path: DocumentPath) async throws -> StoredDocument? {
        try await backend.read { database in
            try await database.raw("""
                SELECT * FROM documents WHERE tenant_id = \(bind: tenant.rawValue) AND path = \(bind: path.path)
                """).first().map(Self.document)
        }
    }

    func list(tenant: ResourceID, collection: DocumentPath, afterID: String?, limit: Int) async throws -> [StoredDocument] {
        var condition: SQLQueryString =
            " WHERE tenant_id = \(bind: tenant.rawValue) AND parent = \(bind: collection.path)"
        if let afterID { condition = condition + " AND doc_id > \(bind: afterID)" }
        return try await backend.read { database in
            try await database.raw("SELECT * FROM documents" + condition + " ORDER BY doc_id LIMIT \(literal: limit + 1)")
                .all().map(Self.document)
        }
    }

    func write(
        tenant: ResourceID, path: DocumentPath, by principal: String, keepRevisions: Int, audit: AuditEvent?,
        _ write: @Sendable (StoredDocument?) throws -> [String: JSONValue]
    ) async throws -> (document: StoredDocument, created: Bool) {
        try await backend.transaction { database in
            try await lock(tenant: tenant, path: path, on: database)
            let current = try await database.raw("""
                SELECT * FROM documents WHERE tenant_id = \(bind: tenant.rawValue) AND path = \(bind: path.path)
                """).first().map(Self.document)
            let now = Timestamp.now
            let data = DocumentStamp.apply(to: try write(current), at: Timestamp.milliseconds(now), by: principal)
            let document = StoredDocument(
                path: path.path, id: path.documentID, data: data, version: (current?.version ?? 0) + 1, updatedAt: now,
                updatedBy: principal)
            if let current {
                try await database.raw("""
                    INSERT INTO document_revisions (tenant_id, path, version, data, updated_at, updated_by)
                    VALUES (\(bind: tenant.rawValue), \(bind: path.path), \(bind: current.version),
                        \(bind: SQLColumn.json(current.data)), \(bind: SQLColumn.millis(current.updatedAt)),
                        \(bind: current.updatedBy))
                    """).run()
                try await database.raw("""
                    DELETE FROM document_revisions WHERE tenant_id = \(bind: tenant.rawValue) AND path = \(bind: path.path)
                        AND version <= \(bind: current.version - Int64(keepRevisions))
                    """).run()
                try await database.raw("""
                    UPDATE documents SET data = \(bind: SQLColumn.json(data)), version = \(bind: document.version),
                        updated_at = \(bind: SQLColumn.millis(now)), updated_by = \(bind: principal)
                    WHERE tenant_id = \(bind: tenant.rawValue) AND path = \(bind: path.path)
                    """).run()
            } else {
                try await database.raw("""
                    INSERT INTO documents (tenant_id, path, parent, doc_id, data, version, created_at, updated_at, updated_by)
                    VALUES (\(bind: tenant.rawValue), \(bind: path.path), \(bind: path.parent), \(bind: path.documentID),
                        \(bind: SQLColumn.json(data)), \(bind: document.version), \(bind: SQLColumn.millis(now)),
                        \(bind: SQLColumn.millis(now)), \(bind: principal))
                    """).run()
            }
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return (document, current == nil)
        }
    }

    func delete(
        tenant: ResourceID, path: DocumentPath, audit: AuditEvent?, _ check: @Sendable (StoredDocument) throws -> Void
    ) async throws -> Bool {
        try await backend.transaction { database in
            try await lock(tenant: tenant, path: path, on: database)
            guard
                let current = try await database.raw("""
                    SELECT * FROM documents WHERE tenant_id = \(bind: tenant.rawValue) AND path = \(bind: path.path)
                    """).first().map(Self.document)
            else { return false }
            try check(current)
            // The subtree: the path itself and every path that starts with "path/" ('0' follows '/').
            let below: SQLQueryString = """
                tenant_id = \(bind: tenant.rawValue) AND (path = \(bind: path.path)
                    OR (path > \(bind: path.path + "/") AND path < \(bind: path.path + "0")))
                """
            try await database.raw("DELETE FROM document_revisions WHERE " + below).run()
            try await database.raw("DELETE FROM documents WHERE " + below).run()
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return true
        }
    }

    func revisions(tenant: ResourceID, path: DocumentPath, page: PageRequest) async throws -> Page<DocumentRevision> {
        try await backend.read { database in
            let condition: SQLQueryString =
                " WHERE tenant_id = \(bind: tenant.rawValue) AND path = \(bind: path.path)"
            let total = try await database.raw("SELECT COUNT(*) AS n FROM document_revisions" + condition).first()?.int("n") ?? 0
            var keyset: SQLQueryString = ""
            if case .after(let after) = page.position, let version = Int64(after) {
                keyset = " AND version < \(bind: version)"
            }
            var tail: SQLQueryString = " ORDER BY version DESC LIMIT \(literal: page.limit + 1)"
            if case .offset(let offset) = page.position { tail = tail + " OFFSET \(literal: offset)" }
            let rows = try await database.raw("SELECT * FROM document_revisions" + condition + keyset + tail).all()
                .map { row in
                    DocumentRevision(
                        version: try row.decode(column: "version", as: Int64.self), data: try row.json("data", as: JSONValue.self),
                        updatedAt: try row.date("updated_at"), updatedBy: try row.string("updated_by"))
                }
            return PagedQuery(page: page).makePage(rows, total: total, id: { String($0.version) })
        }
    }

    /// Serializes writers of one document (PostgreSQL; SQLite has a single writer).
    private func lock(tenant: ResourceID, path: DocumentPath, on database: any SQLDatabase) async throws {
        guard backend.engine == .postgres else { return }
        try await database.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: "doc:\(tenant.rawValue)/\(path.path)")))").run()
    }

    static func document(_ row: any SQLRow) throws -> StoredDocument {
        StoredDocument(
            path: try row.string("path"), id: try row.string("doc_id"), data: try row.json("data", as: JSONValue.self),
            version: try row.decode(column: "version", as: Int64.self), updatedAt: try row.date("updated_at"),
            updatedBy: try row.string("updated_by"))
    }
}
