import Foundation
import Logging
import NIOPosix
import PostgresNIO
import SQLKit
import Synchronization
import Testing
@testable import TuikeStore
import TuikeTestSupport

/// Named prepared statements on PostgreSQL (`PostgresDirectDatabase`): which statements take that
/// path, the types their binds carry, and that a statement whose first preparation failed is
/// prepared again rather than failing for good on that connection.
@Suite struct PostgresStatementTests {
    static let onPostgres = TestDatabase.available.contains(.postgres)

    @Test func onlyDataStatementsAreNamed() {
        for sql in ["SELECT 1", "INSERT INTO t VALUES ($1)", "UPDATE t SET a = 1", "DELETE FROM t", "WITH x AS (SELECT 1) SELECT * FROM x"] {
            #expect(PostgresDirectDatabase.isDataStatement(sql), "\(sql)")
        }
        for sql in ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT s", "CREATE TABLE t (a BIGINT)", "select 1", "SELECTED"] {
            #expect(!PostgresDirectDatabase.isDataStatement(sql), "\(sql)")
        }
    }

    @Test func bindsKeepTheTypesTheUnnamedPathSends() {
        let binds: [any Encodable & Sendable] = ["推客", Int64.min, 7, true, String?.none, Int64?.none, Optional(Int64(3)), Optional("x")]
        var statement = PostgresStatement()
        for bind in binds {
            let appended = statement.appendBind(bind)
            #expect(appended)
        }
        #expect(statement.bindings.count == binds.count)
        #expect(statement.types == [.text, .int8, .int8, .bool, .null, .null, .int8, .text])
        let double = statement.appendBind(1.5)
        let optionalDouble = statement.appendBind(Optional(2.5))
        #expect(!double && !optionalDouble && statement.types.count == binds.count)
    }

    /// A batch's statements share one `$n` sequence: each query's placeholders move up past the
    /// binds before it. A text whose placeholders are not SQLKit's `$1`, `$2`, … stays off the path.
    @Test func placeholdersAreRenumberedOnlyWhenTheyAreSQLKits() {
        #expect(PostgresStatement.renumbered("UPDATE t SET a = $1 WHERE b = $2", after: 3, binds: 2) == "UPDATE t SET a = $4 WHERE b = $5")
        let ten = (1...10).map { "$\($0)" }.joined(separator: ", ")
        #expect(PostgresStatement.renumbered("VALUES (\(ten))", after: 95, binds: 10) == "VALUES (" + (96...105).map { "$\($0)" }.joined(separator: ", ") + ")")
        #expect(PostgresStatement.renumbered("SELECT $1", after: 0, binds: 1) == "SELECT $1")
        #expect(PostgresStatement.renumbered("SELECT 1", after: 7, binds: 0) == "SELECT 1")
        #expect(PostgresStatement.renumbered("SELECT '$1'", after: 0, binds: 0) == nil)
        #expect(PostgresStatement.renumbered("SELECT $2, $1", after: 1, binds: 2) == nil)
        #expect(PostgresStatement.renumbered("SELECT $1", after: 1, binds: 2) == nil)
        #expect(PostgresStatement.renumbered("DO $$ BEGIN END $$", after: 0, binds: 0) == nil)
        #expect(PostgresStatement.renumbered("SELECT $", after: 2, binds: 0) == nil)
    }

    @Test func namesFollowTextAndTypesWithinALimit() {
        let names = PreparedStatementNames(limit: 3)
        let first = names.name(sql: "SELECT $1", types: [.text])
        #expect(first != nil)
        #expect(names.name(sql: "SELECT $1", types: [.text]) == first)
        let second = names.name(sql: "SELECT $1", types: [.int8])
        #expect(second != nil && second != first)
        names.forget(sql: "SELECT $1", types: [.text])
        let renamed = names.name(sql: "SELECT $1", types: [.text])
        #expect(renamed != nil && renamed != first)
        #expect(names.name(sql: "SELECT 2", types: []) == nil)
        #expect(names.name(sql: "SELECT $1", types: [.int8]) == second)
    }

    /// One connection, so every statement below meets the state the earlier ones left on it.
    static func withOneConnection<T>(cache: Bool = true, _ body: (PostgresStore) async throws -> T) async throws -> T {
        try await withStore(cache: cache, maxConnections: 1, table: "p (id BIGINT PRIMARY KEY, s TEXT, b BOOLEAN, d DOUBLE PRECISION)", body)
    }

    /// A PostgresStore of its own on a fresh schema, with one table created.
    static func withStore<T>(cache: Bool = true, maxConnections: Int, table: String, _ body: (PostgresStore) async throws -> T) async throws -> T {
        try await TestDatabase.postgres.withLocation { location in
            let store = try await PostgresStore.connect(url: location + (cache ? "" : "&statement_cache=off"), logger: TestDatabase.logger,
                                                        maxConnections: maxConnections)
            do {
                try await store.write { db in try await db.execute("CREATE TABLE \(unsafeRaw: table)") }
                let result = try await body(store)
                try await store.shutdown()
                return result
            } catch {
                try? await store.shutdown()
                throw error
            }
        }
    }

    static func prepared(_ sql: String, on store: PostgresStore) async throws -> Int {
        try await store.read { db in
            try await db.rows("SELECT count(*) AS n FROM pg_prepared_statements WHERE statement = \(bind: sql)")[0].decode(column: "n", as: Int.self)
        }
    }

    @Test(.enabled(if: onPostgres)) func statementsArePreparedOncePerConnection() async throws {
        try await Self.withOneConnection { store in
            try await store.write { db in
                try await db.execute("INSERT INTO p (id, s, b, d) VALUES (\(bind: Int64(1)), \(bind: "推客 🧧"), \(bind: true), \(bind: 0.5))")
                try await db.execute("INSERT INTO p (id, s, b, d) VALUES (\(bind: Int64.max), \(bind: String?.none), \(bind: false), NULL)")
            }
            for _ in 0..<3 {
                let rows = try await store.read { db in try await db.rows("SELECT id, s, b, d FROM p WHERE id >= \(bind: Int64(0)) ORDER BY id") }
                #expect(try rows.map { try $0.decode(column: "id", as: Int64.self) } == [1, Int64.max])
                #expect(try rows.map { try $0.decode(column: "s", as: String?.self) } == ["推客 🧧", nil])
                #expect(try rows.map { try $0.decode(column: "b", as: Bool.self) } == [true, false])
                #expect(try rows.map { try $0.decode(column: "d", as: Double?.self) } == [0.5, nil])
            }
            #expect(try await Self.prepared("SELECT id, s, b, d FROM p WHERE id >= $1 ORDER BY id", on: store) == 1)
            // A double bind leaves the statement to PostgresKit, unnamed.
            #expect(try await Self.prepared("INSERT INTO p (id, s, b, d) VALUES ($1, $2, $3, $4)", on: store) == 0)
        }
    }

    /// Transactions run on their connection's event loop, so answers resume them without a hop.
    /// `insertRows` writes its multi-row statement itself; texts, integers and nulls land as
    /// SQLKit's builder put them, named or (cache off) unnamed.
    @Test(.enabled(if: onPostgres), arguments: [true, false]) func rowsInsertedInOneStatement(cache: Bool) async throws {
        try await Self.withOneConnection(cache: cache) { store in
            let insert = RowInsert(into: "p", columns: ["id", "s"])
            for round in Int64(0)..<2 {
                try await store.write { db in
                    try await db.insertRows(insert, rows: [[.int(round * 10 + 1), .text("推客 '$1")], [.int(round * 10 + 2), .null], [.int(round * 10 + 3), .text("")]])
                }
            }
            let rows = try await store.read { db in try await db.rows("SELECT id, s FROM p ORDER BY id") }
            #expect(try rows.map { try $0.decode(column: "id", as: Int64.self) } == [1, 2, 3, 11, 12, 13])
            #expect(try rows.map { try $0.decode(column: "s", as: String?.self) } == ["推客 '$1", nil, "", "推客 '$1", nil, ""])
            #expect(try await Self.prepared("INSERT INTO p (id, s) VALUES ($1, $2), ($3, $4), ($5, $6)", on: store) == (cache ? 1 : 0))
        }
    }

    @Test(.enabled(if: onPostgres)) func bodiesRunOnTheConnectionsEventLoop() async throws {
        try await Self.withOneConnection { store in
            let onLoop = try await store.write { db in
                _ = try await db.rows("SELECT s FROM p WHERE id = \(bind: Int64(1))")
                return MultiThreadedEventLoopGroup.currentEventLoop != nil
            }
            #expect(onLoop)
        }
    }

    @Test(.enabled(if: onPostgres)) func theCacheCanBeTurnedOff() async throws {
        try await Self.withOneConnection(cache: false) { store in
            _ = try await store.read { db in try await db.rows("SELECT s FROM p WHERE id = \(bind: Int64(1))") }
            #expect(try await Self.prepared("SELECT s FROM p WHERE id = $1", on: store) == 0)
        }
    }

    /// PostgresNIO remembers a failed preparation per connection and would repeat the error without
    /// asking the server. Here the first preparation of the SELECT happens in a transaction a
    /// unique violation has already aborted; the same SELECT must work once that is rolled back.
    @Test(.enabled(if: onPostgres)) func aStatementFirstPreparedInAFailedTransactionWorksAfterwards() async throws {
        try await Self.withOneConnection { store in
            try await store.write { db in try await db.execute("INSERT INTO p (id, s) VALUES (\(bind: Int64(1)), \(bind: "a"))") }
            await #expect(throws: PSQLError.self) {
                try await store.write { db in
                    try? await db.execute("INSERT INTO p (id, s) VALUES (\(bind: Int64(1)), \(bind: "b"))")
                    _ = try await db.rows("SELECT s FROM p WHERE id = \(bind: Int64(1))")
                }
            }
            for _ in 0..<2 {
                let rows = try await store.read { db in try await db.rows("SELECT s FROM p WHERE id = \(bind: Int64(1))") }
                #expect(try rows.map { try $0.decode(column: "s", as: String.self) } == ["a"])
            }
        }
    }

    /// A named statement whose result columns a schema change altered fails on PostgreSQL for good
    /// (0A000, "cached plan must not change result type"). After one such failure it gets a new
    /// name and is prepared again, and the store runs the call again, so the caller never sees it.
    /// In a write the whole transaction runs again: the failure aborted it.
    @Test(.enabled(if: onPostgres)) func aStatementASchemaChangeBrokeIsPreparedAgain() async throws {
        try await Self.withOneConnection { store in
            try await store.write { db in try await db.execute("INSERT INTO p (id, s) VALUES (\(bind: Int64(1)), \(bind: "a"))") }
            let columns = { @Sendable in
                try await store.read { db in try await db.rows("SELECT * FROM p WHERE id = \(bind: Int64(1))")[0].allColumns.count }
            }
            #expect(try await columns() == 4)
            try await store.write { db in try await db.execute("ALTER TABLE p ADD COLUMN extra TEXT") }
            #expect(try await columns() == 5)
            #expect(try await columns() == 5)
            let runs = Atomic<Int>(0)
            let selectAll = { @Sendable in
                try await store.write { db in
                    runs.add(1, ordering: .relaxed)
                    try await db.execute("UPDATE p SET s = s || \(bind: "+") WHERE id = \(bind: Int64(1))")
                    return try await db.rows("SELECT * FROM p WHERE id = \(bind: Int64(1))")[0].allColumns.count
                }
            }
            #expect(try await selectAll() == 5)
            try await store.write { db in try await db.execute("ALTER TABLE p DROP COLUMN extra") }
            runs.store(0, ordering: .relaxed)
            #expect(try await selectAll() == 4)
            #expect(runs.load(ordering: .relaxed) == 2)
            let s = try await store.read { db in try await db.rows("SELECT s FROM p WHERE id = \(bind: Int64(1))")[0].decode(column: "s", as: String.self) }
            #expect(s == "a++", "the failed run's UPDATE was rolled back")
        }
    }

    /// A pooler or an operator can drop a connection's prepared statements (`DEALLOCATE ALL`) behind
    /// PostgresNIO's back; it would send Bind for a name the server no longer knows (26000) on every
    /// later run. After one such failure the statement gets a new name and the store runs the call
    /// again, which prepares it afresh. (Each statement fails once, hidden by that second run; the
    /// URL's `statement_cache=off` is for setups where this is routine.)
    @Test(.enabled(if: onPostgres)) func aStatementTheServerForgotIsPreparedAgain() async throws {
        try await Self.withOneConnection { store in
            try await store.write { db in try await db.execute("INSERT INTO p (id, s) VALUES (\(bind: Int64(1)), \(bind: "a"))") }
            let read = { @Sendable in
                try await store.read { db in try await db.rows("SELECT s FROM p WHERE id = \(bind: Int64(1))")[0].decode(column: "s", as: String.self) }
            }
            #expect(try await read() == "a")
            #expect(try await Self.prepared("SELECT s FROM p WHERE id = $1", on: store) == 1)
            try await store.write { db in try await db.execute("DEALLOCATE ALL") }
            #expect(try await read() == "a")
            #expect(try await Self.prepared("SELECT s FROM p WHERE id = $1", on: store) == 1)
            #expect(try await read() == "a")
        }
    }

    /// A call that keeps failing for a reason a second run would clear gives up after three runs
    /// and throws the last error. Here every run forgets its own statement before running it
    /// again (26000), so every run fails.
    @Test(.enabled(if: onPostgres)) func retriesStopAfterThreeRuns() async throws {
        try await Self.withOneConnection { store in
            let runs = Atomic<Int>(0)
            let error = await #expect(throws: PSQLError.self) {
                try await store.write { db in
                    runs.add(1, ordering: .relaxed)
                    _ = try await db.rows("SELECT s FROM p WHERE id = \(bind: Int64(1))")
                    try await db.execute("DEALLOCATE ALL")
                    _ = try await db.rows("SELECT s FROM p WHERE id = \(bind: Int64(1))")
                }
            }
            #expect(error?.serverInfo?[.sqlState] == "26000")
            #expect(runs.load(ordering: .relaxed) == PostgresStore.attempts)
            let rows = try await store.read { db in try await db.rows("SELECT s FROM p WHERE id = \(bind: Int64(1))") }
            #expect(rows.isEmpty)
        }
    }

    /// Two writes that lock the same two rows in opposite orders: PostgreSQL ends one of them with
    /// a deadlock (40P01). The store runs the victim again, so both writes land.
    @Test(.enabled(if: onPostgres)) func aDeadlockVictimRunsAgain() async throws {
        try await Self.withStore(maxConnections: 2, table: "p (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)") { store in
            try await store.write { db in try await db.execute("INSERT INTO p (id, n) VALUES (1, 0), (2, 0)") }
            let locked = Atomic<Int>(0)
            let runs = Atomic<Int>(0)
            let bump = { @Sendable (first: Int64, second: Int64) in
                try await store.write { db in
                    let run = runs.add(1, ordering: .relaxed).newValue
                    try await db.execute("UPDATE p SET n = n + 1 WHERE id = \(bind: first)")
                    if run <= 2 {
                        // Only the first two runs meet here; the victim's second run goes straight on.
                        locked.add(1, ordering: .relaxed)
                        while locked.load(ordering: .relaxed) < 2 { try await Task.sleep(for: .milliseconds(5)) }
                    }
                    try await db.execute("UPDATE p SET n = n + 1 WHERE id = \(bind: second)")
                }
            }
            async let one: Void = bump(1, 2)
            async let two: Void = bump(2, 1)
            _ = try await (one, two)
            #expect(runs.load(ordering: .relaxed) == 3)
            let counts = try await store.read { db in try await db.rows("SELECT n FROM p ORDER BY id").map { try $0.decode(column: "n", as: Int64.self) } }
            #expect(counts == [2, 2])
        }
    }
}

/// Database URLs: TCP hosts, and libpq's `host=/directory` for the server's Unix socket.
@Suite struct PostgresURLTests {
    @Test func aHostDirectoryNamesTheUnixSocket() throws {
        let socket = try PostgresURL.configuration("postgres://me@/tuike?host=/var/run/postgresql")
        #expect(socket.unixSocketPath == "/var/run/postgresql/.s.PGSQL.5432")
        #expect(socket.host == nil && socket.database == "tuike" && socket.username == "me")
        let withPort = try PostgresURL.configuration("postgresql://me:secret@/tuike?host=/tmp&port=55434&statement_cache=off")
        #expect(withPort.unixSocketPath == "/tmp/.s.PGSQL.55434" && withPort.password == "secret")
        let tcp = try PostgresURL.configuration("postgres://me@db.example:6543/tuike?sslmode=disable&search_path=s")
        #expect(tcp.host == "db.example" && tcp.port == 6543 && tcp.unixSocketPath == nil)
        #expect(tcp.options.additionalStartupParameters.first?.1 == "s")
        #expect(throws: (any Error).self) { try PostgresURL.configuration("postgres:///tuike") }
        #expect(throws: (any Error).self) { try PostgresURL.configuration("postgres://me@/tuike?host=relative") }
        #expect(throws: (any Error).self) { try PostgresURL.configuration("mysql://me@db/tuike") }
    }

    /// Connects through the test server's socket when its directory is known (PGSOCKET).
    @Test(.enabled(if: TestDatabase.available.contains(.postgres) && ProcessInfo.processInfo.environment["PGSOCKET"] != nil))
    func aUnixSocketURLConnects() async throws {
        let url = try #require(URLComponents(string: ProcessInfo.processInfo.environment["TEST_DATABASE_URL"]!))
        var socket = URLComponents()
        socket.scheme = "postgres"
        socket.user = url.user
        socket.path = url.path
        socket.queryItems = [URLQueryItem(name: "host", value: ProcessInfo.processInfo.environment["PGSOCKET"]!),
                             URLQueryItem(name: "port", value: String(url.port ?? 5432))]
        let store = try await PostgresStore.connect(url: socket.string!, logger: TestDatabase.logger, maxConnections: 1)
        let answer = try await store.read { db in try await db.first("SELECT 41 + 1 AS n")!.decode(column: "n", as: Int.self) }
        try await store.shutdown()
        #expect(answer == 42)
    }
}
