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

extension SQLDatabase {
    /// Inserts `rows` into `table`. On SQLite one cached single-row statement runs per row with
    /// its values bound directly: SQLKit's builder and value encoder cost more than SQLite's
    /// insert itself (measured on the click path). Elsewhere it is one multi-row INSERT, so keep
    /// `rows` within the bind limit. On SQLite run it inside `Database.write`: outside a
    /// transaction every row would be a commit of its own.
    func insertRows(into table: String, columns: [String], rows: some Collection<[RowValue]>) async throws {
        guard !rows.isEmpty else { return }
        if let direct = self as? SQLiteDirectDatabase {
            let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES ("
                + (1...columns.count).map { "?\($0)" }.joined(separator: ", ") + ")"
            try direct.runEach(sql, rows)
            return
        }
        var insert = self.insert(into: table).columns(columns)
        for row in rows { insert = insert.values(row.map(\.bind)) }
        try await insert.run()
    }
}
