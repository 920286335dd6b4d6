import Logging
import NIOCore
import NIOPosix
import SQLiteKit
import SQLKit
import Synchronization

/// Where a statement runs: one fixed connection (the writer's) or any idle one of a pool (reads).
protocol SQLiteHandleSource: Sendable {
    func withHandle<T>(_ body: (SQLiteHandle) throws -> T) throws -> T
}

/// SQLKit's view of SQLite connections used in place (see `SQLiteHandle`): each `execute` runs its
/// statement to the end before it returns, without suspending.
struct SQLiteDirectDatabase: SQLDatabase {
    let source: any SQLiteHandleSource
    let logger: Logger
    var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        do {
            try run(query, onRow)
            return eventLoop.makeSucceededVoidFuture()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try run(query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }

    /// Runs one statement once per row of values, on one connection.
    func runEach(_ sql: String, _ rows: some Collection<[RowValue]>) throws {
        try source.withHandle { handle in try handle.runEach(sql, rows) }
    }

    /// Strings and integers, nearly every bind, directly; anything else through SQLiteKit's
    /// encoder, which gives these the same values by way of `Encodable`.
    static func sqliteData(_ value: any Encodable & Sendable) throws -> SQLiteData {
        switch value {
        case let text as String: .text(text)
        case let number as Int64: .integer(Int(number))
        case let number as Int: .integer(number)
        default: try SQLiteDataEncoder().encode(value)
        }
    }

    private func run(_ query: any SQLExpression, _ onRow: (any SQLRow) -> ()) throws {
        let (sql, rawBinds) = serialize(query)
        let binds = try rawBinds.map(Self.sqliteData)
        try source.withHandle { handle in
            try handle.run(sql, binds) { onRow(SQLiteDirectRow(row: $0)) }
        }
    }
}

/// A row read through `SQLiteDirectDatabase`, decoded exactly as SQLiteKit decodes its own rows.
struct SQLiteDirectRow: SQLRow {
    let row: SQLiteRowValues

    var allColumns: [String] { row.columns.names }

    func contains(column: String) -> Bool { row.value(column) != nil }

    func decodeNil(column: String) throws -> Bool { (row.value(column) ?? .null) == .null }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let value = row.value(column) else {
            throw DecodingError.keyNotFound(SQLiteColumnKey(stringValue: column), .init(codingPath: [], debugDescription: "no column \(column)"))
        }
        // The common cases directly (metadata comparisons, no `Decodable`), each giving what
        // SQLiteKit's decoder gives for them; anything else goes through that decoder.
        switch value {
        case .text(let text):
            if D.self == String.self { return unsafeBitCast(text, to: D.self) }
            if D.self == String?.self { return unsafeBitCast(String?.some(text), to: D.self) }
        case .integer(let number):
            if D.self == Int64.self { return unsafeBitCast(Int64(number), to: D.self) }
            if D.self == Int64?.self { return unsafeBitCast(Int64?.some(Int64(number)), to: D.self) }
            if D.self == Int.self { return unsafeBitCast(number, to: D.self) }
        case .null:
            if D.self == String?.self { return unsafeBitCast(String?.none, to: D.self) }
            if D.self == Int64?.self { return unsafeBitCast(Int64?.none, to: D.self) }
        default: break
        }
        return try SQLiteDataDecoder().decode(D.self, from: value)
    }
}

private struct SQLiteColumnKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The writer's one connection. Only the writer's drain loop uses it, one batch at a time.
struct SQLiteWriterHandle: SQLiteHandleSource {
    let handle: SQLiteHandle
    func withHandle<T>(_ body: (SQLiteHandle) throws -> T) throws -> T { try body(handle) }
}

/// Read connections lent out for one statement at a time. A statement never suspends, so at most
/// one connection per thread that runs statements is ever out; the pool opens another when all
/// are busy rather than making a thread wait, and keeps it.
final class SQLiteReaderPool: SQLiteHandleSource {
    private let open: @Sendable () throws -> SQLiteHandle
    private let idle = Mutex<[SQLiteHandle]>([])
    private let opened = Mutex<[SQLiteHandle]>([])

    /// `open` makes one more read connection (with its pragmas set).
    init(open: @escaping @Sendable () throws -> SQLiteHandle) {
        self.open = open
    }

    func withHandle<T>(_ body: (SQLiteHandle) throws -> T) throws -> T {
        let handle = try idle.withLock { $0.popLast() } ?? makeHandle()
        defer { idle.withLock { $0.append(handle) } }
        return try body(handle)
    }

    private func makeHandle() throws -> SQLiteHandle {
        let handle = try open()
        opened.withLock { $0.append(handle) }
        return handle
    }

    func close() {
        idle.withLock { $0 = [] }
        for handle in opened.withLock({ $0 }) { handle.close() }
    }
}
