import PostgresNIO
import SQLKit
import Testing
import TuikeCore
@testable import TuikeStore
import TuikeTestSupport

/// `StatementBatch`: writes sent together (one statement on PostgreSQL) land exactly as if run one
/// by one, foreign keys between them hold, and a failing one changes nothing.
@Suite struct StatementBatchTests {
    static let parent = RowInsert(into: "parent", columns: ["id", "note"])
    static let child = RowInsert(into: "child", columns: ["id", "parent_id"])

    static func withTables<T>(_ database: TestDatabase, _ body: (any Database) async throws -> T) async throws -> T {
        try await database.withDatabase(migrated: false) { store in
            try await store.write { db in
                try await db.execute("CREATE TABLE parent (id TEXT PRIMARY KEY, note TEXT)")
                try await db.execute("CREATE TABLE child (id BIGINT PRIMARY KEY, parent_id TEXT NOT NULL REFERENCES parent (id))")
                try await db.execute("CREATE TABLE tally (id TEXT PRIMARY KEY, n BIGINT NOT NULL)")
            }
            return try await body(store)
        }
    }

    static func batch(_ id: String, child childID: Int64) -> StatementBatch {
        var batch = StatementBatch()
        // On PostgreSQL the child's key is checked at the end of the one statement, against a
        // parent row that a sibling of the same statement inserts.
        batch.insert(parent, rows: [[.text(id), .null], [.text(id + "-b"), .text("推客 '$1")]])
        batch.insert(child, rows: [[.int(childID), .text(id)]])
        batch.add("""
            INSERT INTO tally (id, n) VALUES (\(bind: "all"), \(bind: Int64(1)))
            ON CONFLICT (id) DO UPDATE SET n = tally.n + excluded.n
            """)
        batch.add(nil)
        return batch
    }

    @Test(arguments: TestDatabase.available) func aBatchWritesWhatItsStatementsWouldOneByOne(database: TestDatabase) async throws {
        try await Self.withTables(database) { store in
            for (round, id) in ["a", "b"].enumerated() {
                let batch = Self.batch(id, child: Int64(round))
                try await store.write { db in try await batch.run(in: db) }
            }
            let parents = try await store.read { db in try await db.rows("SELECT id, note FROM parent ORDER BY id") }
            #expect(try parents.map { try $0.decode(column: "id", as: String.self) } == ["a", "a-b", "b", "b-b"])
            #expect(try parents.map { try $0.decode(column: "note", as: String?.self) } == [nil, "推客 '$1", nil, "推客 '$1"])
            let children = try await store.read { db in try await db.rows("SELECT parent_id FROM child ORDER BY id") }
            #expect(try children.map { try $0.decode(column: "parent_id", as: String.self) } == ["a", "b"])
            let tally = try await store.read { db in try await db.first("SELECT n FROM tally")!.decode(column: "n", as: Int64.self) }
            #expect(tally == 2)
        }
    }

    /// On PostgreSQL the batch is one statement, its rows and queries numbered in one `$n` sequence.
    @Test(.enabled(if: TestDatabase.available.contains(.postgres))) func aBatchIsOneStatementOnPostgreSQL() async throws {
        try await Self.withTables(.postgres) { store in
            let batch = Self.batch("a", child: 1)
            let (sql, types) = try await store.write { db in
                let postgres = try #require(db as? PostgresDirectDatabase)
                let combined = try #require(batch.combined(serializedBy: postgres))
                return (combined.sql, combined.types)
            }
            #expect(sql == """
                WITH s0 AS (INSERT INTO parent (id, note) VALUES ($1, $2), ($3, $4)), \
                s1 AS (INSERT INTO child (id, parent_id) VALUES ($5, $6)), \
                s2 AS (INSERT INTO tally (id, n) VALUES ($7, $8)
                ON CONFLICT (id) DO UPDATE SET n = tally.n + excluded.n) SELECT 1
                """)
            #expect(types == [.text, .null, .text, .text, .int8, .text, .text, .int8])
        }
    }

    @Test(arguments: TestDatabase.available) func aFailingStatementChangesNothing(database: TestDatabase) async throws {
        try await Self.withTables(database) { store in
            var batch = Self.batch("a", child: 1)
            batch.insert(Self.child, rows: [[.int(2), .text("nobody")]])
            let failing = batch
            await #expect(throws: (any Error).self) {
                try await store.write { db in try await failing.run(in: db) }
            }
            for table in ["parent", "child", "tally"] {
                let count = try await store.read { db in
                    try await db.first("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)")!.decode(column: "n", as: Int64.self)
                }
                #expect(count == 0, "\(table)")
            }
        }
    }

    /// Two inserts of 40,000 and 30,000 values: together past PostgreSQL's 65,535 binds, so they
    /// must run one by one.
    @Test(arguments: TestDatabase.available) func aLargeBatchStaysWithinTheBindLimit(database: TestDatabase) async throws {
        try await Self.withTables(database) { store in
            var batch = StatementBatch()
            let parents = (0..<20_000).map { [RowValue.text("p\($0)"), .text("")] } + (0..<15_000).map { [RowValue.text("q\($0)"), .text("")] }
            batch.insert(Self.parent, rows: Array(parents[..<20_000]))
            batch.insert(Self.parent, rows: Array(parents[20_000...]))
            batch.insert(Self.child, rows: [[.int(1), .text("p0")]])
            let large = batch
            try await store.write { db in try await large.run(in: db) }
            let count = try await store.read { db in try await db.first("SELECT COUNT(*) AS n FROM parent")!.decode(column: "n", as: Int64.self) }
            #expect(count == Int64(parents.count))
        }
    }

    @Test(.enabled(if: TestDatabase.available.contains(.postgres))) func onPostgresABatchIsOneStatement() async throws {
        try await Self.withTables(.postgres) { store in
            let batch = Self.batch("a", child: 1)
            let statements = try await store.write { db in
                try await batch.run(in: db)
                return try await db.rows("SELECT statement FROM pg_prepared_statements").map { try $0.decode(column: "statement", as: String.self) }
            }
            #expect(statements.filter { $0.hasPrefix("WITH s0 AS (INSERT INTO parent") }.count == 1)
            #expect(!statements.contains { $0.hasPrefix("INSERT INTO") })
        }
    }

    /// The gate: open while `n` is 0; the requirement closes it and returns a row only if it was open.
    static let closesTheGate: SQLQueryString = "UPDATE tally SET n = n + 1 WHERE id = 'gate' AND n = 0 RETURNING id"

    static func count(_ table: String, in store: any Database) async throws -> Int64 {
        try await store.read { db in try await db.first("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)")!.decode(column: "n", as: Int64.self) }
    }

    static func gate(in store: any Database) async throws -> Int64 {
        try await store.read { db in try await db.first("SELECT n FROM tally WHERE id = 'gate'")!.decode(column: "n", as: Int64.self) }
    }

    @Test(arguments: TestDatabase.available) func aRequiredBatchIsWrittenOnlyWhenItsRequirementFindsARow(database: TestDatabase) async throws {
        try await Self.withTables(database) { store in
            try await store.write { db in try await db.execute("INSERT INTO tally (id, n) VALUES ('gate', 0)") }
            let (first, second) = (Self.batch("a", child: 1), Self.batch("b", child: 2))
            #expect(try await store.writeStatement { db in try await first.runAlone(requiring: Self.closesTheGate, in: db) })
            #expect(try await Self.gate(in: store) == 1)
            #expect(try await Self.count("parent", in: store) == 2)
            #expect(try await Self.count("child", in: store) == 1)
            // The gate is closed: nothing of the second batch is written, and nothing is thrown.
            #expect(try await !store.writeStatement { db in try await second.runAlone(requiring: Self.closesTheGate, in: db) })
            // Nor of a batch whose rows exist already: on PostgreSQL its inserts may meet the unique
            // key before the requirement is found wanting, and that too means "not written".
            #expect(try await !store.writeStatement { db in try await first.runAlone(requiring: Self.closesTheGate, in: db) })
            #expect(try await Self.gate(in: store) == 1)
            #expect(try await Self.count("parent", in: store) == 2)
            #expect(try await Self.count("child", in: store) == 1)
            let tally = try await store.read { db in try await db.first("SELECT n FROM tally WHERE id = 'all'")!.decode(column: "n", as: Int64.self) }
            #expect(tally == 1)
        }
    }

    /// The requirement holds but a sibling fails: the requirement's own change is undone too.
    @Test(arguments: TestDatabase.available) func aFailingPartOfARequiredBatchUndoesTheRequirement(database: TestDatabase) async throws {
        try await Self.withTables(database) { store in
            try await store.write { db in try await db.execute("INSERT INTO tally (id, n) VALUES ('gate', 0)") }
            var batch = Self.batch("a", child: 1)
            batch.insert(Self.child, rows: [[.int(2), .text("nobody")]])
            let failing = batch
            // SQLite throws the foreign key's error; PostgreSQL answers "not written".
            let wrote = try? await store.writeStatement { db in try await failing.runAlone(requiring: Self.closesTheGate, in: db) }
            #expect(wrote != true)
            #expect(try await Self.gate(in: store) == 0)
            #expect(try await Self.count("parent", in: store) == 0)
            #expect(try await Self.count("child", in: store) == 0)
        }
    }

    /// On PostgreSQL the requirement comes first as `r`, and the statement ends with its check.
    @Test(.enabled(if: TestDatabase.available.contains(.postgres))) func aRequiredBatchIsOneStatementOnPostgreSQL() async throws {
        try await Self.withTables(.postgres) { store in
            var child = StatementBatch()
            child.insert(Self.child, rows: [[.int(1), .text("a")]])
            let batch = child
            let (sql, types) = try await store.write { db in
                let postgres = try #require(db as? PostgresDirectDatabase)
                let combined = try #require(batch.combined(requiring: "UPDATE tally SET n = \(bind: Int64(2)) WHERE id = \(bind: "gate") RETURNING id",
                                                           serializedBy: postgres))
                return (combined.sql, combined.types)
            }
            #expect(sql == """
                WITH r AS (UPDATE tally SET n = $1 WHERE id = $2 RETURNING id), \
                s0 AS (INSERT INTO child (id, parent_id) VALUES ($3, $4))
                """ + StatementBatch.requirementCheck)
            #expect(types == [.int8, .text, .int8, .text])
        }
    }

    /// A batch whose query keeps it off the one-statement path (a `$` in a literal) is not run
    /// alone on PostgreSQL: `runAlone` answers "not written" and the caller goes the long way. On
    /// SQLite, where the body is a transaction, it is written.
    @Test(arguments: TestDatabase.available) func aBatchThatCannotBeOneStatementIsNotRunAloneOnPostgreSQL(database: TestDatabase) async throws {
        try await Self.withTables(database) { store in
            try await store.write { db in try await db.execute("INSERT INTO tally (id, n) VALUES ('gate', 0)") }
            var batch = StatementBatch()
            batch.add("INSERT INTO parent (id, note) VALUES (\(bind: "a"), 'costs $5')")
            let literal = batch
            let wrote = try await store.writeStatement { db in try await literal.runAlone(requiring: Self.closesTheGate, in: db) }
            #expect(wrote == (database == .sqlite))
            #expect(try await Self.gate(in: store) == (database == .sqlite ? 1 : 0))
            #expect(try await Self.count("parent", in: store) == (database == .sqlite ? 1 : 0))
        }
    }

    /// A posting moves its account's running balance in the statement that inserts it (a
    /// trigger), so bookings that move an available balance are written alone like any other.
    @Test(arguments: TestDatabase.available) func bookingsThatMoveABalanceAreWrittenAloneWithTheirBalance(database: TestDatabase) async throws {
        try await database.withDatabase { store in
            var bookings = Bookings()
            bookings.post(try .clawback(promoterID: "prm_1", amount: 100), reference: "ord_1")
            let clawback = bookings
            let wrote = try await store.writeStatement { db in
                try await clawback.writeAlone(requiring: "SELECT 1 AS one", at: Instant(milliseconds: 1), in: db)
            }
            #expect(wrote)
            #expect(try await Self.count("journal_entries", in: store) == 1)
            let owed = try await JournalRepository.owed(to: "prm_1", database: store)
            #expect(owed.available == -100 && owed.pending == 0)
        }
    }
}
