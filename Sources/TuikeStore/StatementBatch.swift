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
        if statements.count > 1, let postgres = db as? PostgresDirectDatabase, rowValues <= Self.combinedValueLimit,
           let combined = combined(serializedBy: postgres) {
            try await postgres.run(combined) { _ in }
            return
        }
        for statement in statements {
            switch statement {
            case .query(let query): try await db.execute(query)
            case .rows(let insert, let rows): try await db.insertRows(insert, rows: rows)
            }
        }
    }

    /// `WITH s0 AS (…), s1 AS (…) SELECT 1`, or nil when a query's binds or text keep it off the
    /// direct path (see `PostgresStatement.append`); the batch then runs statement by statement.
    func combined(serializedBy db: PostgresDirectDatabase) -> PostgresStatement? {
        var combined = PostgresStatement(capacity: rowValues)
        combined.append(raw: "WITH ")
        for (index, statement) in statements.enumerated() {
            combined.append(raw: index == 0 ? "s0 AS (" : ", s\(index) AS (")
            switch statement {
            case .query(let query):
                guard combined.append(query, serializedBy: db) else { return nil }
            case .rows(let insert, let rows):
                combined.appendRows(insert, rows: rows)
            }
            combined.append(raw: ")")
        }
        combined.append(raw: " SELECT 1")
        return combined
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
}
