import CTuikeSQLite
import NIOCore
import SQLiteNIO
import VaporCSQLite

/// One `sqlite3*` connection used synchronously, with its prepared statements kept for reuse.
///
/// Why not SQLiteNIO's connection: it runs every statement as a job on a thread pool and answers on
/// an event loop, so a write transaction of 25 statements crossed threads some 75 times while
/// holding the single write lock, and that, not SQLite, bounded throughput. A statement on a warm
/// page cache takes microseconds, so running it in place is cheaper than any hand-off. This uses
/// the very SQLite library SQLiteNIO links (its `sqlite_nio_` symbols), never a second copy: two
/// copies in one process would each keep their own POSIX lock table and could corrupt the file.
///
/// `@unchecked Sendable`: the handle and the statement cache are touched only by whoever holds the
/// connection: the writer's single drain loop (`GroupCommitWriter`) or one `execute` call of the
/// reader pool (`SQLiteReaderPool`), which takes a connection out of the pool for exactly that call.
/// The connection is also opened FULLMUTEX, so even a misuse would be serialised by SQLite itself.
final class SQLiteHandle: @unchecked Sendable {
    private var db: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    /// Beyond this many distinct statements the cache starts over (multi-row inserts of varying
    /// widths would otherwise grow it without bound).
    private let maxStatements = 256
    /// Where SQLite notes the write-ahead log's length after each commit (`trackWALFrames`).
    private let walFrameCount: UnsafeMutablePointer<Int32> = {
        let count = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        count.initialize(to: 0)
        return count
    }()

    /// Writes of a group commit run in savepoints after a failure (see `GroupCommitWriter`), and a
    /// savepoint's undo pages go to the statement journal, which SQLite keeps in memory up to this
    /// size (default 64 KiB) and then moves to a temporary file. The size must stay below 128 KiB:
    /// SQLite moves the journal out in chunks of exactly this size, and its Unix file layer writes
    /// at most 128 KiB − 1 bytes per call (it masks the length with 0x1ffff), so at 128 KiB or more
    /// every chunk is written as zero bytes and the statement fails with SQLITE_FULL, "database or
    /// disk is full", whatever the free space: a settlement of 100,000 commissions did. 120 KiB
    /// (30 pages) keeps a write's savepoint in memory; a bulk statement (a settlement's update of
    /// every pending commission) spills, as it must to keep memory bounded. Set once, before the
    /// first connection opens; if SQLite was initialised already it stays at the default.
    static let statementJournalSpillBytes: Int32 = 120 << 10
    private static let statementJournalSpill: Int32 = tuike_sqlite_set_statement_journal_spill(statementJournalSpillBytes)

    init(path: String) throws {
        _ = Self.statementJournalSpill
        let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE
        var handle: OpaquePointer?
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite_nio_sqlite3_close(handle)
            throw SQLiteFailure(code: status, message: "cannot open \(path): \(message)")
        }
        db = handle
        let qpsg = tuike_sqlite_enable_qpsg(UnsafeMutableRawPointer(handle))
        guard qpsg == SQLITE_OK else { throw SQLiteFailure(code: qpsg, message: "cannot enable the query planner stability guarantee") }
    }

    deinit {
        close()
        walFrameCount.deallocate()
    }

    /// The raw connection, for SQLite calls this type does not wrap (the online backup); nil once
    /// closed. Used only by whoever holds the handle, like everything here.
    var connection: OpaquePointer? { db }

    /// From now on `walFrames` follows the write-ahead log after each commit on this connection.
    func trackWALFrames() {
        guard let db else { return }
        tuike_sqlite_track_wal_frames(UnsafeMutableRawPointer(db), walFrameCount)
    }

    /// Frames in the write-ahead log after this connection's last commit (0 until one).
    var walFrames: Int { Int(walFrameCount.pointee) }

    func close() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        statements = [:]
        if let db { sqlite_nio_sqlite3_close(db) }
        db = nil
    }

    /// Runs one statement to completion, handing each row to `onRow` as it is stepped.
    func run(_ sql: String, _ binds: [SQLiteData], onRow: (SQLiteRowValues) -> Void) throws {
        guard let db else { throw SQLiteFailure(code: SQLITE_MISUSE, message: "the connection is closed") }
        let statement = try prepared(sql, db)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        try bind(binds, to: statement, db)
        var columns: SQLiteColumnNames?
        while true {
            let status = sqlite_nio_sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw failure(status, db) }
            let names = columns ?? SQLiteColumnNames(statement)
            columns = names
            onRow(SQLiteRowValues(columns: names, values: (0..<Int32(names.names.count)).map { value(statement, $0) }))
        }
    }

    /// Runs one statement that returns no rows once per row of values, looking it up once.
    func runEach(_ sql: String, _ rows: some Collection<[RowValue]>) throws {
        guard let db else { throw SQLiteFailure(code: SQLITE_MISUSE, message: "the connection is closed") }
        let statement = try prepared(sql, db)
        defer { sqlite_nio_sqlite3_clear_bindings(statement) }
        for row in rows {
            defer { sqlite_nio_sqlite3_reset(statement) }
            try bind(row.lazy.map(\.sqlite), to: statement, db)
            let status = sqlite_nio_sqlite3_step(statement)
            guard status == SQLITE_DONE else { throw failure(status == SQLITE_ROW ? SQLITE_MISUSE : status, db) }
        }
    }

    /// How often SQLite re-prepared the cached statement for `sql` (for tests; nil if not cached).
    func reprepareCount(_ sql: String) -> Int32? {
        statements[sql].map { sqlite_nio_sqlite3_stmt_status($0, SQLITE_STMTSTATUS_REPREPARE, 0) }
    }

    private func prepared(_ sql: String, _ db: OpaquePointer) throws -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        if statements.count >= maxStatements {
            for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
            statements = [:]
        }
        var statement: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw failure(status, db) }
        statements[sql] = statement
        return statement
    }

    private func failure(_ status: Int32, _ db: OpaquePointer) -> SQLiteFailure {
        SQLiteFailure(code: status, message: String(cString: sqlite_nio_sqlite3_errmsg(db)))
    }

    private func bind(_ values: some Sequence<SQLiteData>, to statement: OpaquePointer, _ db: OpaquePointer) throws {
        for (index, value) in values.enumerated() {
            let status = bind(value, at: Int32(index + 1), to: statement)
            guard status == SQLITE_OK else { throw failure(status, db) }
        }
    }

    private func bind(_ value: SQLiteData, at index: Int32, to statement: OpaquePointer) -> Int32 {
        switch value {
        case .integer(let number): return sqlite_nio_sqlite3_bind_int64(statement, index, Int64(number))
        case .float(let number): return sqlite_nio_sqlite3_bind_double(statement, index, number)
        case .null: return sqlite_nio_sqlite3_bind_null(statement, index)
        case .text(let text):
            // A nil pointer would bind NULL, so the empty string binds a literal.
            guard !text.isEmpty else { return sqlite_nio_sqlite3_bind_text64(statement, index, "", 0, sqliteTransient, UInt8(SQLITE_UTF8)) }
            var text = text
            return text.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) {
                    sqlite_nio_sqlite3_bind_text64(statement, index, $0.baseAddress, UInt64($0.count), sqliteTransient, UInt8(SQLITE_UTF8))
                }
            }
        case .blob(let buffer):
            return buffer.withUnsafeReadableBytes { bytes in
                sqlite_nio_sqlite3_bind_blob64(statement, index, bytes.baseAddress ?? UnsafeRawPointer(emptyBlob.utf8Start), UInt64(bytes.count), sqliteTransient)
            }
        }
    }

    private func value(_ statement: OpaquePointer, _ column: Int32) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(SQLiteInt64(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT: return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .text("") }
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            guard let bytes = sqlite_nio_sqlite3_column_blob(statement, column), count > 0 else { return .blob(ByteBuffer()) }
            return .blob(ByteBuffer(bytes: UnsafeRawBufferPointer(start: bytes, count: count)))
        default: return .null
        }
    }
}

/// A nil pointer would bind NULL, so an empty blob points here.
private let emptyBlob: StaticString = ""
/// SQLite copies a bound value before the bind call returns.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A statement's column names, shared by all its rows.
final class SQLiteColumnNames: Sendable {
    let names: [String]

    init(_ statement: OpaquePointer) {
        names = (0..<sqlite_nio_sqlite3_column_count(statement)).map { String(cString: sqlite_nio_sqlite3_column_name(statement, $0)) }
    }
}

/// One stepped row, copied out of SQLite.
struct SQLiteRowValues: Sendable {
    let columns: SQLiteColumnNames
    let values: [SQLiteData]

    func value(_ column: String) -> SQLiteData? {
        columns.names.firstIndex(of: column).map { values[$0] }
    }
}

/// A failed SQLite call: its result code and SQLite's message.
public struct SQLiteFailure: Error, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public var description: String { "SQLite error \(code): \(message)" }
    /// SQLITE_FULL, with or without an extended code: the file or the disk could not grow.
    public var isStorageFull: Bool { code & 0xff == 13 }
}
