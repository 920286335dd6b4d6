import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SQLiteNIO
import VaporCSQLite

/// Copies of a SQLite database that lose nothing, taken while the server writes.
///
/// `backup` reads the live database through SQLite's online backup API in one step, inside one
/// read transaction: in WAL mode that is a consistent snapshot (every committed transaction
/// before it, none after), and writers go on meanwhile. `restore` copies a backup over a database
/// that nothing has open: a running server's connections would keep their own view and overwrite
/// the restored pages, so it refuses while any process has the database open.
public enum SQLiteBackup {
    public enum Failure: Error, CustomStringConvertible {
        case inUse(String)
        case notADatabase(String)
        case failed(String)

        public var description: String {
            switch self {
            case .inUse(let path): "\(path) is open in another process (a running server?): stop it before restoring"
            case .notADatabase(let path): "\(path) is not a Tuike SQLite database"
            case .failed(let message): message
            }
        }
    }

    /// Writes a consistent copy of the database at `source` to `destination` (created 0600;
    /// an existing file is replaced).
    public static func backup(from source: String, to destination: String) throws {
        guard FileManager.default.fileExists(atPath: source) else { throw Failure.notADatabase(source) }
        try copy(from: source, to: destination)
    }

    /// Replaces the database at `target` with the backup at `source`, after checking that the
    /// backup is a Tuike database and that no process has `target` open.
    public static func restore(from source: String, to target: String) throws {
        guard try isTuikeDatabase(source) else { throw Failure.notADatabase(source) }
        if isOpenElsewhere(target) { throw Failure.inUse(target) }
        try copy(from: source, to: target)
    }

    /// Whether another process holds `path` open: every SQLite connection in WAL mode keeps a
    /// read lock on byte 128 of the `-shm` file (its "dead man switch") while it is open.
    public static func isOpenElsewhere(_ path: String) -> Bool {
        let descriptor = open(path + "-shm", O_RDONLY)
        // No -shm file: nobody has the database open in WAL mode. Any other failure to look
        // counts as "in use": better to refuse a restore than to overwrite a live database.
        guard descriptor >= 0 else { return errno != ENOENT }
        defer { close(descriptor) }
        var lock = flock()
        // F_GETLK asks whether a write lock could be taken, whatever this descriptor's mode.
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 128
        lock.l_len = 1
        guard fcntl(descriptor, F_GETLK, &lock) == 0 else { return true }
        return lock.l_type != Int16(F_UNLCK)
    }

    static func isTuikeDatabase(_ path: String) throws -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        // Read-only, so checking a backup never writes beside it (and works on read-only media).
        let encoded = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#"))) ?? path
        let handle = try SQLiteHandle(path: "file:\(encoded)?mode=ro")
        defer { handle.close() }
        var found = false
        do {
            try handle.run("PRAGMA quick_check", []) { row in found = row.values.first.map { "\($0)".contains("ok") } ?? false }
            guard found else { return false }
            var migrations = false
            try handle.run("SELECT COUNT(*) FROM schema_migrations", []) { _ in migrations = true }
            return migrations
        } catch {
            return false
        }
    }

    private static func copy(from source: String, to destination: String) throws {
        if !FileManager.default.fileExists(atPath: destination) {
            _ = FileManager.default.createFile(atPath: destination, contents: nil, attributes: [.posixPermissions: 0o600])
        } else {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: destination)
        }
        let from = try SQLiteHandle(path: source)
        defer { from.close() }
        let to = try SQLiteHandle(path: destination)
        defer { to.close() }
        try to.run("PRAGMA busy_timeout=10000", []) { _ in }
        try from.run("PRAGMA busy_timeout=10000", []) { _ in }
        guard let fromDB = from.connection, let toDB = to.connection,
              let backup = sqlite_nio_sqlite3_backup_init(toDB, "main", fromDB, "main") else {
            throw Failure.failed("cannot start the backup: \(to.connection.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "closed")")
        }
        // All pages in one step: one read transaction, so the copy is one snapshot.
        let stepped = sqlite_nio_sqlite3_backup_step(backup, -1)
        let finished = sqlite_nio_sqlite3_backup_finish(backup)
        guard stepped == SQLITE_DONE, finished == SQLITE_OK else {
            throw Failure.failed("backup failed: SQLite \(stepped) / \(finished): \(String(cString: sqlite_nio_sqlite3_errmsg(toDB)))")
        }
        try to.run("PRAGMA wal_checkpoint(TRUNCATE)", []) { _ in }
    }
}
