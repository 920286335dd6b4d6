import Logging
import SQLKit
import TuikeCore

/// The store as the rest of Tuike sees it: reads, and write transactions. The two implementations
/// (`SQLiteStore`, `PostgresStore`) differ only in how a transaction reaches the disk; every query
/// is written once, with dialect differences confined to `Dialect`.
public protocol Database: Sendable {
    var dialect: Dialect { get }

    /// Runs `body` on a connection outside any explicit transaction. Use for reads.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Runs `body` inside one write transaction and returns only after it committed (or throws,
    /// having changed nothing). `body` must not perform network calls, must not start
    /// transactions of its own and must not call `write` again (on SQLite that would wait for itself).
    /// `body` may run more than once, every run but the last undone (SQLite runs a batch of writes
    /// again when one of them failed: see `GroupCommitWriter`), so it must change nothing outside
    /// the database.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Like `write`, for a body that runs exactly one statement on PostgreSQL: there that statement
    /// is its own transaction, which saves the BEGIN and COMMIT round trips on a hot path (click
    /// batches). On SQLite it is `write`.
    func writeStatement<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Runs `body`, whose store calls (reads, then at most a few writes, one after another) may
    /// share one connection: on PostgreSQL an order's six reads and its write then take one lease
    /// from the pool instead of seven. A store call made while another of the session is
    /// running, or after the session ended (a task it started), takes a connection of its own.
    /// On SQLite it just runs `body`: its reads run in place and its writes go to the one writer.
    func session<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T

    /// Runs `body`, a report whose reads may scan large tables (dashboard, reconciliation, exports,
    /// trial balance). SQLite's reads run in place on the calling thread, so on SQLite the report
    /// runs on a thread of its own: a scan of a million rows then holds that thread, not one of the
    /// few (one per core) that answer every request. Reports queue there, one at a time. Elsewhere
    /// it just runs `body`: PostgreSQL's reads wait on the network, which holds no thread.
    func report<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T

    func shutdown() async throws

    /// Unique to this store in the process, for what is kept in memory about its rows (an
    /// object's address can come back for another store once the first is gone).
    var cacheIdentity: String { get }
}

extension Database {
    public var cacheIdentity: String { "\(ObjectIdentifier(self as AnyObject))" }

    public func session<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await body()
    }

    public func report<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await body()
    }
}

/// What differs between SQLite and PostgreSQL, in one place.
public struct Dialect: Sendable, Equatable {
    public enum Kind: String, Sendable { case sqlite, postgres }
    public let kind: Kind

    /// Appended to a `SELECT` that a transaction will update. SQLite needs none: one writer at a time.
    public var forUpdate: String { kind == .postgres ? " FOR UPDATE" : "" }
    /// The same for a join: locks the rows of `table` (its name or alias in the query), not the
    /// rows joined to them, and PostgreSQL refuses to lock the nullable side of an outer join.
    public func forUpdate(of table: String) -> String { kind == .postgres ? " FOR UPDATE OF \(table)" : "" }
    /// Appended to a job claim so that concurrent runners skip each other's rows.
    public var forUpdateSkipLocked: String { kind == .postgres ? " FOR UPDATE SKIP LOCKED" : "" }

    public static let sqlite = Dialect(kind: .sqlite)
    public static let postgres = Dialect(kind: .postgres)
}

extension SQLDatabase {
    /// Runs raw SQL built with `\(bind:)` interpolation and returns its rows.
    public func rows(_ query: SQLQueryString) async throws -> [any SQLRow] {
        try await self.raw(query).all()
    }

    public func execute(_ query: SQLQueryString) async throws {
        try await self.raw(query).run()
    }

    public func first(_ query: SQLQueryString) async throws -> (any SQLRow)? {
        try await self.raw(query).first()
    }

    /// The row a statement always returns (an aggregate; a RETURNING of a row the transaction
    /// holds): none is a store error for the caller, never a trap.
    public func one(_ query: SQLQueryString) async throws -> any SQLRow {
        guard let row = try await self.raw(query).first() else { throw StoreError.noRow }
        return row
    }
}

extension SQLQueryString {
    /// The conditions that are present, joined with AND (`1 = 1` when none is): optional list
    /// filters without string building.
    static func all(_ conditions: [SQLQueryString?]) -> SQLQueryString {
        let present = conditions.compactMap { $0 }
        guard let first = present.first else { return "1 = 1" }
        return present.dropFirst().reduce(first) { $0 + " AND " + $1 }
    }
}
