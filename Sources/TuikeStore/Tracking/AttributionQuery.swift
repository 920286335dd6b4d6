import SQLKit
import TuikeCore

/// Gathers what docs/rules.md §3 needs from the store and lets `Attribution.decide` choose. Orders
/// call it at creation and keep the result as their attribution snapshot.
public struct AttributionQuery: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public struct Request: Sendable {
        public var buyerID: String
        public var visitorID: String?
        public var clickID: String?
        public var couponPromoterID: String?

        public init(buyerID: String, visitorID: String? = nil, clickID: String? = nil, couponPromoterID: String? = nil) {
            self.buyerID = buyerID
            self.visitorID = visitorID
            self.clickID = clickID
            self.couponPromoterID = couponPromoterID
        }
    }

    public func attribute(_ request: Request, settings: ProgramSettings, now: Instant) async throws -> Attribution.Result {
        try await attributeWithUpline(request, settings: settings, now: now).result
    }

    /// The attribution and the upline (levels 2 and 3) of the promoter it chose, for the order's
    /// snapshot.
    public func attributeWithUpline(_ request: Request, settings: ProgramSettings, now: Instant) async throws
        -> (result: Attribution.Result, parent: String?, grandparent: String?) {
        let since = now.adding(milliseconds: -settings.windowDays * 86_400_000)
        let found = try await database.read { db in try await Self.gather(request, since: since, until: now, in: db) }
        let result = Attribution.decide(Attribution.Input(
            buyerID: request.buyerID, now: now, model: settings.attributionModel, windowDays: settings.windowDays,
            binding: found.binding, couponPromoterID: request.couponPromoterID, clicks: found.clicks,
            promoters: found.promoters.mapValues(\.candidate)))
        let chosen = result.promoterID.flatMap { found.promoters[$0] }
        return (result, chosen?.parent, chosen?.grandparent)
    }

    struct Found {
        var clicks: [Attribution.Click] = []
        var binding: Attribution.Binding?
        var promoters: [String: (candidate: Attribution.Candidate, parent: String?, grandparent: String?)] = [:]
    }

    /// The visitor's clicks in the window (or the one click named), the buyer's binding, and every
    /// promoter these or the coupon name, with their parent and grandparent: one statement, where
    /// it was three round trips on PostgreSQL. Rows of the three kinds share one column list, each
    /// filling its own columns; the earliest 1,000 clicks count.
    static func gather(_ request: Request, since: Instant, until: Instant, in db: any SQLDatabase) async throws -> Found {
        let clickFilter: SQLQueryString = if let clickID = request.clickID {
            "id = \(bind: clickID)"
        } else if let visitorID = request.visitorID {
            "visitor_id = \(bind: visitorID)"
        } else {
            "1 = 0"
        }
        let coupon: SQLQueryString = request.couponPromoterID.map { " UNION SELECT \(bind: $0)" } ?? ""
        var found = Found()
        for row in try await db.rows("""
            WITH c AS (
                SELECT \(unsafeRaw: Self.clickColumns) FROM clicks
                WHERE \(clickFilter) AND at >= \(bind: since.milliseconds) AND at <= \(bind: until.milliseconds) ORDER BY at, id LIMIT 1000),
            b AS (SELECT promoter_id, expires_at FROM bindings WHERE buyer_id = \(bind: request.buyerID)),
            named AS (SELECT promoter_id AS id FROM c UNION SELECT promoter_id FROM b\(coupon))
            SELECT 'click' AS kind, \(unsafeRaw: Self.clickColumns),
                NULL AS status, NULL AS buyer_id, NULL AS parent_id, NULL AS grandparent_id FROM c
            UNION ALL SELECT 'binding', NULL, NULL, promoter_id, NULL, expires_at, NULL, NULL, NULL, NULL, NULL FROM b
            UNION ALL SELECT 'promoter', p.id, NULL, NULL, NULL, NULL, NULL, p.status, p.buyer_id, p.parent_id, q.parent_id
            FROM promoters p LEFT JOIN promoters q ON q.id = p.parent_id WHERE p.id IN (SELECT id FROM named)
            """) {
            switch try row.decode(column: "kind", as: String.self) {
            case "click":
                found.clicks.append(try Self.click(row))
            case "binding":
                found.binding = Attribution.Binding(promoterID: try row.decode(column: "promoter_id", as: String.self),
                                                    expiresAt: try row.decodeOptionalInstant(column: "at"))
            default:
                found.promoters[try row.decode(column: "id", as: String.self)] = (
                    Attribution.Candidate(status: try row.decodeEnum(column: "status", as: Promoter.Status.self),
                                          buyerID: try row.decode(column: "buyer_id", as: String?.self)),
                    try row.decode(column: "parent_id", as: String?.self), try row.decode(column: "grandparent_id", as: String?.self))
            }
        }
        return found
    }

    /// What attribution reads of a click, in this order.
    private static let clickColumns = "id, link_id, promoter_id, visitor_id, at, is_bot"

    private static func click(_ row: any SQLRow) throws -> Attribution.Click {
        Attribution.Click(
            id: try row.decode(column: "id", as: String.self), linkID: try row.decode(column: "link_id", as: String.self),
            promoterID: try row.decode(column: "promoter_id", as: String.self), visitorID: try row.decode(column: "visitor_id", as: String.self),
            at: try row.decodeInstant(column: "at"), isBot: try row.decode(column: "is_bot", as: Int64.self) != 0)
    }
}
