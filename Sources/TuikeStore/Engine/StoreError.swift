import PostgresNIO
import Logging
import SQLKit
import Synchronization

public enum StoreError: Error, CustomStringConvertible {
    case closed
    case unsupportedURL(String)
    /// A statement that always returns a row returned none.
    case noRow

    public var description: String {
        switch self {
        case .closed: "the store is closed"
        case .unsupportedURL(let url): "unsupported database URL \(url): use a file path or postgres://"
        case .noRow: "a statement that returns a row returned none"
        }
    }

    /// Whether `error` says the database could not grow (SQLite's SQLITE_FULL, PostgreSQL's
    /// disk_full). The transaction it ended was rolled back whole.
    public static func isStorageFull(_ error: any Error) -> Bool {
        switch error {
        case let error as SQLiteFailure: error.isStorageFull
        case let error as PSQLError: error.serverInfo?[.sqlState] == "53100"
        default: false
        }
    }
}
