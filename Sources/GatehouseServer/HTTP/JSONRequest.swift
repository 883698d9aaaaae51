import Foundation
import GatehouseCore
import Hummingbird
import NIOCore
import NIOFoundationCompat

extension Request {
    /// Reads a JSON body under the deployment's size limit and decodes it strictly:
    /// a wrong content type is 415, an oversized body 413, malformed JSON 400, and an
    /// unknown field or wrong type 422 naming the field.
    mutating func decodeJSON<T: Decodable>(as type: T.Type, limit: Int) async throws -> T {
        let data = try await jsonBody(limit: limit)
        return try StrictJSONDecoder().decode(type, from: data)
    }

    /// The raw bytes of a JSON body, after the content-type and size checks.
    mutating func jsonBody(limit: Int) async throws -> Data {
        let contentType = headers[.contentType]?.lowercased() ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
        else {
            throw GatehouseError.unsupportedMediaType(
                "This route takes a JSON body: send Content-Type: application/json.")
        }
        if let length = headers[.contentLength].flatMap(Int.init), length > limit {
            throw GatehouseError.payloadTooLarge(limitBytes: limit)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            throw GatehouseError.payloadTooLarge(limitBytes: limit)
        }
        return Data(buffer: buffer)
    }

    /// A query parameter, or `nil` when absent. Control characters (a NUL cannot even be
    /// stored by PostgreSQL) are refused.
    func query(_ name: String) throws(GatehouseError) -> String? {
        guard let value = uri.queryParameters.get(name) else { return nil }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .badRequest("The query parameter \(name) contains control characters.")
        }
        return value
    }
}

extension GatehouseContext {
    /// A path parameter holding an id of `kind`; a malformed id is a `bad_request`.
    func pathID(_ name: String, _ kind: IDKind) throws(GatehouseError) -> ResourceID {
        let raw = parameters.get(name) ?? ""
        guard let id = ResourceID(raw, kind: kind) else {
            throw .badRequest("\(name) is not a valid id; ids of this kind look like \(kind.rawValue)_….")
        }
        return id
    }
}
