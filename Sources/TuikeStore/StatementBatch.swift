import SQLKit

/// Writes of one transaction that return nothing and do not read each other's rows, sent
/// together. On PostgreSQL they become one statement, each a data-modifying `WITH` query, so a
/// payment's eight inserts cost one round trip instead of eight. There they all see the snapshot
/// taken before the statement, which is why no statement of a batch may read what another one
/// writes (a delivery names its event by value, not by reading `events`); foreign keys are checked
/// at the end of the whole statement and do see sibling rows. On SQLite they run one after the
/// other in the order they were added (a row before the rows that refer to it), as before: its
/// statements are calls, not round trips.
struct StatementBatch {
    private enum Statement {
        case query(SQLQueryString)
        case rows(RowInsert, [[RowValue]])
    }

    private var statements: [Statement] = []

    mutating func add(_ query: SQLQueryString?) {
        if let query { statements.append(.query(query)) }
    }

    mutating func insert(_ insert: RowInsert, rows: [[RowValue]]) {
        if !rows.isEmpty { statements.append(.rows(insert, rows)) }
    }

    /// Runs the statements inside the caller's transaction.
    func run(in db: any SQLDatabase) async throws {
        guard statements.count > 1, db is PostgresDirectDatabase, rowValues <= Self.combinedValueLimit else {
            for statement in statements {
                switch statement {
                case .query(let query): try await db.execute(query)
                case .rows(let insert, let rows): try await db.insertRows(insert, rows: rows)
                }
            }
            return
        }
        var combined: SQLQueryString = "WITH "
        for (index, statement) in statements.enumerated() {
            if index > 0 { combined += ", " }
            combined += "s\(unsafeRaw: String(index)) AS (\(Self.query(statement)))"
        }
        combined += " SELECT 1"
        try await db.execute(combined)
    }

    /// A statement carries at most 65,535 binds (PostgresNIO traps beyond that); a batch whose rows
    /// come near it (a large journal write) runs its statements one by one, each kept within the
    /// limit by its caller. Rows' values are counted, NULLs included, other statements' binds not:
    /// they are few.
    static let combinedValueLimit = 30_000

    private var rowValues: Int {
        statements.reduce(0) { total, statement in
            guard case .rows(_, let rows) = statement else { return total }
            return total + rows.reduce(0) { $0 + $1.count }
        }
    }

    private static func query(_ statement: Statement) -> SQLQueryString {
        switch statement {
        case .query(let query):
            return query
        case .rows(let insert, let rows):
            var query: SQLQueryString = "\(unsafeRaw: insert.postgresPrefix)"
            for (index, row) in rows.enumerated() {
                query += index == 0 ? "(" : ", ("
                for (column, value) in row.enumerated() {
                    if column > 0 { query += ", " }
                    switch value {
                    case .text(let text): query += "\(bind: text)"
                    case .int(let number): query += "\(bind: number)"
                    case .null: query += "NULL"
                    }
                }
                query += ")"
            }
            return query
        }
    }
}
