import SQLKit
import TuikeCore

/// One click as recorded (docs/rules.md §3).
public struct ClickRecord: Sendable, Equatable {
    public let id: String
    public let linkID: String
    public let promoterID: String
    public let productID: String?
    public let visitorID: String
    public let at: Instant
    public let ip: String?
    public let userAgent: String?
    public let referrer: String?
    public let isBot: Bool
    /// The material shared (`MaterialKey`), when the URL followed named one.
    public let source: String?
    /// The visitor's device (`RiskOrigin.deviceHash`), when /tuike.js or the integrator sent one.
    public let deviceHash: String?

    public init(id: String, linkID: String, promoterID: String, productID: String?, visitorID: String, at: Instant,
                ip: String?, userAgent: String?, referrer: String?, isBot: Bool, source: String? = nil, deviceHash: String? = nil) {
        self.id = id
        self.linkID = linkID
        self.promoterID = promoterID
        self.productID = productID
        self.visitorID = visitorID
        self.at = at
        self.ip = ip
        self.userAgent = userAgent
        self.referrer = referrer
        self.isBot = isBot
        self.source = source
        self.deviceHash = deviceHash
    }
}

public struct ClickRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    /// Rows per INSERT: 12 binds each stays far below SQLite's and PostgreSQL's bind limits.
    static let rowsPerStatement = 400

    /// Inserts the clicks in one transaction; a batch that fits one INSERT (on PostgreSQL) is
    /// written with `Database.writeStatement`.
    public func insert(_ clicks: [ClickRecord]) async throws {
        guard !clicks.isEmpty else { return }
        if clicks.count <= Self.rowsPerStatement {
            try await database.writeStatement { db in try await Self.insertRows(clicks[...], into: db) }
            return
        }
        try await database.write { db in
            for start in stride(from: 0, to: clicks.count, by: Self.rowsPerStatement) {
                try await Self.insertRows(clicks[start..<min(start + Self.rowsPerStatement, clicks.count)], into: db)
            }
        }
    }

    static let insertStatement = RowInsert(
        into: "clicks", columns: ["id", "link_id", "promoter_id", "product_id", "visitor_id", "at", "ip", "user_agent", "referrer", "is_bot", "source", "device_hash"])

    static func insertRows(_ clicks: ArraySlice<ClickRecord>, into db: any SQLDatabase) async throws {
        try await db.insertRows(
            insertStatement,
            rows: clicks.map { click in
                [.text(click.id), .text(click.linkID), .text(click.promoterID), RowValue(click.productID), .text(click.visitorID),
                 .int(click.at.milliseconds), RowValue(click.ip), RowValue(click.userAgent), RowValue(click.referrer), .int(click.isBot ? 1 : 0), RowValue(click.source),
                 RowValue(click.deviceHash)]
            })
    }

    public func count() async throws -> Int64 {
        try await database.read { db in try await db.one("SELECT COUNT(*) AS n FROM clicks").decode(column: "n", as: Int64.self) }
    }

    public struct DayStats: Sendable, Equatable {
        public let day: String
        public let pv: Int64
        public let uv: Int64
        public let bots: Int64
        /// Human clicks that were scans of a QR code (alone or on a poster).
        public let qr: Int64
    }

    public enum Scope: Sendable {
        case promoter(String)
        case link(String)
    }

    static func filter(_ scope: Scope) -> SQLQueryString {
        switch scope {
        // Through the promoter's links: the click table keeps one index fewer on the hot insert path.
        case .promoter(let id): "c.link_id IN (SELECT l.id FROM links l WHERE l.promoter_id = \(bind: id))"
        case .link(let id): "c.link_id = \(bind: id)"
        }
    }
}
