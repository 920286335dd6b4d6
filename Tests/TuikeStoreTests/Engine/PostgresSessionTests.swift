import Foundation
import SQLKit
import Testing
@testable import TuikeStore
import TuikeTestSupport

/// `Database.session` on PostgreSQL: the store calls of one request share one leased connection,
/// one at a time; a call that finds it busy, or comes after the session ended, leases its own.
@Suite struct PostgresSessionTests {
    static let onPostgres = TestDatabase.available.contains(.postgres)

    static func withStore<T>(maxConnections: Int, _ body: (PostgresStore) async throws -> T) async throws -> T {
        try await PostgresStatementTests.withStore(maxConnections: maxConnections, table: "s (id BIGINT PRIMARY KEY)", body)
    }

    static func backend(_ db: any SQLDatabase, sleeping seconds: Double = 0) async throws -> Int {
        try await db.first("SELECT pg_backend_pid() AS pid, pg_sleep(\(bind: seconds)) AS slept")!.decode(column: "pid", as: Int.self)
    }

    /// One connection in the pool, which the session holds: a read or write inside it that leased
    /// a connection of its own would wait forever.
    @Test(.enabled(if: onPostgres), .timeLimit(.minutes(1))) func readsAndWritesOfASessionShareItsConnection() async throws {
        try await Self.withStore(maxConnections: 1) { store in
            let pids = try await store.session {
                let before = try await store.read { try await Self.backend($0) }
                let writing = try await store.write { db in
                    try await db.execute("INSERT INTO s (id) VALUES (\(bind: Int64(1)))")
                    return try await Self.backend(db)
                }
                // A write that fails is rolled back on the session's connection, which stays usable.
                await #expect(throws: (any Error).self) {
                    try await store.write { db in
                        try await db.execute("INSERT INTO s (id) VALUES (\(bind: Int64(2)))")
                        try await db.execute("INSERT INTO s (id) VALUES (\(bind: Int64(1)))")
                    }
                }
                let nested = try await store.session { try await store.read { try await Self.backend($0) } }
                return [before, writing, nested]
            }
            #expect(Set(pids).count == 1)
            let stored = try await store.read { db in try await db.rows("SELECT id FROM s").map { try $0.decode(column: "id", as: Int64.self) } }
            #expect(stored == [1])
        }
    }

    @Test(.enabled(if: onPostgres)) func aCallWhileTheConnectionIsBusyLeasesItsOwn() async throws {
        try await Self.withStore(maxConnections: 4) { store in
            let (first, second) = try await store.session {
                async let first = store.read { try await Self.backend($0, sleeping: 0.2) }
                async let second = store.read { try await Self.backend($0, sleeping: 0.2) }
                return try await (first, second)
            }
            #expect(first != second)
        }
    }

    /// With one connection in the pool, a task the session started and that still holds the
    /// connection keeps the lease until it is done; one that comes later leases it afresh.
    @Test(.enabled(if: onPostgres)) func aSessionEndsOnlyWhenItsConnectionIsGivenBack() async throws {
        try await Self.withStore(maxConnections: 1) { store in
            let started = ContinuousClock.now
            let (holding, later) = try await store.session {
                let holding = Task { try await store.read { try await Self.backend($0, sleeping: 0.3) } }
                try await Task.sleep(for: .milliseconds(100))
                let later = Task {
                    try await Task.sleep(for: .milliseconds(400))
                    return try await store.read { try await Self.backend($0) }
                }
                return (holding, later)
            }
            #expect(ContinuousClock.now - started >= .milliseconds(300))
            let pid = try await holding.value
            #expect(try await later.value == pid)
        }
    }

    @Test(arguments: TestDatabase.available) func aSessionRunsItsBody(database: TestDatabase) async throws {
        try await database.withDatabase { store in
            let answer = try await store.session { try await store.read { db in try await db.first("SELECT 41 + 1 AS n")!.decode(column: "n", as: Int.self) } }
            #expect(answer == 42)
        }
    }
}
