import SQLKit
import TuikeCore

/// What the storefront's anonymous buyers hold without paying: unpaid orders take stock and group
/// slots until they are paid or time out, so one visitor or one address must not be able to take
/// them all. Counted in the database over the orders awaiting payment (partial indexes), so the
/// limits hold across instances; two orders placed at the same instant may both pass a count,
/// which lets a limit be passed by the few that raced, never by a flood.
public struct UnpaidHolds: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    /// The limits: unpaid orders per client address, per visitor, and per address for one product
    /// (a group's slots are orders of its product).
    public struct Limits: Sendable, Equatable {
        public var perAddress: Int64 = 10
        public var perVisitor: Int64 = 3
        public var perAddressAndProduct: Int64 = 2
        /// A group's free slots: one unpaid reservation per address, so nobody can hold a group's
        /// last slots until it fails.
        public var perAddressAndGroup: Int64 = 1
        public init() {}
    }

    /// Refuses (429 `too_many_unpaid_orders`) when taking one more would pass a limit.
    public func check(address: String?, visitor: String, productID: String, groupID: String? = nil, limits: Limits, retryAfter: Int64) async throws {
        let address = address.map(AddressRanges.limitKey)
        let counts = try await database.read { db in
            try await db.first("""
                SELECT (SELECT COUNT(*) FROM orders WHERE status = 'pending_payment' AND client_ip = \(bind: address)) AS by_address,
                       (SELECT COUNT(*) FROM orders WHERE status = 'pending_payment' AND visitor_id = \(bind: visitor)) AS by_visitor,
                       (SELECT COUNT(*) FROM orders o JOIN order_items i ON i.order_id = o.id
                        WHERE o.status = 'pending_payment' AND o.client_ip = \(bind: address) AND i.product_id = \(bind: productID)) AS same_product,
                       (SELECT COUNT(*) FROM orders WHERE status = 'pending_payment' AND client_ip = \(bind: address)
                        AND group_id = \(bind: groupID)) AS same_group
                """)
        }
        let byAddress = try counts?.decode(column: "by_address", as: Int64.self) ?? 0
        let byVisitor = try counts?.decode(column: "by_visitor", as: Int64.self) ?? 0
        let sameProduct = try counts?.decode(column: "same_product", as: Int64.self) ?? 0
        let sameGroup = try counts?.decode(column: "same_group", as: Int64.self) ?? 0
        guard byVisitor < limits.perVisitor, byAddress < limits.perAddress, sameProduct < limits.perAddressAndProduct,
              sameGroup < limits.perAddressAndGroup else {
            throw TuikeError(.tooManyRequests, code: "too_many_unpaid_orders",
                             "you have unpaid orders waiting: pay them, or wait until they are cancelled, before ordering more", retryAfter: retryAfter)
        }
    }

    /// Notes where a storefront order came from, for the limits above (IPv6 by its /64).
    public func record(orderID: String, address: String?) async throws {
        guard let address = address.map(AddressRanges.limitKey) else { return }
        try await database.write { db in try await db.execute("UPDATE orders SET client_ip = \(bind: address) WHERE id = \(bind: orderID)") }
    }

    /// Migration 13: where storefront orders came from, and the partial indexes the counts read.
    static let migration = Migration(version: 13, name: "orders_unpaid_holds", statements: [
        "ALTER TABLE orders ADD COLUMN client_ip TEXT",
        "CREATE INDEX orders_unpaid_by_address ON orders (client_ip) WHERE status = 'pending_payment'",
        "CREATE INDEX orders_unpaid_by_visitor ON orders (visitor_id) WHERE status = 'pending_payment'",
    ])
}
