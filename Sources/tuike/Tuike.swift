import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import TuikeCore
import TuikeServer
import TuikeStore

@main
struct Tuike: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tuike",
        abstract: "Tuike (推客): distribution and group-buying engine.",
        subcommands: [Serve.self, Migrate.self, Demo.self, Backup.self, Restore.self, Version.self])
}

/// Options every command that opens the store shares.
struct StoreOptions: ParsableArguments {
    @Option(help: "A SQLite file path or a postgres:// URL. Default: $DATABASE_URL or ./tuike.sqlite.")
    var database: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info"

    @Option(help: "File holding the key that encrypts phone numbers; created on first start. $TUIKE_DATA_KEY (base64 of 32 bytes) wins.")
    var dataKeyFile: String = "./tuike.key"

    func cipher() throws -> FieldCipher {
        try FieldCipher.load(environment: ProcessInfo.processInfo.environment, file: dataKeyFile)
    }

    var resolvedDatabase: String {
        database ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "./tuike.sqlite"
    }

    func makeLogger() -> Logger {
        var logger = Logger(label: "tuike")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server.")

    @OptionGroup var store: StoreOptions

    @Option(help: "Port to listen on. Default: $PORT or 8080.")
    var port: Int?

    @Option(help: "Address to bind. Use 0.0.0.0 to accept connections from other machines.")
    var host: String = "127.0.0.1"

    @Option(help: "Admin bearer token. Default: $TUIKE_ADMIN_TOKEN, else one is generated and printed once.")
    var adminToken: String?

    @Flag(help: "Enable the sandbox payment/payout providers and the test clock ($TUIKE_SANDBOX=1).")
    var sandbox = false

    @Flag(help: "Load the demo school into an empty database.")
    var demo = false

    @Option(help: "Base URL buyers use to reach this server, for link URLs. Default: $TUIKE_PUBLIC_URL or http://localhost:<port>.")
    var publicURL: String?

    @Option(help: "Reverse proxies whose X-Forwarded-For is believed: addresses or CIDRs, comma-separated ('' for none). Default: $TUIKE_TRUSTED_PROXIES or 127.0.0.0/8,::1.")
    var trustedProxies: String?

    @Option(help: "Seconds a kept-alive connection may wait for its next request [60].")
    var idleTimeout: Int64?

    @Option(help: "Seconds a client may take to send a request's headers [10].")
    var headerTimeout: Int64?

    @Option(help: "Seconds a request body may pause while the server waits for it [30].")
    var bodyTimeout: Int64?

    @Option(help: "Open connections one client address may hold (trusted proxies are not counted) [256].")
    var maxConnectionsPerAddress: Int?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = store.makeLogger()
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        var configuration = ServeConfiguration()
        configuration.host = host
        configuration.port = port ?? environment["PORT"].flatMap(Int.init) ?? 8080
        configuration.database = store.resolvedDatabase
        configuration.adminToken = adminToken ?? environment["TUIKE_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.sandbox = sandbox || environment["TUIKE_SANDBOX"] == "1"
        configuration.demo = demo
        configuration.publicURL = publicURL ?? environment["TUIKE_PUBLIC_URL"]
        configuration.dataKeyFile = store.dataKeyFile
        for (value, name) in [(idleTimeout, "idle-timeout"), (headerTimeout, "header-timeout"), (bodyTimeout, "body-timeout")] {
            if let value, !(1...86_400).contains(value) { throw ValidationError("--\(name) is 1 to 86400 seconds") }
        }
        if let maxConnectionsPerAddress, !(1...1_000_000).contains(maxConnectionsPerAddress) {
            throw ValidationError("--max-connections-per-address is 1 to 1000000")
        }
        if let idleTimeout { configuration.connections.idleTimeout = .seconds(idleTimeout) }
        if let headerTimeout { configuration.connections.headerTimeout = .seconds(headerTimeout) }
        if let bodyTimeout { configuration.connections.bodyTimeout = .seconds(bodyTimeout) }
        if let maxConnectionsPerAddress { configuration.connections.perAddress = maxConnectionsPerAddress }
        if let proxies = trustedProxies ?? environment["TUIKE_TRUSTED_PROXIES"] {
            configuration.trustedProxies = try TrustedProxies(parsing: proxies)
        }

        let (app, startup) = try await buildApplication(configuration, registry: registry, logger: logger)
        if let token = startup.generatedAdminToken {
            say("""
                Admin token (shown once, store it now): \(token)
                  curl -H 'Authorization: Bearer \(token)' http://localhost:\(configuration.port)/api/v1/program
                """)
        }
        if startup.loadedDemo { say("Loaded the demo school.") }
        say("Tuike \(TuikeVersion.current) on http://\(configuration.host == "0.0.0.0" ? "localhost" : configuration.host):\(configuration.port)"
              + (configuration.sandbox ? " (sandbox)" : ""))
        try await app.runService()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations and exit.")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let logger = store.makeLogger()
        let database = try await StoreFactory.open(store.resolvedDatabase, logger: logger)
        let applied = try await Migrator(database: database).migrate(now: Int64(Date().timeIntervalSince1970 * 1000))
        let all = try await Migrator(database: database).appliedVersions()
        try await database.shutdown()
        say(applied.isEmpty ? "Up to date (schema version \(all.last ?? 0))." : "Applied migrations \(applied.map(String.init).joined(separator: ", ")).")
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load the demo school into an empty database and exit.")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let logger = store.makeLogger()
        let database = try await StoreFactory.open(store.resolvedDatabase, logger: logger)
        let (_, startup) = try await TuikeApp.prepare(database: database, options: .init(demo: true, cipher: try store.cipher()), logger: logger)
        try await database.shutdown()
        if let token = startup.generatedAdminToken { say("Admin token (shown once, store it now): \(token)") }
        say(startup.loadedDemo ? "Loaded the demo school." : "The database already has data; nothing loaded.")
    }
}

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a SQLite database consistently, also while the server runs (PostgreSQL: use pg_dump, see docs/operations.md).")
    @OptionGroup var store: StoreOptions
    @Option(help: "Where to write the copy (replaced if it exists).") var to: String

    func run() throws {
        let source = store.resolvedDatabase
        guard !source.hasPrefix("postgres") else { throw ValidationError("backup copies SQLite files; for PostgreSQL use pg_dump (docs/operations.md)") }
        try SQLiteBackup.backup(from: source, to: to)
        say("Backed up \(source) to \(to).")
    }
}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Replace a SQLite database with a backup; refuses while the database is open.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The backup to restore.") var from: String

    func run() throws {
        let target = store.resolvedDatabase
        guard !target.hasPrefix("postgres") else { throw ValidationError("restore writes SQLite files; for PostgreSQL use pg_restore (docs/operations.md)") }
        try SQLiteBackup.restore(from: from, to: target)
        say("Restored \(from) into \(target).")
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")
    func run() { say("tuike \(TuikeVersion.current)") }
}

/// Writes a line to stdout at once (print is block-buffered into pipes and files, and the
/// one-time admin token must not wait in a buffer).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
