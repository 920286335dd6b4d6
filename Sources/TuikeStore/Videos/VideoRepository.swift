import SQLKit
import TuikeCore

/// Videos, the products they show, the platform's numbers per day, and the performance table that
/// puts those beside Tuike's own: clicks on links that name the video, and the paid orders
/// attributed to those clicks with their GMV (less refunds) and commission (less reversals).
public struct VideoRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    static let migration = Migration(version: 26, name: "videos", statements: [
        """
        CREATE TABLE videos (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            url TEXT NOT NULL,
            cover_media_id TEXT,
            product_ids TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('active', 'archived')),
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        "ALTER TABLE links ADD COLUMN video_id TEXT",
        "CREATE INDEX links_by_video ON links (video_id, promoter_id) WHERE video_id IS NOT NULL",
        """
        CREATE TABLE video_stats (
            video_id TEXT NOT NULL REFERENCES videos (id),
            promoter_key TEXT NOT NULL,
            day TEXT NOT NULL,
            plays BIGINT NOT NULL,
            likes BIGINT NOT NULL,
            comments BIGINT NOT NULL,
            shares BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (video_id, promoter_key, day)
        )
        """,
    ])

    static let columns = "id, title, url, cover_media_id, product_ids, status, created_at"

    public func create(_ video: Video, at now: Instant) async throws {
        try await database.write { db in
            try await db.execute("""
                INSERT INTO videos (id, title, url, cover_media_id, product_ids, status, created_at, updated_at)
                VALUES (\(bind: video.id), \(bind: video.title), \(bind: video.url), \(bind: video.coverMediaID), \(bind: try StoredJSON.encode(video.productIDs)),
                        \(bind: video.status.rawValue), \(bind: now.milliseconds), \(bind: now.milliseconds))
                """)
        }
    }

    public func update(_ video: Video, at now: Instant) async throws {
        try await database.write { db in
            try await db.execute("""
                UPDATE videos SET title = \(bind: video.title), url = \(bind: video.url), cover_media_id = \(bind: video.coverMediaID),
                    product_ids = \(bind: try StoredJSON.encode(video.productIDs)), status = \(bind: video.status.rawValue), updated_at = \(bind: now.milliseconds)
                WHERE id = \(bind: video.id)
                """)
        }
    }

    public func find(_ id: String) async throws -> Video? {
        try await database.read { db in try await db.first("SELECT \(unsafeRaw: Self.columns) FROM videos WHERE id = \(bind: id)").map(Self.decode) }
    }

    public func list(status: Video.Status?, limit: Int, before: String?) async throws -> [Video] {
        try await database.read { db in
            let condition = SQLQueryString.all([status.map { "status = \(bind: $0.rawValue)" }, before.map { "id < \(bind: $0)" }])
            return try await db.rows("SELECT \(unsafeRaw: Self.columns) FROM videos WHERE \(condition) ORDER BY id DESC LIMIT \(bind: limit)").map(Self.decode)
        }
    }

    /// Stores a day's numbers, replacing what was pushed for that day before (idempotent).
    public func record(_ stats: VideoDayStats, at now: Instant) async throws {
        try await database.write { db in
            try await db.execute("""
                INSERT INTO video_stats (video_id, promoter_key, day, plays, likes, comments, shares, updated_at)
                VALUES (\(bind: stats.videoID), \(bind: stats.promoterID ?? ""), \(bind: stats.day), \(bind: stats.plays), \(bind: stats.likes),
                        \(bind: stats.comments), \(bind: stats.shares), \(bind: now.milliseconds))
                ON CONFLICT (video_id, promoter_key, day) DO UPDATE SET plays = excluded.plays, likes = excluded.likes, comments = excluded.comments,
                    shares = excluded.shares, updated_at = excluded.updated_at
                """)
        }
    }

    /// Performance per video (`byPromoter` false: platform numbers of the video's own account;
    /// Tuike's over every promoter's links), or per promoter share of one video or of one
    /// promoter's videos. Days are `from`…`to` inclusive (program days); clicks and orders by time.
    public func performance(videoID: String?, promoterID: String?, byPromoter: Bool, fromDay: String, toDay: String,
                            from: Instant, to: Instant) async throws -> [VideoPerformance] {
        try await database.read { db in
            var rows: [String: VideoPerformance] = [:]
            func key(_ video: String, _ promoter: String?) -> String { "\(video)|\(promoter ?? "")" }
            func entry(_ video: String, _ promoter: String?) -> VideoPerformance {
                rows[key(video, promoter)] ?? VideoPerformance(videoID: video, promoterID: promoter)
            }
            let videoCondition: SQLQueryString = videoID.map { "AND l.video_id = \(bind: $0)" } ?? ""
            let promoterCondition: SQLQueryString = promoterID.map { "AND l.promoter_id = \(bind: $0)" } ?? ""
            let statsPromoter: SQLQueryString = byPromoter ? (promoterID.map { "s.promoter_key = \(bind: $0)" } ?? "s.promoter_key <> ''") : "s.promoter_key = ''"
            let statsVideo: SQLQueryString = videoID.map { "AND s.video_id = \(bind: $0)" } ?? ""
            for row in try await db.rows("""
                SELECT s.video_id, s.promoter_key, CAST(SUM(s.plays) AS BIGINT) AS plays, CAST(SUM(s.likes) AS BIGINT) AS likes,
                    CAST(SUM(s.comments) AS BIGINT) AS comments, CAST(SUM(s.shares) AS BIGINT) AS shares
                FROM video_stats s WHERE \(statsPromoter) \(statsVideo) AND s.day >= \(bind: fromDay) AND s.day <= \(bind: toDay)
                GROUP BY s.video_id, s.promoter_key
                """) {
                let video = try row.decode(column: "video_id", as: String.self), promoterKey = try row.decode(column: "promoter_key", as: String.self)
                let promoter = byPromoter ? promoterKey : nil
                var value = entry(video, promoter)
                value.plays = try row.decode(column: "plays", as: Int64.self)
                value.likes = try row.decode(column: "likes", as: Int64.self)
                value.comments = try row.decode(column: "comments", as: Int64.self)
                value.shares = try row.decode(column: "shares", as: Int64.self)
                rows[key(video, promoter)] = value
            }
            let group: String = byPromoter ? "l.video_id, l.promoter_id" : "l.video_id"
            for row in try await db.rows("""
                SELECT l.video_id, \(unsafeRaw: byPromoter ? "l.promoter_id" : "NULL AS promoter_id"), COUNT(*) AS clicks
                FROM links l JOIN clicks c ON c.link_id = l.id
                WHERE l.video_id IS NOT NULL \(videoCondition) \(promoterCondition) AND c.is_bot = 0
                    AND c.at >= \(bind: from.milliseconds) AND c.at < \(bind: to.milliseconds)
                GROUP BY \(unsafeRaw: group)
                """) {
                let video = try row.decode(column: "video_id", as: String.self), promoter = try row.decode(column: "promoter_id", as: String?.self)
                var value = entry(video, promoter)
                value.clicks = try row.decode(column: "clicks", as: Int64.self)
                rows[key(video, promoter)] = value
            }
            // Orders first, then their commissions (net of reversals) by order, a page of ids at a time.
            var orderKeys: [String: String] = [:]
            for row in try await db.rows("""
                SELECT l.video_id, l.promoter_id, o.id AS order_id, o.amount - o.refunded AS gmv
                FROM links l JOIN clicks c ON c.link_id = l.id JOIN orders o ON o.attribution_click_id = c.id
                WHERE l.video_id IS NOT NULL \(videoCondition) \(promoterCondition) AND o.status IN ('paid', 'partially_refunded', 'refunded')
                    AND o.paid_at >= \(bind: from.milliseconds) AND o.paid_at < \(bind: to.milliseconds)
                """) {
                let video = try row.decode(column: "video_id", as: String.self)
                let promoter = byPromoter ? try row.decode(column: "promoter_id", as: String.self) : nil
                var value = entry(video, promoter)
                value.orders += 1
                value.gmv += try row.decode(column: "gmv", as: Int64.self)
                rows[key(video, promoter)] = value
                orderKeys[try row.decode(column: "order_id", as: String.self)] = key(video, promoter)
            }
            let orderIDs = orderKeys.keys.sorted()
            for start in stride(from: 0, to: orderIDs.count, by: 500) {
                let page = orderIDs[start..<min(start + 500, orderIDs.count)]
                for row in try await db.rows("""
                    SELECT order_id, promoter_id, CAST(SUM(amount - reversed) AS BIGINT) AS net FROM commissions
                    WHERE order_id IN (\(SQLList(page.map { SQLBind($0) }))) GROUP BY order_id, promoter_id
                    """) {
                    guard let key = orderKeys[try row.decode(column: "order_id", as: String.self)] else { continue }
                    // A promoter's row counts that promoter's commission only; a video's, every level's.
                    if byPromoter, let own = rows[key]?.promoterID, own != (try row.decode(column: "promoter_id", as: String.self)) { continue }
                    rows[key]?.commission += try row.decode(column: "net", as: Int64?.self) ?? 0
                }
            }
            return rows.values.sorted { ($0.gmv, $0.clicks, $0.videoID, $0.promoterID ?? "") > ($1.gmv, $1.clicks, $1.videoID, $1.promoterID ?? "") }
        }
    }

    static func decode(_ row: any SQLRow) throws -> Video {
        Video(id: try row.decode(column: "id", as: String.self), title: try row.decode(column: "title", as: String.self),
              url: try row.decode(column: "url", as: String.self), coverMediaID: try row.decode(column: "cover_media_id", as: String?.self),
              productIDs: try StoredJSON.decode([String].self, try row.decode(column: "product_ids", as: String.self)),
              status: try row.decodeEnum(column: "status", as: Video.Status.self), createdAt: try row.decodeInstant(column: "created_at"))
    }
}
