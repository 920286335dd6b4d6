import Hummingbird
import Logging
import ServiceLifecycle
import TuikeCore
import TuikeStore

/// How `tuike serve` was started (API.md "Starting the server").
public struct ServeConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var database = "./tuike.sqlite"
    public var adminToken: String?
    public var sandbox = false
    public var demo = false

    public init() {}
}

/// Opens the store, prepares it and returns the application with its background services.
public func buildApplication(_ configuration: ServeConfiguration, registry: PrometheusCollectorRegistry = .init(), logger: Logger)
    async throws -> (some ApplicationProtocol, TuikeApp.Startup)
{
    let database = try await StoreFactory.open(configuration.database, logger: logger)
    let (tuike, startup) = try await TuikeApp.prepare(
        database: database,
        options: .init(sandbox: configuration.sandbox, adminToken: configuration.adminToken, demo: configuration.demo),
        registry: registry, logger: logger)
    var app = Application(
        router: buildRouter(tuike).router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Tuike"),
        logger: logger)
    app.addServices(DatabaseService(database: database), JobRunnerService(runner: tuike.jobs, logger: logger))
    return (app, startup)
}

/// The routes of a prepared Tuike, and their documentation.
func buildRouter(_ tuike: TuikeApp) -> (router: Router<TuikeRequestContext>, operations: [APIOperation]) {
    let router = Router(context: TuikeRequestContext.self)
    router.middlewares.add(ErrorMiddleware())
    router.middlewares.add(LogRequestsMiddleware(.info))
    router.middlewares.add(MetricsMiddleware())
    router.middlewares.add(AuthMiddleware(tokens: TokenRepository(database: tuike.database), cache: tuike.tokenCache))
    router.middlewares.add(IdempotencyMiddleware(repository: IdempotencyRepository(database: tuike.database), clock: tuike.clock))

    let api = APIRoutes(router: router)
    let jobs = tuike.jobs
    let documentBox = DocumentBox()
    SystemController(
        clock: tuike.clock, sandboxClock: tuike.sandboxClock, settings: SettingsRepository(database: tuike.database),
        registry: tuike.registry, runDueJobs: { try await jobs.runDue() }
    ).addRoutes(to: api) { documentBox.value.withLock { $0 } }
    ProductsController(products: ProductRepository(database: tuike.database), clock: tuike.clock).addRoutes(to: api)
    ProgramController(program: ProgramRepository(database: tuike.database), clock: tuike.clock).addRoutes(to: api)

    let document = OpenAPIDocument.build(operations: api.operations, version: TuikeVersion.current)
    documentBox.value.withLock { $0 = document }
    return (router, api.operations)
}

/// Holds the OpenAPI document, which can only be built after every route registered.
final class DocumentBox: Sendable {
    let value = Mutex<JSONValue>([:])
}

public enum TuikeVersion {
    public static let current = "0.1.0"
}

/// Closes the store after the HTTP server has stopped (services stop in reverse order).
struct DatabaseService: Service {
    let database: any Database

    func run() async throws {
        try? await gracefulShutdown()
        try await database.shutdown()
    }
}

import Prometheus
import Synchronization
