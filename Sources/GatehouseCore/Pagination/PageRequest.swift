/// How a client asked for one page of a list: `limit` with either `cursor` or `offset`.
public struct PageRequest: Sendable, Equatable {
    public enum Position: Sendable, Equatable {
        case start
        case after(String)
        case offset(Int)
    }

    public static let defaultLimit = 50
    public static let maximumLimit = 1000

    public var limit: Int
    public var position: Position

    public init(limit: Int = PageRequest.defaultLimit, position: Position = .start) {
        self.limit = limit
        self.position = position
    }

    /// Reads `limit`, `cursor` and `offset` from query parameters.
    public static func parse(
        limit: String?, cursor: String?, offset: String?, list: String, codec: CursorCodec
    ) throws(GatehouseError) -> PageRequest {
        var page = PageRequest()
        if let limit {
            guard let value = Int(limit), (1...maximumLimit).contains(value) else {
                throw .badRequest("limit must be an integer from 1 to \(maximumLimit).")
            }
            page.limit = value
        }
        switch (cursor, offset) {
        case (.some, .some):
            throw .badRequest("Use either cursor or offset, not both.")
        case (.some(let cursor), nil):
            page.position = .after(try codec.decode(cursor, list: list))
        case (nil, .some(let offset)):
            guard let value = Int(offset), value >= 0, value <= 10_000_000 else {
                throw .badRequest("offset must be a non-negative integer.")
            }
            page.position = .offset(value)
        case (nil, nil):
            break
        }
        return page
    }
}

/// One page of a list, before it is rendered as `{"total", "cursor": {"next"}, "data"}`.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var total: Int
    /// The sort key of the last item, when more items follow.
    public var nextAfter: String?

    public init(items: [Item], total: Int, nextAfter: String?) {
        self.items = items
        self.total = total
        self.nextAfter = nextAfter
    }
}
