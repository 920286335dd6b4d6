import Foundation
import Logging
import PostgresKit
import PostgresNIO
import SQLKit
import Synchronization

/// PostgreSQL through PostgresNIO's `PostgresClient` pool. Each write is one `BEGIN … COMMIT` on a
/// pinned connection; concurrency safety comes from conditional updates, unique keys and row locks
/// (`Dialect.forUpdate`), so several app instances can share one database.
public final class PostgresStore: Database {
    public let dialect = Dialect.postgres
    public let cacheIdentity = UUID().uuidString
    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let statements: PreparedStatementNames?
    private let logger: Logger

    /// Returns once the client's `run()` has begun: a lease asked for before that waits, and
    /// PostgresNIO logs a warning for it (hundreds of them in a test run).
    public static func connect(url: String, logger: Logger, maxConnections: Int = 20) async throws -> PostgresStore {
        var configuration = try PostgresURL.configuration(url)
        configuration.options.maximumConnections = maxConnections
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let (running, signal) = AsyncStream<Void>.makeStream()
        let store = PostgresStore(client: client, statements: PostgresURL.usesStatementCache(url) ? PreparedStatementNames() : nil,
                                  logger: logger) {
            signal.finish()
            await client.run()
        }
        for await _ in running {}
        return store
    }

    private init(client: PostgresClient, statements: PreparedStatementNames?, logger: Logger, run: @escaping @Sendable () async -> Void) {
        self.logger = logger
        self.client = client
        self.statements = statements
        self.runTask = Task { await run() }
    }

    private func sql(_ connection: PostgresConnection) -> any SQLDatabase {
        PostgresDirectDatabase(connection: connection, statements: statements)
    }

    /// Runs `body` with a leased connection, on that connection's event loop: each statement's
    /// answer then resumes the body on the thread that read it, instead of hopping to the
    /// concurrency pool and back for every statement. Inside a `session` of this store, the
    /// session's connection is used when it is free.
    private func withConnection<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        if let pin = SessionPin.current, pin.store == ObjectIdentifier(self), pin.take() {
            defer { pin.give() }
            return try await withTaskExecutorPreference(EventLoopTaskExecutor(pin.connection.eventLoop)) {
                try await body(sql(pin.connection))
            }
        }
        return try await client.withConnection { connection in
            try await withTaskExecutorPreference(EventLoopTaskExecutor(connection.eventLoop)) {
                try await body(sql(connection))
            }
        }
    }

    public func session<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        if let pin = SessionPin.current, pin.store == ObjectIdentifier(self), pin.isOpen { return try await body() }
        return try await client.withConnection { connection in
            let pin = SessionPin(store: ObjectIdentifier(self), connection: connection)
            let result: Result<T, any Error>
            do {
                result = .success(try await SessionPin.$current.withValue(pin) {
                    try await withTaskExecutorPreference(EventLoopTaskExecutor(connection.eventLoop)) { try await body() }
                })
            } catch {
                result = .failure(error)
            }
            await pin.close()
            return try result.get()
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await retrying { try await self.withConnection(body) }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await retrying {
            try await self.withConnection { db in
                try await db.raw("BEGIN").run()
                do {
                    let value = try await body(db)
                    try await db.raw("COMMIT").run()
                    return value
                } catch {
                    try? await db.raw("ROLLBACK").run()
                    throw error
                }
            }
        }
    }

    public func writeStatement<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await retrying { try await self.withConnection(body) }
    }

    /// Runs `attempt` again, up to `Self.attempts` times in all, when it failed for a reason that a
    /// second run clears: a named statement the server forgot or a schema change made stale (its
    /// name is retired on the first failure, so the next run prepares it afresh), a deadlock, or a
    /// serialization failure. The failed run was rolled back, and a write's body may run more than
    /// once (`Database.write`). Anything else is thrown at once.
    private func retrying<T: Sendable>(_ attempt: @Sendable () async throws -> T) async throws -> T {
        var run = 1
        while true {
            do {
                return try await attempt()
            } catch let error as PSQLError {
                guard run < Self.attempts, let retry = PostgresRetry(error) else { throw error }
                logger.notice("retrying a PostgreSQL call", metadata: ["sqlstate": "\(retry.state)", "run": "\(run)"])
                if retry.backs {
                    // Deadlock victims that start again at the same instant tend to meet again.
                    try await Task.sleep(for: .milliseconds(Int.random(in: 1...10) * run))
                }
                run += 1
            }
        }
    }

    static let attempts = 3

    public func shutdown() async throws {
        runTask.cancel()
        await runTask.value
    }
}

/// Why a failed PostgreSQL call may simply run again, read from its SQLSTATE.
struct PostgresRetry {
    let state: String
    /// Whether to wait a little first: lock conflicts, not stale statements.
    let backs: Bool

    init?(_ error: PSQLError) {
        guard let state = error.serverInfo?[.sqlState] else { return nil }
        switch state {
        case "26000", "0A000": backs = false
        case "40P01", "40001": backs = true
        default: return nil
        }
        self.state = state
    }
}

/// The connection a `session` leased, lent to one store call at a time while the session lasts.
/// A task-local value is inherited by tasks started inside the session, which may run at the same
/// time or outlive it: `take` lets only one call have the connection, and none after `close`.
final class SessionPin: Sendable {
    @TaskLocal static var current: SessionPin?

    private enum State {
        case free, lent, closed
        /// Closed while a call held the connection: the lease ends when it gives it back.
        case closing(CheckedContinuation<Void, Never>)
    }
    let store: ObjectIdentifier
    let connection: PostgresConnection
    private let state = Mutex(State.free)

    init(store: ObjectIdentifier, connection: PostgresConnection) {
        self.store = store
        self.connection = connection
    }

    var isOpen: Bool {
        state.withLock { state in
            switch state {
            case .free, .lent: true
            case .closed, .closing: false
            }
        }
    }

    func take() -> Bool {
        state.withLock { state in
            guard case .free = state else { return false }
            state = .lent
            return true
        }
    }

    func give() {
        let waiting = state.withLock { state -> CheckedContinuation<Void, Never>? in
            switch state {
            case .lent: state = .free; return nil
            case .closing(let continuation): state = .closed; return continuation
            case .free, .closed: return nil
            }
        }
        waiting?.resume()
    }

    /// Returns once no call holds the connection, and no later call will take it, so that the
    /// lease may end.
    func close() async {
        await withCheckedContinuation { continuation in
            let held = state.withLock { state -> Bool in
                if case .lent = state { state = .closing(continuation); return true }
                state = .closed
                return false
            }
            if !held { continuation.resume() }
        }
    }
}

/// Runs jobs on one NIO event loop, for `withTaskExecutorPreference`.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// `postgres://user:password@host:port/database?sslmode=disable|prefer|require&search_path=s&statement_cache=off`,
/// or `postgres://user@/database?host=/var/run/postgresql&port=5432` (port optional) for the server's Unix socket.
enum PostgresURL {
    /// False for `statement_cache=off` (see `PostgresDirectDatabase`).
    static func usesStatementCache(_ text: String) -> Bool {
        URLComponents(string: text)?.queryItems?.first { $0.name == "statement_cache" }?.value != "off"
    }

    static func configuration(_ text: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw StoreError.unsupportedURL(text)
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let username = components.user?.removingPercentEncoding ?? "postgres"
        let password = components.password?.removingPercentEncoding
        var configuration: PostgresClient.Configuration
        if let directory = query["host"], directory.hasPrefix("/") {
            // libpq's convention: a `host` that is a directory names the server's Unix socket there.
            configuration = PostgresClient.Configuration(
                unixSocketPath: "\(directory)/.s.PGSQL.\(components.port ?? query["port"].flatMap { Int($0) } ?? 5432)",
                username: username, password: password, database: database.isEmpty ? nil : database)
        } else {
            guard let host = components.host, !host.isEmpty else { throw StoreError.unsupportedURL(text) }
            configuration = PostgresClient.Configuration(
                host: host, port: components.port ?? 5432, username: username, password: password,
                database: database.isEmpty ? nil : database, tls: tls(query["sslmode"]))
        }
        if let searchPath = query["search_path"], !searchPath.isEmpty {
            configuration.options.additionalStartupParameters = [("search_path", searchPath)]
        }
        return configuration
    }

    private static func tls(_ mode: String?) -> PostgresClient.Configuration.TLS {
        switch mode ?? "prefer" {
        case "disable": .disable
        case "require", "verify-ca", "verify-full": .require(.makeClientConfiguration())
        default: .prefer(.makeClientConfiguration())
        }
    }
}

/// Opens the store a `--database` value names: a `postgres://` URL or a SQLite file path.
public enum StoreFactory {
    public static func open(_ location: String, logger: Logger) async throws -> any Database {
        if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") {
            return try await PostgresStore.connect(url: location, logger: logger)
        }
        if location.contains("://") { throw StoreError.unsupportedURL(location) }
        return try await SQLiteStore.open(path: location, logger: logger)
    }
}
