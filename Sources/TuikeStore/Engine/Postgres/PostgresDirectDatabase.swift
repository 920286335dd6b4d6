import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit
import Synchronization

/// SQLKit's view of one PostgreSQL connection that runs statements as named prepared statements.
///
/// PostgresKit sends every statement unnamed, so the server parses and plans it on every run: in
/// the orders benchmark, parsing and planning led the server's profile and the server used a whole
/// core. Here a data statement (SELECT, INSERT, UPDATE, DELETE, WITH) whose binds are all texts,
/// integers, booleans or nulls runs as a named statement: PostgresNIO parses it once per connection
/// and afterwards sends only Bind and Execute. Anything else (transaction control, DDL, other bind
/// types) goes the unnamed way, as before.
///
/// `?statement_cache=off` in the database URL turns this off, for poolers in transaction mode that
/// cannot carry a prepared statement from one transaction to the next.
struct PostgresDirectDatabase: SQLDatabase {
    let connection: PostgresConnection
    let statements: PreparedStatementNames?
    var logger: Logger { connection.logger }
    var eventLoop: any EventLoop { connection.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { nil }
    var dialect: any SQLDialect { PostgresDialect() }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        var statement = PostgresStatement()
        guard statements != nil, statement.append(query, serializedBy: self), Self.isDataStatement(statement.sql) else {
            try await connection.sql().execute(sql: query, onRow)
            return
        }
        try await run(statement, onRow)
    }

    /// Runs an INSERT of whole rows as one statement, its text written here: SQLKit's builder
    /// took 6 % of the process's time in the PostgreSQL orders benchmark.
    func insertRows(_ insert: RowInsert, rows: some Collection<[RowValue]>) async throws {
        var statement = PostgresStatement(capacity: rows.count * insert.columns.count)
        statement.appendRows(insert, rows: rows)
        try await run(statement) { _ in }
    }

    /// Runs `statement` as a named prepared statement, or unnamed when the cache is off or full.
    func run(_ statement: PostgresStatement, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        let (sql, types) = (statement.sql, statement.types)
        guard let name = statements?.name(sql: sql, types: types) else {
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: statement.bindings), logger: logger) {
                onRow(row.sql())
            }
            return
        }
        do {
            try await DynamicStatement.$current.withValue(.init(name: name, sql: sql, types: types)) {
                for try await row in try await connection.execute(DynamicStatement(bindings: statement.bindings), logger: logger) {
                    onRow(row.sql())
                }
            }
        } catch let error as PSQLError {
            if Self.mustPrepareAgain(error) { statements?.forget(sql: sql, types: types) }
            throw error
        }
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }

    /// Our statements spell their keywords in capitals; one that does not simply runs unnamed.
    static func isDataStatement(_ sql: String) -> Bool {
        sql.hasPrefix("SELECT ") || sql.hasPrefix("INSERT ") || sql.hasPrefix("UPDATE ") || sql.hasPrefix("DELETE ") || sql.hasPrefix("WITH ")
    }

    /// Errors PostgresNIO would otherwise repeat for this statement on this connection without
    /// asking the server again: it remembers a failed preparation. A statement first prepared inside
    /// a transaction that had already failed (25P02), before its table existed (42…), or made stale
    /// by a schema change (0A000, 26000) gets a new name, so the next run prepares it afresh.
    static func mustPrepareAgain(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state == "25P02" || state.hasPrefix("42") || state == "0A000" || state == "26000"
    }
}

/// A statement's text and binds as PostgreSQL receives them, `$n` numbered in the order the binds
/// were added, with the types PostgresNIO would send unnamed. One writer for every statement of
/// this path: an SQLKit query, an INSERT of whole rows (`insertRows`), and a `StatementBatch`,
/// which writes all of its statements, rows and queries, into one.
struct PostgresStatement {
    private(set) var sql = ""
    private(set) var bindings: PostgresBindings
    private(set) var types: [PostgresDataType] = []

    init(capacity: Int = 0) {
        bindings = PostgresBindings(capacity: capacity)
        types.reserveCapacity(capacity)
    }

    mutating func append(raw text: String) { sql += text }

    mutating func appendRows(_ insert: RowInsert, rows: some Collection<[RowValue]>) {
        sql += insert.postgresPrefix
        for (index, row) in rows.enumerated() {
            sql += index == 0 ? "(" : ", ("
            for (column, value) in row.enumerated() {
                if column > 0 { sql += ", " }
                sql += "$\(types.count + 1)"
                switch value {
                case .text(let text): append(.text(text))
                case .int(let number): append(.int(number))
                case .null: append(.null)
                }
            }
            sql += ")"
        }
    }

    /// Appends an SQLKit query, its placeholders renumbered to follow the binds already here.
    /// False, with nothing appended, when a bind is of a type this path leaves to PostgresKit
    /// (anything but texts, integers, booleans and nulls) or the text's placeholders are not
    /// `$1`, `$2`, … in order, as SQLKit writes them (a `$` in a literal, say).
    mutating func append(_ query: any SQLExpression, serializedBy database: any SQLDatabase) -> Bool {
        let (text, binds) = database.serialize(query)
        let values = binds.compactMap(Bind.init)
        guard values.count == binds.count, let renumbered = Self.renumbered(text, after: types.count, binds: binds.count) else {
            return false
        }
        for value in values { append(value) }
        sql += renumbered
        return true
    }

    /// Appends a text, integer, boolean or null bind; false, with nothing appended, for any other.
    mutating func appendBind(_ bind: any Encodable & Sendable) -> Bool {
        guard let value = Bind(bind) else { return false }
        append(value)
        return true
    }

    /// A bind of a type this path sends itself.
    private enum Bind {
        case text(String), int(Int64), bool(Bool), null

        init?(_ bind: any Encodable & Sendable) {
            switch bind {
            case let text as String: self = .text(text)
            case let number as Int64: self = .int(number)
            case let number as Int: self = .int(Int64(number))
            case let flag as Bool: self = .bool(flag)
            default:
                guard let optional = bind as? any NilCheckable, optional.isNone else { return nil }
                self = .null
            }
        }
    }

    private mutating func append(_ value: Bind) {
        switch value {
        case .text(let text): bindings.append(text); types.append(.text)
        case .int(let number): bindings.append(number); types.append(.int8)
        case .bool(let flag): bindings.append(flag); types.append(.bool)
        case .null: bindings.appendNull(); types.append(.null)
        }
    }

    /// `text` with `$k` written as `$(offset + k)`; nil unless its placeholders are exactly `$1`
    /// to `$binds`, in order.
    static func renumbered(_ text: String, after offset: Int, binds: Int) -> String? {
        var result = ""
        var expected = 1
        var rest = Substring(text)
        while let dollar = rest.utf8.firstIndex(of: UInt8(ascii: "$")) {
            let digits = rest[rest.index(after: dollar)...].prefix { $0.isASCII && $0.isNumber }
            guard let number = Int(digits), number == expected else { return nil }
            if offset > 0 {
                result += rest[..<dollar]
                result += "$\(offset + number)"
            }
            expected += 1
            rest = rest[digits.endIndex...]
        }
        guard expected - 1 == binds else { return nil }
        if offset == 0 { return text }
        result += rest
        return result
    }
}

/// Names for prepared statements, one per statement text and bind types, shared by all connections
/// of a store (PostgresNIO prepares a name on each connection the first time it runs there).
final class PreparedStatementNames: Sendable {
    private struct State {
        var names: [String: String] = [:]
        var next = 0
    }

    private let state = Mutex(State())
    private let limit: Int

    /// At most `limit` statements are prepared per connection; texts beyond it run unnamed, so a
    /// stream of one-off texts cannot fill the server's memory.
    init(limit: Int = 2_000) { self.limit = limit }

    func name(sql: String, types: [PostgresDataType]) -> String? {
        let key = Self.key(sql: sql, types: types)
        return state.withLock { state in
            if let name = state.names[key] { return name }
            guard state.next < limit else { return nil }
            state.next += 1
            let name = "tk\(state.next)"
            state.names[key] = name
            return name
        }
    }

    /// The next run of this statement prepares it under a new name. Retired names count against
    /// the limit, so repeated failures end in the unnamed path rather than in endless preparations.
    func forget(sql: String, types: [PostgresDataType]) {
        let key = Self.key(sql: sql, types: types)
        _ = state.withLock { $0.names.removeValue(forKey: key) }
    }

    private static func key(sql: String, types: [PostgresDataType]) -> String {
        var key = sql
        key.append("\u{0}")
        for type in types { key.append(String(type.rawValue)); key.append(",") }
        return key
    }
}

/// PostgresNIO's prepared statements name their text statically; this one reads the statement of
/// the running task, which `PostgresDirectDatabase` sets around each call. PostgresNIO reads `name`,
/// `sql` and `bindingDataTypes` within `execute` (before it returns the rows), inside that scope.
struct DynamicStatement: PostgresPreparedStatement {
    struct Current: Sendable {
        let name: String
        let sql: String
        let types: [PostgresDataType]
    }

    @TaskLocal static var current = Current(name: "", sql: "", types: [])

    typealias Row = PostgresRow
    static var name: String { current.name }
    static var sql: String { current.sql }
    static var bindingDataTypes: [PostgresDataType] { current.types }

    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

private protocol NilCheckable { var isNone: Bool { get } }
extension Optional: NilCheckable { var isNone: Bool { self == nil } }
