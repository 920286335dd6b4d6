import SQLKit
import TuikeCore

/// A promoter's tracked link: `/r/{code}` leads to a product page or a target on the merchant's site.
public struct Link: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable { case active, disabled }
    public let id: String
    public let code: String
    public let promoterID: String
    public let productID: String?
    public let targetURL: String?
    public let status: Status
    public let createdAt: Instant
    /// The video (视频号) the link shares, if any: its clicks and orders count for the video.
    public let videoID: String?

    public init(id: String, code: String, promoterID: String, productID: String?, targetURL: String?, status: Status, createdAt: Instant,
                videoID: String? = nil) {
        self.videoID = videoID
        self.id = id
        self.code = code
        self.promoterID = promoterID
        self.productID = productID
        self.targetURL = targetURL
        self.status = status
        self.createdAt = createdAt
    }

    /// 10 base62 characters: about 59 bits, unguessable and short enough for a QR code.
    public static func makeCode() -> String { Identifier.secret(length: 10) }
}

public struct LinkRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    static let columns = "id, code, promoter_id, product_id, target_url, status, created_at, video_id"

    /// Creates a link for an active promoter and, if given, an existing product.
    public func create(promoterID: String, productID: String?, targetURL: String?, videoID: String? = nil, at now: Instant) async throws -> Link {
        try await database.write { db in
            guard let promoter = try await PromoterRepository.find(promoterID, in: db) else { throw TuikeError.notFound("promoter", promoterID) }
            guard promoter.status == .active else {
                throw TuikeError(.conflict, code: "promoter_not_active", "promoter \(promoterID) is \(promoter.status.rawValue); only active promoters get links")
            }
            if let productID, try await db.first("SELECT id FROM products WHERE id = \(bind: productID) AND status = 'active'") == nil {
                throw TuikeError.validation("product_id \(productID) is not an active product")
            }
            if let videoID {
                guard let video = try await db.first("SELECT product_ids FROM videos WHERE id = \(bind: videoID) AND status = 'active'") else {
                    throw TuikeError.validation("video_id \(videoID) is not an active video")
                }
                // A link that names both shares that product from that video: the video must show it.
                let shown = try StoredJSON.decode([String].self, try video.decode(column: "product_ids", as: String.self))
                if let productID, !shown.contains(productID) {
                    throw TuikeError.validation("video \(videoID) does not show product \(productID); add it to the video's product_ids first")
                }
            }
            for _ in 0..<5 {
                let link = Link(id: Identifier.make("lnk", at: now), code: Link.makeCode(), promoterID: promoterID, productID: productID,
                                targetURL: targetURL, status: .active, createdAt: now, videoID: videoID)
                let inserted = try await db.first("""
                    INSERT INTO links (id, code, promoter_id, product_id, target_url, status, created_at, video_id)
                    VALUES (\(bind: link.id), \(bind: link.code), \(bind: promoterID), \(bind: productID), \(bind: targetURL), 'active', \(bind: now.milliseconds),
                            \(bind: videoID))
                    ON CONFLICT DO NOTHING RETURNING id
                    """)
                if inserted != nil { return link }
            }
            throw TuikeError(.conflict, code: "code_exhausted", "could not allocate a link code; try again")
        }
    }

    /// The promoter's link to each product (its oldest active one without a target), making the
    /// missing ones: what the material center shares. The promoter's row is locked first, so two
    /// concurrent calls never make two links for one product.
    public func productLinks(promoterID: String, productIDs: [String], at now: Instant) async throws -> [String: Link] {
        guard !productIDs.isEmpty else { return [:] }
        // Nearly always every link exists: a read, without taking the writer.
        let existing = try await database.read { db in try await Self.productLinks(promoterID: promoterID, productIDs: productIDs, in: db) }
        if productIDs.allSatisfy({ existing[$0] != nil }) { return existing }
        let dialect = database.dialect
        return try await database.write { db in
            guard let promoter = try await db.first("SELECT status FROM promoters WHERE id = \(bind: promoterID)\(unsafeRaw: dialect.forUpdate)") else {
                throw TuikeError.notFound("promoter", promoterID)
            }
            var found = try await Self.productLinks(promoterID: promoterID, productIDs: productIDs, in: db)
            let missing = productIDs.filter { found[$0] == nil }
            guard !missing.isEmpty else { return found }
            guard try promoter.decode(column: "status", as: String.self) == Promoter.Status.active.rawValue else {
                throw TuikeError(.conflict, code: "promoter_not_active", "promoter \(promoterID) is not active; only active promoters get links")
            }
            for product in missing {
                for _ in 0..<5 {
                    let link = Link(id: Identifier.make("lnk", at: now), code: Link.makeCode(), promoterID: promoterID, productID: product,
                                    targetURL: nil, status: .active, createdAt: now)
                    if try await db.first("""
                        INSERT INTO links (id, code, promoter_id, product_id, target_url, status, created_at)
                        VALUES (\(bind: link.id), \(bind: link.code), \(bind: promoterID), \(bind: product), NULL, 'active', \(bind: now.milliseconds))
                        ON CONFLICT DO NOTHING RETURNING id
                        """) != nil {
                        found[product] = link
                        break
                    }
                }
            }
            return found
        }
    }

    static func productLinks(promoterID: String, productIDs: [String], in db: any SQLDatabase) async throws -> [String: Link] {
        var found: [String: Link] = [:]
        for row in try await db.rows("""
            SELECT \(unsafeRaw: Self.columns) FROM links WHERE promoter_id = \(bind: promoterID) AND status = 'active' AND target_url IS NULL AND video_id IS NULL
                AND product_id IN (\(SQLList(productIDs.map { SQLBind($0) }))) ORDER BY id
            """) {
            let link = try Self.decode(row)
            if let product = link.productID, found[product] == nil { found[product] = link }
        }
        return found
    }

    public func find(code: String) async throws -> Link? {
        try await database.read { db in
            try await db.first("SELECT \(unsafeRaw: Self.columns) FROM links WHERE code = \(bind: code)").map(Self.decode)
        }
    }

    public func list(promoterID: String?, limit: Int, before: String?) async throws -> [Link] {
        try await database.read { db in
            let condition = SQLQueryString.all([promoterID.map { "promoter_id = \(bind: $0)" }, before.map { "id < \(bind: $0)" }])
            return try await db.rows("""
                SELECT \(unsafeRaw: Self.columns) FROM links WHERE \(condition) ORDER BY id DESC LIMIT \(bind: limit)
                """).map(Self.decode)
        }
    }

    public func setStatus(code: String, _ status: Link.Status) async throws -> Link? {
        try await database.write { db in
            try await db.first("UPDATE links SET status = \(bind: status.rawValue) WHERE code = \(bind: code) RETURNING \(unsafeRaw: Self.columns)")
                .map(Self.decode)
        }
    }

    static func decode(_ row: any SQLRow) throws -> Link {
        Link(
            id: try row.decode(column: "id", as: String.self), code: try row.decode(column: "code", as: String.self),
            promoterID: try row.decode(column: "promoter_id", as: String.self), productID: try row.decode(column: "product_id", as: String?.self),
            targetURL: try row.decode(column: "target_url", as: String?.self), status: try row.decodeEnum(column: "status", as: Link.Status.self),
            createdAt: try row.decodeInstant(column: "created_at"), videoID: try row.decode(column: "video_id", as: String?.self))
    }
}
