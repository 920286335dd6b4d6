import SQLKit
import TuikeCore

/// What a poster of a promoter's product link shows, read in one statement: the product and its
/// cover, the promoter's name, the template and its background, the group-buy running for the
/// product and the group shown (the one asked for, or the forming group soonest to expire).
/// One read, so that serving a cached poster costs about what a product read costs.
public struct PosterFacts: Sendable, Equatable {
    public let productTitle: String
    public let productPrice: Int64
    public let productActive: Bool
    public let coverMediaID: String?
    public let coverSHA256: String?
    public let promoterName: String
    public let template: PosterTemplate
    public let backgroundSHA256: String?
    public let campaign: Campaign?
    /// Whether the promoter may use the template: it is for everyone, or the promoter holds its badge.
    public let unlocked: Bool

    public struct Campaign: Sendable, Equatable {
        public let groupPrice: Int64
        public let groupSize: Int64
        /// The group shown: its id, and the paid members it still lacks.
        public let groupID: String?
        public let missing: Int64?
    }
}

extension MaterialRepository {
    public func posterFacts(productID: String, promoterID: String, templateID: String, groupID: String?, at now: Instant) async throws -> PosterFacts? {
        try await database.read { db in
            let prefixed = Self.posterColumns.split(separator: ", ").map { "t.\($0)" }.joined(separator: ", ")
            guard let row = try await db.first("""
                SELECT p.title, p.price, p.status AS product_status, pm.cover_media_id, cm.sha256 AS cover_sha, pr.name AS promoter_name,
                    \(unsafeRaw: prefixed), bm.sha256 AS background_sha,
                    c.group_price, c.group_size, g.id AS group_id, g.size AS group_members_needed, g.paid_members,
                    CASE WHEN t.badge_id IS NULL OR EXISTS (
                        SELECT 1 FROM promoter_badges b WHERE b.promoter_id = pr.id AND b.badge_id = t.badge_id AND b.expires_at > \(bind: now.milliseconds)
                    ) THEN 1 ELSE 0 END AS unlocked
                FROM products p
                JOIN promoters pr ON pr.id = \(bind: promoterID)
                JOIN poster_templates t ON t.id = \(bind: templateID)
                LEFT JOIN product_media pm ON pm.product_id = p.id
                LEFT JOIN media cm ON cm.id = pm.cover_media_id
                LEFT JOIN media bm ON bm.id = t.background_media_id
                LEFT JOIN group_campaigns c ON c.id = (
                    SELECT x.id FROM group_campaigns x WHERE x.product_id = p.id AND x.status = 'active'
                        AND x.starts_at <= \(bind: now.milliseconds) AND x.ends_at > \(bind: now.milliseconds)
                    ORDER BY x.id DESC LIMIT 1)
                LEFT JOIN groups g ON g.campaign_id = c.id AND g.status = 'forming' AND g.expires_at > \(bind: now.milliseconds) AND g.id = COALESCE(\(bind: groupID), (
                    SELECT y.id FROM groups y WHERE y.campaign_id = c.id AND y.status = 'forming' AND y.expires_at > \(bind: now.milliseconds)
                        AND y.paid_members + y.reserved < y.size
                    ORDER BY y.expires_at, y.id LIMIT 1))
                WHERE p.id = \(bind: productID)
                """) else { return nil }
            let campaign: PosterFacts.Campaign?
            if let price = try row.decode(column: "group_price", as: Int64?.self), let size = try row.decode(column: "group_size", as: Int64?.self) {
                let groupID = try row.decode(column: "group_id", as: String?.self)
                var missing: Int64?
                if groupID != nil, let needed = try row.decode(column: "group_members_needed", as: Int64?.self),
                   let paid = try row.decode(column: "paid_members", as: Int64?.self) {
                    missing = max(0, needed - paid)
                }
                campaign = .init(groupPrice: price, groupSize: size, groupID: groupID, missing: missing)
            } else {
                campaign = nil
            }
            return PosterFacts(
                productTitle: try row.decode(column: "title", as: String.self), productPrice: try row.decode(column: "price", as: Int64.self),
                productActive: try row.decode(column: "product_status", as: String.self) == Product.Status.active.rawValue,
                coverMediaID: try row.decode(column: "cover_media_id", as: String?.self), coverSHA256: try row.decode(column: "cover_sha", as: String?.self),
                promoterName: try row.decode(column: "promoter_name", as: String.self), template: try Self.decodePoster(row),
                backgroundSHA256: try row.decode(column: "background_sha", as: String?.self), campaign: campaign,
                unlocked: try row.decode(column: "unlocked", as: Int64.self) != 0)
        }
    }
}
