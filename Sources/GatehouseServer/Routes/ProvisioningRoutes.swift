import Foundation
import GatehouseCore
import GatehouseStorage
import HTTPTypes
import Hummingbird

/// The provisioning document store, SPEC §6 (seed 000):
/// `/api/v1/provisioning/tenants/{tenantId}/{collection}/{docId}[/{subcollection}/{docId}...]`.
/// Authorization (`provisioning:{collection}.read|write`) comes from the engine.
struct ProvisioningRoutes {
    let environment: ServerEnvironment
    var documents: any DocumentRepository { environment.store.documents }

    static let documentLimit = 1024 * 1024
    static let nextCursorHeader = HTTPField.Name("X-Next-Cursor")!

    func register(on router: Router<GatehouseContext>) {
        let path: RouterPath = "/api/v1/provisioning/tenants/{tenantId}/**"
        router.get(path, use: read)
        router.post(path, use: replace)
        router.put(path, use: merge)
        router.delete(path, use: delete)
    }

    func target(_ context: GatehouseContext) throws -> (ResourceID, DocumentPath) {
        (try context.requireTenant(), try DocumentPath(context.parameters.getCatchAll()))
    }

    func requireDocument(_ path: DocumentPath) throws {
        guard path.kind == .document else {
            throw GatehouseError.methodNotAllowed(allowed: ["GET"])
        }
    }

    @Sendable func read(request: Request, context: GatehouseContext) async throws -> Response {
        let (tenant, path) = try target(context)
        switch path.kind {
        case .document:
            guard let document = try await documents.get(tenant: tenant, path: path) else {
                throw GatehouseError.notFound("No document at \(path).")
            }
            return try documentResponse(document)
        case .collection:
            return try await list(request: request, tenant: tenant, collection: path)
        case .revisions:
            let list = "prov.revisions.\(tenant)/\(path)"
            let page = try request.pageRequest(list: list, codec: environment.cursors)
            let result = try await documents.revisions(tenant: tenant, path: path, page: page)
            return try JSONResponse.make(
                ListEnvelope(page: result, list: list, codec: environment.cursors, render: RevisionView.init))
        }
    }

    func list(request: Request, tenant: ResourceID, collection: DocumentPath) async throws -> Response {
        let list = "prov.\(tenant)/\(collection)"
        let page = try request.pageRequest(list: list, codec: environment.cursors)
        let after: String?
        switch page.position {
        case .start: after = nil
        case .after(let id): after = id
        case .offset: throw GatehouseError.badRequest("Collections page with cursor, not offset.")
        }
        let rows = try await documents.list(tenant: tenant, collection: collection, afterID: after, limit: page.limit)
        let items = rows.prefix(page.limit)
        var response = try JSONResponse.make(items.map { ["id": JSONValue.string($0.id), "data": $0.data] })
        if rows.count > page.limit, let last = items.last {
            response.headers[Self.nextCursorHeader] = environment.cursors.encode(list: list, after: last.id)
        }
        return response
    }

    /// POST: create (201) or replace (200) the whole document.
    @Sendable func replace(request: Request, context: GatehouseContext) async throws -> Response {
        try await write(request, context, action: "document.write") { _, current, body, ifMatch in
            try ifMatch.check(current)
            return body
        }
    }

    /// PUT: RFC 7396 merge into an existing document.
    @Sendable func merge(request: Request, context: GatehouseContext) async throws -> Response {
        try await write(request, context, action: "document.merge") { path, current, patch, ifMatch in
            guard let current else { throw GatehouseError.notFound("No document at \(path) to merge into.") }
            try ifMatch.check(current)
            guard case .object(let merged) = JSONMergePatch.apply(.object(patch), to: current.data) else { return [:] }
            return merged
        }
    }

    /// The shared path of POST and PUT: one transaction per document write, where `document`
    /// turns the path, the stored document (if any) and the request body into the new data, whose
    /// stamped size is checked before anything is committed.
    func write(
        _ request: Request, _ context: GatehouseContext, action: String,
        document: @escaping @Sendable (DocumentPath, StoredDocument?, [String: JSONValue], IfMatch) throws
            -> [String: JSONValue]
    ) async throws -> Response {
        let (tenant, path) = try target(context)
        try requireDocument(path)
        var request = request
        let body = try await objectBody(&request)
        let ifMatch = IfMatch(request.headers[.ifMatch])
        let author = try context.requirePrincipal().id
        let result = try await documents.write(
            tenant: tenant, path: path, by: author,
            keepRevisions: environment.options.revisionsKept, audit: context.auditEvent(action, target: path.path)
        ) { current in
            let data = try document(path, current, body, ifMatch)
            try Self.checkSize(data, author: author)
            return data
        }
        return try documentResponse(result.document, status: result.created ? .created : .ok)
    }

    @Sendable func delete(request: Request, context: GatehouseContext) async throws -> Response {
        let (tenant, path) = try target(context)
        try requireDocument(path)
        let ifMatch = IfMatch(request.headers[.ifMatch])
        let deleted = try await documents.delete(
            tenant: tenant, path: path, audit: context.auditEvent("document.delete", target: path.path)
        ) { current in try ifMatch.check(current) }
        guard deleted else { throw GatehouseError.notFound("No document at \(path).") }
        return JSONResponse.noContent()
    }

    /// The request body as a JSON object of at most 1 MiB and 32 levels.
    func objectBody(_ request: inout Request) async throws -> [String: JSONValue] {
        let data = try await request.jsonBody(limit: Self.documentLimit)
        guard case .object(let object) = try StrictJSONDecoder().parse(data) else {
            throw GatehouseError.invalid("body", "a document is a JSON object")
        }
        return object
    }

    /// The document as it will be stored — stamped — must fit in 1 MiB. Checked inside the
    /// write, so an oversized document is never committed.
    static func checkSize(_ document: [String: JSONValue], author: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let stamped = DocumentStamp.apply(to: document, at: Timestamp.nowMilliseconds, by: author)
        let size = (try? encoder.encode(stamped).count) ?? 0
        guard size <= documentLimit else { throw GatehouseError.payloadTooLarge(limitBytes: documentLimit) }
    }

    func documentResponse(_ document: StoredDocument, status: HTTPResponse.Status = .ok) throws -> Response {
        var response = try JSONResponse.make(document.data, status: status)
        response.headers[.eTag] = document.etag
        return response
    }
}

/// `If-Match`: `*` or a list of ETags; absent means "no condition".
struct IfMatch: Sendable {
    let tags: [String]?

    init(_ header: String?) {
        tags = header.map { value in
            value.split(separator: ",").map {
                var tag = $0.trimmingCharacters(in: .whitespaces)
                if tag.hasPrefix("W/") { tag.removeFirst(2) }
                return tag
            }
        }
    }

    func check(_ current: StoredDocument?) throws(GatehouseError) {
        guard let tags else { return }
        guard let current else {
            throw .preconditionFailed("If-Match was given but no document exists here.")
        }
        guard tags.contains("*") || tags.contains(current.etag) else {
            throw .preconditionFailed("The document changed: its ETag is now \(current.etag). Read it again and retry.")
        }
    }
}

struct RevisionView: Encodable {
    let version: Int64
    let data: JSONValue
    let updatedAt: Date
    let updatedBy: String

    init(_ revision: DocumentRevision) {
        version = revision.version
        data = revision.data
        updatedAt = revision.updatedAt
        updatedBy = revision.updatedBy
    }

    enum CodingKeys: String, CodingKey {
        case version, data
        case updatedAt = "updated_at"
        case updatedBy = "updated_by"
    }
}
