import SQLKit
import Foundation
import Logging
import TuikeCore
import TuikeStore

/// The databases every store test runs on: SQLite always, PostgreSQL when `TEST_DATABASE_URL`
/// names one. Each test gets a fresh database (a temporary SQLite file, or its own PostgreSQL schema).
public enum TestDatabase: String, Sendable, CustomStringConvertible {
    case sqlite, postgres

    public var description: String { rawValue }

    public static var available: [TestDatabase] {
        postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public static let logger: Logger = {
        var logger = Logger(label: "tuike-test")
        logger.logLevel = .warning
        return logger
    }()

    /// A fresh, empty, migrated database for one test; removed afterwards.
    public func withDatabase<T>(migrated: Bool = true, _ body: (any Database) async throws -> T) async throws -> T {
        let location = try await makeLocation()
        let database = try await open(location)
        do {
            if migrated { try await Migrator(database: database).migrate(now: 0) }
            let result = try await body(database)
            try await database.shutdown()
            try await cleanUp(location)
            return result
        } catch {
            try? await database.shutdown()
            try? await cleanUp(location)
            throw error
        }
    }

    /// `count` stores on one fresh database, as if `count` app instances shared it.
    public func withInstances<T>(_ count: Int, _ body: ([any Database]) async throws -> T) async throws -> T {
        let location = try await makeLocation()
        var instances: [any Database] = []
        do {
            for _ in 0..<count { instances.append(try await open(location)) }
            try await Migrator(database: instances[0]).migrate(now: 0)
            let result = try await body(instances)
            for instance in instances { try await instance.shutdown() }
            try await cleanUp(location)
            return result
        } catch {
            for instance in instances { try? await instance.shutdown() }
            try? await cleanUp(location)
            throw error
        }
    }

    /// A fresh, empty database's location for a test that opens its own stores; removed afterwards.
    public func withLocation<T>(_ body: (String) async throws -> T) async throws -> T {
        let location = try await makeLocation()
        do {
            let result = try await body(location)
            try await cleanUp(location)
            return result
        } catch {
            try? await cleanUp(location)
            throw error
        }
    }

    /// Another connection to the same database: a second app instance.
    public func open(_ location: String) async throws -> any Database {
        try await StoreFactory.open(location, logger: Self.logger)
    }

    /// Where the fresh database lives: a file path or a postgres URL with its own search_path.
    public func makeLocation() async throws -> String {
        switch self {
        case .sqlite:
            return temporarySQLitePath("test")
        case .postgres:
            guard let base = Self.postgresURL else { throw TestDatabaseError.postgresNotConfigured }
            let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let admin = try await StoreFactory.open(base, logger: Self.logger)
            try await admin.write { db in try await db.execute("CREATE SCHEMA \(unsafeRaw: schema)") }
            try await admin.shutdown()
            return base + (base.contains("?") ? "&" : "?") + "search_path=" + schema
        }
    }

    func cleanUp(_ location: String) async throws {
        switch self {
        case .sqlite:
            removeSQLiteFiles(location)
        case .postgres:
            guard let base = Self.postgresURL, let schema = location.components(separatedBy: "search_path=").last else { return }
            let admin = try await StoreFactory.open(base, logger: Self.logger)
            try await admin.write { db in try await db.execute("DROP SCHEMA \(unsafeRaw: schema) CASCADE") }
            try await admin.shutdown()
        }
    }
}

public enum TestDatabaseError: Error { case postgresNotConfigured }

/// A fresh SQLite file's path, for tests that open their own stores.
public func temporarySQLitePath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("tuike-\(name)-\(UUID().uuidString).sqlite").path
}

/// Deletes a test's SQLite file with its -wal and -shm files.
public func removeSQLiteFiles(_ path: String) {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}

/// A fixed data key for tests (never used outside them).
public let testCipher = try! FieldCipher(base64: "dHVpa2UtdGVzdC1rZXktMzItYnl0ZXMtbG9uZy4uLi4=")
