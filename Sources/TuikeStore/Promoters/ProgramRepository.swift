import Foundation
import SQLKit
import TuikeCore

/// The program settings: one row holding the settings as JSON, so that adding a setting later
/// needs no migration. Until an admin saves them, the defaults of docs/rules.md apply.
public struct ProgramRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public func current() async throws -> ProgramSettings {
        try await database.read { db in try await Self.current(in: db) }
    }

    static func current(in db: any SQLDatabase) async throws -> ProgramSettings {
        guard let row = try await db.first("SELECT body FROM program_settings WHERE id = 1") else { return .defaults }
        let body = try row.decode(column: "body", as: String.self)
        return try StoredJSON.settings.decode(body)
    }

    /// The settings and the campaigns running at `instant` (soonest start first), which pricing an
    /// order needs together, in one statement (`current(along:)`).
    public func inForce(at instant: Instant) async throws -> (settings: ProgramSettings, campaigns: [CampaignRule]) {
        try await database.read { db in
            var campaigns: [CampaignRule] = []
            let settings = try await Self.current(along: """
                SELECT 'campaign', \(unsafeRaw: CampaignRuleRepository.columns) FROM campaign_rules
                WHERE \(CampaignRuleRepository.running(at: instant)) ORDER BY starts_at, id
                """, columns: CampaignRuleRepository.columns, in: db) { campaigns.append(try CampaignRuleRepository.decode($0)) }
            return (settings, campaigns)
        }
    }

    /// The settings and the rows of `others` in one statement, where they were two round trips on
    /// PostgreSQL: `others` is a SELECT of a label and then `columns` (a column list, which must
    /// include `body`, NULL where it has none); the settings' row comes first, `'settings'` and
    /// NULLs but for its `body`. `each` gets every row of `others`.
    static func current(along others: SQLQueryString, columns: String, in db: any SQLDatabase,
                        each: (any SQLRow) throws -> Void) async throws -> ProgramSettings {
        let settingsColumns = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .map { $0 == "body" ? "body" : "NULL AS \($0)" }.joined(separator: ", ")
        var settings = ProgramSettings.defaults
        for row in try await db.rows("""
            SELECT 'settings' AS kind, \(unsafeRaw: settingsColumns) FROM program_settings WHERE id = 1 UNION ALL \(others)
            """) {
            if try row.decode(column: "kind", as: String.self) == "settings" {
                settings = try StoredJSON.settings.decode(try row.decode(column: "body", as: String.self))
            } else {
                try each(row)
            }
        }
        return settings
    }

    /// Stores validated settings; the caller has validated them.
    public func save(_ settings: ProgramSettings, at now: Instant) async throws {
        let body = String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)
        try await database.write { db in
            try await db.execute("""
                INSERT INTO program_settings (id, body, revision, updated_at) VALUES (1, \(bind: body), 1, \(bind: now.milliseconds))
                ON CONFLICT (id) DO UPDATE SET body = excluded.body, revision = program_settings.revision + 1,
                    updated_at = excluded.updated_at
                """)
        }
    }
}
