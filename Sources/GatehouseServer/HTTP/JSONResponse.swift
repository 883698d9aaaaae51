import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// JSON responses with an explicit status.
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        make(encoded: try encode(value), status: status)
    }

    static func encode(_ value: some Encodable) throws -> ByteBuffer {
        ByteBuffer(data: try GatehouseContext.encoder.encode(value))
    }

    /// A response from JSON encoded earlier (and cached).
    static func make(encoded body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
    }

    static func noContent() -> Response {
        Response(status: .noContent)
    }
}

/// The list envelope of SPEC §1: `{"total", "cursor": {"next"}, "data"}`.
struct ListEnvelope<Item: Encodable>: Encodable {
    struct Cursor: Encodable {
        let next: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(next, forKey: .next)
        }

        enum CodingKeys: String, CodingKey { case next }
    }

    let total: Int
    let cursor: Cursor
    let data: [Item]

    init<Stored>(page: Page<Stored>, list: String, codec: CursorCodec, render: (Stored) -> Item) {
        self.total = page.total
        self.cursor = Cursor(next: page.nextAfter.map { codec.encode(list: list, after: $0) })
        self.data = page.items.map(render)
    }
}

extension Request {
    /// `limit`, `cursor` and `offset` of a list request, validated.
    func pageRequest(list: String, codec: CursorCodec) throws(GatehouseError) -> PageRequest {
        try PageRequest.parse(
            limit: try query("limit"), cursor: try query("cursor"), offset: try query("offset"), list: list, codec: codec)
    }
}
