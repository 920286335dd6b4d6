import PostgresNIO
import SQLKit

/// Writes of one transaction that return nothing and do not read each other's rows, sent
/// together. On PostgreSQL they become one statement, each a data-modifying `WITH` query, so a
/// payment's eight inserts cost one round trip instead of eight. There they all see the snapshot
/// taken before the statement, which is why no statement of a batch may read what another one
/// writes (a delivery names its event by value, not by reading `events`); foreign keys are checked
/// at the end of the whole statement and do see sibling rows. On SQLite they run one after the
/// other in the order they were added (a row before the rows that refer to it), as before: its
/// statements are calls, not round trips.
struct StatementBatch: Sendable {
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

    /// Runs `requirement`, a statement that returns a row when the batch is to be written (a
    /// conditional UPDATE, an INSERT … ON CONFLICT DO NOTHING, each with RETURNING), and the batch
    /// only if it did; returns whether it did. Meant for `Database.writeStatement`, where on
    /// PostgreSQL there is no transaction around the body: there all of it is one statement,
    /// `WITH r AS (requirement), s0 AS (…) … SELECT CAST(…) FROM r`, whose final cast fails when
    /// the requirement found no row, so that the server undoes the whole statement (its log says
    /// `invalid input syntax for type integer: "tuike: requirement unmet, nothing written"`).
    /// Its parts all run whatever the others find, so a sibling may fail first on what the
    /// requirement would have ruled out (a payment_id taken, a line of an order that was not
    /// inserted): a unique or foreign key violation also means "not written". The caller then
    /// goes the long way, in a transaction that reads before it writes, and learns there what
    /// happened. A batch that cannot be one statement (see `combined`) returns false without
    /// running anything. On SQLite the body is a transaction: they run in order, the batch only
    /// after the requirement found its row.
    func runAlone(requiring requirement: SQLQueryString, in db: any SQLDatabase) async throws -> Bool {
        guard let postgres = db as? PostgresDirectDatabase else {
            guard try await db.first(requirement) != nil else { return false }
            try await run(in: db)
            return true
        }
        guard rowValues <= Self.combinedValueLimit, let combined = combined(requiring: requirement, serializedBy: postgres) else { return false }
        do {
            try await postgres.run(combined) { _ in }
            return true
        } catch let error as PSQLError where Self.unmet.contains(error.serverInfo?[.sqlState] ?? "") {
            return false
        }
    }

    /// invalid_text_representation (the requirement's cast), unique_violation, foreign_key_violation.
    private static let unmet: Set<String> = ["22P02", "23505", "23503"]

    /// Fails at run time unless `r` returned a row. A constant that failed would fail at planning,
    /// whatever `r` returns: the CASE keeps the text to cast unknown until `r` has run.
    static let requirementCheck = """
         SELECT CAST(CASE WHEN COUNT(*) = 0 THEN 'tuike: requirement unmet, nothing written' ELSE '1' END AS INTEGER) FROM r
        """

    /// `WITH s0 AS (…), s1 AS (…) SELECT 1`, or nil when a query's binds or text keep it off the
    /// direct path (see `PostgresStatement.append`); the batch then runs statement by statement.
    /// With a `requirement`, it comes first as `r` and the statement fails unless it returned a row
    /// (`runAlone`).
    func combined(requiring requirement: SQLQueryString? = nil, serializedBy db: PostgresDirectDatabase) -> PostgresStatement? {
        var combined = PostgresStatement(capacity: rowValues)
        combined.append(raw: "WITH ")
        if let requirement {
            combined.append(raw: "r AS (")
            guard combined.append(requirement, serializedBy: db) else { return nil }
            combined.append(raw: statements.isEmpty ? ")" : "), ")
        }
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
        combined.append(raw: requirement == nil ? " SELECT 1" : Self.requirementCheck)
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
