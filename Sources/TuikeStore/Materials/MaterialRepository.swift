import Foundation
import SQLKit
import TuikeCore

/// Product media, poster templates, copy templates, shares and the measured effect of each
/// material: what the material center and posters read.
public struct MaterialRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    // MARK: Product media

    public func productMedia(_ productID: String) async throws -> ProductMedia? {
        try await productMedia([productID])[productID]
    }

    public func productMedia(_ productIDs: [String]) async throws -> [String: ProductMedia] {
        guard !productIDs.isEmpty else { return [:] }
        return try await database.read { db in
            var result: [String: ProductMedia] = [:]
            for row in try await db.rows("""
                SELECT product_id, cover_media_id, gallery, video_url, video_cover_media_id, detail FROM product_media
                WHERE product_id IN (\(SQLList(productIDs.map { SQLBind($0) })))
                """) {
                let gallery = try JSONDecoder().decode([String].self, from: Data(try row.decode(column: "gallery", as: String.self).utf8))
                result[try row.decode(column: "product_id", as: String.self)] = ProductMedia(
                    coverMediaID: try row.decode(column: "cover_media_id", as: String?.self), gallery: gallery,
                    videoURL: try row.decode(column: "video_url", as: String?.self), videoCoverMediaID: try row.decode(column: "video_cover_media_id", as: String?.self),
                    detail: try row.decode(column: "detail", as: String.self))
            }
            return result
        }
    }

    public func saveProductMedia(_ productID: String, _ media: ProductMedia, at now: Instant) async throws {
        let gallery = String(decoding: try JSONEncoder().encode(media.gallery), as: UTF8.self)
        try await database.write { db in
            try await db.execute("""
                INSERT INTO product_media (product_id, cover_media_id, gallery, video_url, video_cover_media_id, detail, updated_at)
                VALUES (\(bind: productID), \(bind: media.coverMediaID), \(bind: gallery), \(bind: media.videoURL), \(bind: media.videoCoverMediaID),
                        \(bind: media.detail), \(bind: now.milliseconds))
                ON CONFLICT (product_id) DO UPDATE SET cover_media_id = excluded.cover_media_id, gallery = excluded.gallery,
                    video_url = excluded.video_url, video_cover_media_id = excluded.video_cover_media_id, detail = excluded.detail,
                    updated_at = excluded.updated_at
                """)
        }
    }

    // MARK: Poster templates

    static let posterColumns = "id, name, layout, brand_colour, background_colour, background_media_id, copy_line, status, created_at, updated_at, badge_id"

    public func posterTemplates(activeOnly: Bool) async throws -> [PosterTemplate] {
        try await database.read { db in
            try await db.rows("""
                SELECT \(unsafeRaw: Self.posterColumns) FROM poster_templates \(unsafeRaw: activeOnly ? "WHERE status = 'active'" : "")
                ORDER BY created_at, id
                """).map(Self.decodePoster)
        }
    }

    public func posterTemplate(_ id: String) async throws -> PosterTemplate? {
        try await database.read { db in
            try await db.first("SELECT \(unsafeRaw: Self.posterColumns) FROM poster_templates WHERE id = \(bind: id)").map(Self.decodePoster)
        }
    }

    /// Adds a template; a taken id is a conflict, and so is a catalogue already at its limit.
    public func createPosterTemplate(_ template: PosterTemplate) async throws {
        try await database.write { db in
            let count = try await db.one("SELECT COUNT(*) AS n FROM poster_templates").decode(column: "n", as: Int64.self)
            guard count < PosterTemplate.maxTemplates else {
                throw TuikeError(.conflict, code: "limit_reached", "a program keeps at most \(PosterTemplate.maxTemplates) poster templates; archive or edit one")
            }
            guard try await db.first("""
                INSERT INTO poster_templates (\(unsafeRaw: Self.posterColumns))
                VALUES (\(bind: template.id), \(bind: template.name), \(bind: template.layout.rawValue), \(bind: template.brandColour),
                        \(bind: template.backgroundColour), \(bind: template.backgroundMediaID), \(bind: template.copyLine), \(bind: template.status.rawValue),
                        \(bind: template.createdAt.milliseconds), \(bind: template.updatedAt.milliseconds), \(bind: template.badgeID))
                ON CONFLICT DO NOTHING RETURNING id
                """) != nil else {
                throw TuikeError(.conflict, code: "already_exists", "a poster template \(template.id) already exists")
            }
        }
    }

    public func updatePosterTemplate(_ template: PosterTemplate) async throws {
        try await database.write { db in
            try await db.execute("""
                UPDATE poster_templates SET name = \(bind: template.name), layout = \(bind: template.layout.rawValue),
                    brand_colour = \(bind: template.brandColour), background_colour = \(bind: template.backgroundColour),
                    background_media_id = \(bind: template.backgroundMediaID), copy_line = \(bind: template.copyLine),
                    status = \(bind: template.status.rawValue), updated_at = \(bind: template.updatedAt.milliseconds), badge_id = \(bind: template.badgeID)
                WHERE id = \(bind: template.id)
                """)
        }
    }

    static func decodePoster(_ row: any SQLRow) throws -> PosterTemplate {
        PosterTemplate(
            id: try row.decode(column: "id", as: String.self), name: try row.decode(column: "name", as: String.self),
            layout: try row.decodeEnum(column: "layout", as: PosterTemplate.Layout.self),
            brandColour: try row.decode(column: "brand_colour", as: String.self), backgroundColour: try row.decode(column: "background_colour", as: String.self),
            backgroundMediaID: try row.decode(column: "background_media_id", as: String?.self), copyLine: try row.decode(column: "copy_line", as: String.self),
            status: try row.decodeEnum(column: "status", as: PosterTemplate.Status.self), badgeID: try row.decode(column: "badge_id", as: String?.self),
            createdAt: try row.decodeInstant(column: "created_at"), updatedAt: try row.decodeInstant(column: "updated_at"))
    }

    // MARK: Copy templates

    static let copyColumns = "id, product_id, text, status, created_at, updated_at, badge_id"

    /// A product's texts and the ones for every product (`productID` nil: all of them), oldest first.
    public func copyTemplates(productID: String?, activeOnly: Bool) async throws -> [CopyTemplate] {
        try await database.read { db in
            let scope: SQLQueryString? = productID.map { "(product_id = \(bind: $0) OR product_id IS NULL)" }
            let active: SQLQueryString? = activeOnly ? "status = 'active'" : nil
            return try await db.rows("""
                SELECT \(unsafeRaw: Self.copyColumns) FROM copy_templates WHERE \(SQLQueryString.all([scope, active])) ORDER BY id LIMIT \(bind: CopyTemplate.maxTemplates)
                """).map(Self.decodeCopy)
        }
    }

    public func copyTemplate(_ id: String) async throws -> CopyTemplate? {
        try await database.read { db in
            try await db.first("SELECT \(unsafeRaw: Self.copyColumns) FROM copy_templates WHERE id = \(bind: id)").map(Self.decodeCopy)
        }
    }

    public func createCopyTemplate(_ copy: CopyTemplate) async throws {
        try await database.write { db in
            let count = try await db.one("SELECT COUNT(*) AS n FROM copy_templates").decode(column: "n", as: Int64.self)
            guard count < CopyTemplate.maxTemplates else {
                throw TuikeError(.conflict, code: "limit_reached", "a program keeps at most \(CopyTemplate.maxTemplates) copy templates; archive or edit one")
            }
            try await db.execute("""
                INSERT INTO copy_templates (\(unsafeRaw: Self.copyColumns))
                VALUES (\(bind: copy.id), \(bind: copy.productID), \(bind: copy.text), \(bind: copy.status.rawValue),
                        \(bind: copy.createdAt.milliseconds), \(bind: copy.updatedAt.milliseconds), \(bind: copy.badgeID))
                """)
        }
    }

    public func updateCopyTemplate(_ copy: CopyTemplate) async throws {
        try await database.write { db in
            try await db.execute("""
                UPDATE copy_templates SET product_id = \(bind: copy.productID), text = \(bind: copy.text), status = \(bind: copy.status.rawValue),
                    updated_at = \(bind: copy.updatedAt.milliseconds), badge_id = \(bind: copy.badgeID) WHERE id = \(bind: copy.id)
                """)
        }
    }

    static func decodeCopy(_ row: any SQLRow) throws -> CopyTemplate {
        CopyTemplate(id: try row.decode(column: "id", as: String.self), productID: try row.decode(column: "product_id", as: String?.self),
                     text: try row.decode(column: "text", as: String.self), status: try row.decodeEnum(column: "status", as: CopyTemplate.Status.self),
                     badgeID: try row.decode(column: "badge_id", as: String?.self), createdAt: try row.decodeInstant(column: "created_at"), updatedAt: try row.decodeInstant(column: "updated_at"))
    }

    // MARK: Shares and effects

    /// At most this many shares of one item by one promoter count in a day: shares only order the
    /// material center, and a script tapping "copy" must not reorder it for everyone.
    public static let maxSharesPerDay: Int64 = 20

    /// Counts one share of `item` (a material key: `qr`, `p.<template>`, `t.<copy>`, `m.<media>`).
    public func recordShare(promoterID: String, productID: String, item: String, day: String) async throws {
        try await database.write { db in
            try await db.execute("""
                INSERT INTO material_shares (promoter_id, product_id, item, day, shares)
                VALUES (\(bind: promoterID), \(bind: productID), \(bind: item), \(bind: day), 1)
                ON CONFLICT (product_id, item, promoter_id, day) DO UPDATE SET shares = material_shares.shares + 1
                WHERE material_shares.shares < \(bind: Self.maxSharesPerDay)
                """)
        }
    }

    public struct Effect: Sendable, Equatable {
        public var shares: Int64 = 0
        public var clicks: Int64 = 0
        public var paidOrders: Int64 = 0
        public init(shares: Int64 = 0, clicks: Int64 = 0, paidOrders: Int64 = 0) {
            (self.shares, self.clicks, self.paidOrders) = (shares, clicks, paidOrders)
        }
    }

    /// Each material of each product, over all promoters and all time: shares, and the human
    /// clicks and paid orders that came through it, from the rolled-up days
    /// (`DayFigures.Scope.material`). Two reads for any number of products.
    public func effects(productIDs: [String]) async throws -> [String: [String: Effect]] {
        guard !productIDs.isEmpty else { return [:] }
        let wanted = Set(productIDs)
        return try await database.read { db in
            var result: [String: [String: Effect]] = [:]
            let prefix = "material:"
            for row in try await db.rows("""
                SELECT scope, clicks, paid_orders FROM scope_totals WHERE scope >= \(bind: prefix) AND scope < \(bind: "material;")
                """) {
                let parts = try row.decode(column: "scope", as: String.self).dropFirst(prefix.count).split(separator: ":", maxSplits: 1)
                guard parts.count == 2, wanted.contains(String(parts[0])) else { continue }
                let (product, item) = (String(parts[0]), String(parts[1]))
                result[product, default: [:]][item, default: Effect()].clicks = try row.decode(column: "clicks", as: Int64.self)
                result[product, default: [:]][item, default: Effect()].paidOrders = try row.decode(column: "paid_orders", as: Int64.self)
            }
            for row in try await db.rows("""
                SELECT product_id, item, CAST(SUM(shares) AS BIGINT) AS n FROM material_shares
                WHERE product_id IN (\(SQLList(productIDs.map { SQLBind($0) }))) GROUP BY product_id, item
                """) {
                let product = try row.decode(column: "product_id", as: String.self), item = try row.decode(column: "item", as: String.self)
                result[product, default: [:]][item, default: Effect()].shares = try row.decode(column: "n", as: Int64.self)
            }
            return result
        }
    }
}
