import Hummingbird
import TuikeCore

/// `?limit=&cursor=` on list endpoints; lists are newest first and the cursor is the last id seen.
struct PageRequest: Sendable {
    let limit: Int
    let cursor: String?

    static let defaultLimit = 20
    static let maxLimit = 100

    init(limit: Int = PageRequest.defaultLimit, cursor: String? = nil) {
        self.limit = limit
        self.cursor = cursor
    }

    init(_ request: Request, defaultLimit: Int = PageRequest.defaultLimit) throws(TuikeError) {
        let query = request.uri.queryParameters
        var limit = defaultLimit
        if let text = query["limit"] {
            guard let value = Int(String(text)) else { throw .malformed("limit must be an integer") }
            guard (1...Self.maxLimit).contains(value) else { throw .validation("limit must be between 1 and \(Self.maxLimit)") }
            limit = value
        }
        let cursor = query["cursor"].map(String.init)
        if let cursor, cursor.isEmpty || cursor.count > 64 { throw .malformed("cursor is not one this API gave out") }
        self.init(limit: limit, cursor: cursor)
    }
}

struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    let data: [Item]
    let hasMore: Bool
    @ExplicitNull var nextCursor: String?

    /// `fetched` holds up to `limit + 1` items: the extra one only says that more exist.
    init(fetched: [Item], limit: Int, id: (Item) -> String) {
        hasMore = fetched.count > limit
        data = Array(fetched.prefix(limit))
        nextCursor = hasMore ? data.last.map(id) : nil
    }
}
