/// A path in the provisioning store, after `tenants/{tenantId}/`:
/// `users` (a collection), `users/u1` (a document), `users/u1/devices` (a subcollection),
/// `users/u1/_revisions` (a document's revisions). Odd segment counts are collections,
/// even ones documents.
public struct DocumentPath: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case collection
        case document
        /// The revisions of the document at `documentPath`.
        case revisions
    }

    public let segments: [String]
    public let kind: Kind

    public static let revisionsSegment = "_revisions"

    /// Validates every segment: `[A-Za-z0-9._-]{1,128}`, not `.` or `..`.
    public init(_ rawSegments: [Substring]) throws(GatehouseError) {
        guard !rawSegments.isEmpty else { throw .badRequest("Name a collection after the tenant.") }
        guard rawSegments.count <= 64 else { throw .badRequest("The path nests deeper than 64 segments.") }
        var segments = rawSegments.map(String.init)
        var kind: Kind = segments.count % 2 == 1 ? .collection : .document
        if segments.count % 2 == 1, segments.count >= 3, segments.last == Self.revisionsSegment {
            segments.removeLast()
            kind = .revisions
        }
        for segment in segments where !Self.isValidSegment(segment) {
            throw .badRequest(
                "'\(segment.prefix(140))' is not a valid collection or document id: use 1 to 128 of A-Z a-z 0-9 . _ -"
                    + " (and not . or .. or _revisions).")
        }
        guard segments.reduce(0, { $0 + $1.utf8.count + 1 }) <= 1024 else {
            throw .badRequest("The document path is longer than 1024 characters.")
        }
        self.segments = segments
        self.kind = kind
    }

    public static func isValidSegment(_ segment: String) -> Bool {
        let bytes = segment.utf8
        guard (1...128).contains(bytes.count), segment != ".", segment != "..", segment != revisionsSegment else {
            return false
        }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    /// `users/u1/devices/d1`: the stored key of a document (or of a collection).
    public var path: String { segments.joined(separator: "/") }
    /// The document's own id (its last segment).
    public var documentID: String { segments.last ?? "" }
    /// The collection a document lives in: `users/u1/devices` for `users/u1/devices/d1`.
    public var parent: String { segments.dropLast().joined(separator: "/") }
    /// The top-level collection, which authorization names as the resource.
    public var collection: String { segments[0] }

    public var description: String { path }
}

/// Writes stamp `updated` (epoch ms) and `updatedBy` (principal id) into the document's
/// top level; client-supplied values are overwritten.
public enum DocumentStamp {
    public static let updatedField = "updated"
    public static let updatedByField = "updatedBy"

    public static func apply(to data: [String: JSONValue], at milliseconds: Int64, by principal: String) -> JSONValue {
        var stamped = data
        stamped[updatedField] = .int(milliseconds)
        stamped[updatedByField] = .string(principal)
        return .object(stamped)
    }
}
