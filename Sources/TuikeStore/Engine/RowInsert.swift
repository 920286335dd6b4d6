import SQLiteNIO
import SQLKit

/// One value of a row for `insertRows`.
enum RowValue: Sendable {
    case text(String), int(Int64), null

    init(_ text: String?) { self = text.map(RowValue.text) ?? .null }

    var sqlite: SQLiteData {
        switch self {
        case .text(let text): .text(text)
        case .int(let number): .integer(SQLiteInt64(number))
        case .null: .null
        }
    }

    var bind: any SQLExpression {
        switch self {
        case .text(let text): SQLBind(text)
        case .int(let number): SQLBind(number)
        case .null: SQLLiteral.null
        }
    }
}

/// An INSERT of whole rows into one table, its SQLite statement text made once (a `static let`
/// at each call site) rather than on every call.
struct RowInsert: Sendable {
    let table: String
    let columns: [String]
    /// The single-row statement run once per row on SQLite.
    let sqliteSQL: String
    /// `INSERT INTO table (columns) VALUES `, to which PostgreSQL's multi-row statement adds its rows.
    let postgresPrefix: String

    init(into table: String, columns: [String]) {
        self.table = table
        self.columns = columns
        sqliteSQL = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES ("
            + (1...columns.count).map { "?\($0)" }.joined(separator: ", ") + ")"
        postgresPrefix = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
    }
}

extension SQLDatabase {
    /// Inserts `rows` with `statement`. On SQLite one cached single-row statement runs per row with
    /// its values bound directly: SQLKit's builder and value encoder cost more than SQLite's
    /// insert itself (measured on the click path). On PostgreSQL it is one multi-row INSERT, so
    /// keep `rows` within the bind limit. On SQLite run it inside `Database.write`: outside a
    /// transaction every row would be a commit of its own.
    func insertRows(_ statement: RowInsert, rows: some Collection<[RowValue]>) async throws {
        guard !rows.isEmpty else { return }
        if let direct = self as? SQLiteDirectDatabase {
            try direct.runEach(statement.sqliteSQL, rows)
            return
        }
        if let direct = self as? PostgresDirectDatabase {
            try await direct.insertRows(statement, rows: rows)
            return
        }
        var insert = self.insert(into: statement.table).columns(statement.columns)
        for row in rows { insert = insert.values(row.map(\.bind)) }
        try await insert.run()
    }
}
