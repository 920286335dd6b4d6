import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
import TuikeCore
@testable import TuikeServer
@testable import TuikeStore
import TuikeTestSupport

/// `tuike backup` and `tuike restore` on SQLite.
@Suite struct BackupTests {
    /// Each order's id and status, and its commissions, as the ledger's sum.
    static func snapshot(_ database: any Database) async throws -> (orders: [String: String], commissions: [String: Int64], ledger: Int64) {
        try await database.read { db in
            let orders = try await db.rows("SELECT id, status FROM orders").map {
                (try $0.decode(column: "id", as: String.self), try $0.decode(column: "status", as: String.self))
            }
            let commissions = try await db.rows("SELECT order_id, CAST(SUM(amount) AS BIGINT) AS total FROM commissions GROUP BY order_id").map {
                (try $0.decode(column: "order_id", as: String.self), try $0.decode(column: "total", as: Int64.self))
            }
            let ledger = try await db.first("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total FROM journal_postings")?
                .decode(column: "total", as: Int64.self) ?? -1
            return (Dictionary(uniqueKeysWithValues: orders), Dictionary(uniqueKeysWithValues: commissions), ledger)
        }
    }

    /// Backups taken while 60 orders are placed and paid are each one moment of the database:
    /// restored, every order there is in the source, a paid one with exactly its commissions, and
    /// the ledger sums to zero. Restoring over a database another process has open is refused.
    @Test func backupsUnderWritesRestoreWhole() async throws {
        try await TestDatabase.sqlite.withLocation { path async throws in
            let database = try await TestDatabase.sqlite.open(path)
            let (tuike, _) = try await TuikeApp.prepare(database: database, options: .init(sandbox: true, adminToken: adminToken, cipher: testCipher),
                                                        logger: TestDatabase.logger)
            let app = Application(router: buildRouter(tuike).router, logger: TestDatabase.logger)
            let backups = (0..<3).map { _ in temporarySQLitePath("backup") }
            defer { for backup in backups { removeSQLiteFiles(backup) } }
            try await app.test(.router) { client in
                let world = try await OrdersAPITests.world(client)
                async let writes = OrdersAPITests.atOnce(60) { n in
                    let order = try await OrdersAPITests.placeOrder(client, product: world.product, visitor: world.visitor)
                    return try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"pay-backup-\#(n)"}"#).status
                }
                for backup in backups {
                    try await Task.sleep(for: .milliseconds(30))
                    try SQLiteBackup.backup(from: path, to: backup)
                }
                #expect(try await writes.allSatisfy { $0 == .ok })
            }
            let source = try await Self.snapshot(database)
            #expect(source.orders.count == 60 && source.ledger == 0)
            for backup in backups {
                let restored = temporarySQLitePath("restored")
                defer { removeSQLiteFiles(restored) }
                try SQLiteBackup.restore(from: backup, to: restored)
                let store = try await TestDatabase.sqlite.open(restored)
                let copy = try await Self.snapshot(store)
                #expect(copy.ledger == 0, "the ledger of every snapshot balances")
                for (id, status) in copy.orders {
                    #expect(source.orders[id] != nil)
                    if status == "paid" { #expect(copy.commissions[id] == source.commissions[id] && copy.commissions[id] != nil, "\(id)") }
                    else { #expect(copy.commissions[id] == nil) }
                }
                let report = try await ReconciliationQuery(database: store).report(from: Instant(milliseconds: 0), to: Instant(milliseconds: Int64.max / 2))
                #expect(report.consistent, "\(report.checks)")
                try await store.shutdown()
                #expect(FileManager.default.fileExists(atPath: restored))
                let mode = try FileManager.default.attributesOfItem(atPath: restored)[.posixPermissions] as? Int
                #expect(mode == 0o600)
            }
            try await database.shutdown()

            // Another process holding the database open (as a running server would). Spawned and
            // waited for with plain system calls: Foundation's Process waits on a run loop that
            // can starve the test runner's threads.
            let holder = try HeldOpen(path: path)
            #expect(SQLiteBackup.isOpenElsewhere(path))
            #expect(throws: SQLiteBackup.Failure.self) { try SQLiteBackup.restore(from: backups[0], to: path) }
            holder.release()
            #expect(!SQLiteBackup.isOpenElsewhere(path))
            try SQLiteBackup.restore(from: backups[0], to: path)
            #expect(throws: SQLiteBackup.Failure.self) { try SQLiteBackup.restore(from: "/etc/hostname", to: path) }
        }
    }
}

/// A python3 process with a SQLite connection open on a database, until `release`.
final class HeldOpen {
    private let pid: pid_t
    private let input: Int32

    init(path: String) throws {
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { throw POSIXError(.EIO) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_addclose(&actions, toChild[1])
        posix_spawn_file_actions_addclose(&actions, fromChild[0])
        let script = "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('select count(*) from orders').fetchall(); print('open', flush=True); sys.stdin.read()"
        let arguments = ["/usr/bin/env", "python3", "-c", script, path]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var child: pid_t = 0
        guard posix_spawn(&child, "/usr/bin/env", &actions, nil, &argv, environ) == 0 else { throw POSIXError(.EIO) }
        close(toChild[0])
        close(fromChild[1])
        pid = child
        input = toChild[1]
        // Wait for "open": the connection then holds the database.
        var byte: UInt8 = 0
        while read(fromChild[0], &byte, 1) == 1, byte != UInt8(ascii: "\n") {}
        close(fromChild[0])
    }

    /// Lets the process end (its input closes) and reaps it.
    func release() {
        close(input)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }
}
