import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle
import TuikeCore
import TuikeStore

/// How `tuike serve` was started (docs/api.md "Starting the server").
public struct ServeConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var database = "./tuike.sqlite"
    public var adminToken: String?
    public var sandbox = false
    public var demo = false
    /// Base URL of links; default `http://localhost:<port>`.
    public var publicURL: String?
    /// Where the data key lives when `TUIKE_DATA_KEY` is not set; created on first start.
    public var dataKeyFile = "./tuike.key"
    /// Proxies whose forwarding headers are believed.
    public var trustedProxies = TrustedProxies.loopback
    /// Timeouts and the per-address connection cap.
    public var connections = ConnectionLimits()

    public init() {}
}

/// Opens the store, prepares it and returns the application with its background services.
public func buildApplication(_ configuration: ServeConfiguration, registry: PrometheusCollectorRegistry = .init(), logger: Logger)
    async throws -> (some ApplicationProtocol, TuikeApp.Startup)
{
    let cipher = try FieldCipher.load(environment: ProcessInfo.processInfo.environment, file: configuration.dataKeyFile)
    let database = try await StoreFactory.open(configuration.database, logger: logger)
    let (tuike, startup) = try await TuikeApp.prepare(
        database: database,
        options: .init(sandbox: configuration.sandbox, adminToken: configuration.adminToken, demo: configuration.demo,
                       cipher: cipher, publicURL: configuration.publicURL ?? "http://localhost:\(configuration.port)",
                       trustedProxies: configuration.trustedProxies),
        registry: registry, logger: logger)
    var app = Application(
        router: buildRouter(tuike).router,
        server: httpServer(tuike, limits: configuration.connections, logger: logger),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: serverName),
        logger: logger)
    app.addServices(
        DatabaseService(database: database), JobRunnerService(runner: tuike.jobs, logger: logger), tuike.clicks,
        WebhookDeliveryService(
            delivery: WebhookDelivery(
                events: EventRepository(database: database),
                sender: GuardedWebhookSender(inner: URLSessionWebhookSender()) {
                    try await ProgramRepository(database: database).current().webhooksAllowPrivate
                },
                clock: tuike.clock),
            logger: logger))
    return (app, startup)
}

let serverName = "Tuike"

/// HTTP/1.1 with clicks on cached links answered in the pipeline (`ClickRedirectHandler`), slow
/// or idle clients closed (`ConnectionGuard`) and connections per address capped (`ConnectionCap`).
func httpServer(_ tuike: TuikeApp, limits: ConnectionLimits = .init(), logger: Logger) -> HTTPServerBuilder {
    let perAddress = ConnectionsPerAddress(limit: limits.perAddress, exempt: tuike.trustedProxies)
    let shared = ClickRedirectHandler.Shared(
        tracking: TrackingController(links: LinkRepository(database: tuike.database), cache: tuike.linkCache, recorder: tuike.clicks,
                                     trustedProxies: tuike.trustedProxies, flood: tuike.clickFlood,
                                     program: ProgramRepository(database: tuike.database), publicHost: WebTarget.host(of: tuike.publicURL), cipher: tuike.cipher,
                                     clock: tuike.clock),
        secureCookies: SecureCookieMiddleware(publicURL: tuike.publicURL), metrics: ClickRedirectMetrics(), serverName: serverName, logger: logger)
    return .http1(configuration: .init(additionalChannelHandlers: [
        ConnectionCap(registry: perAddress, logger: logger), ConnectionGuard(limits: limits), ClickRedirectHandler(shared: shared),
    ]))
}

/// The routes of a prepared Tuike, and their documentation.
func buildRouter(_ tuike: TuikeApp, groupStreamTiming: GroupsController.StreamTiming = .init())
    -> (router: Router<TuikeRequestContext>, operations: [APIOperation])
{
    let router = Router(context: TuikeRequestContext.self)
    let sightings = tuike.sightings
    router.middlewares.add(SecureCookieMiddleware(publicURL: tuike.publicURL))
    router.middlewares.add(TrustedProxiesMiddleware(trusted: tuike.trustedProxies))
    router.middlewares.add(SecurityHeadersMiddleware())
    router.middlewares.add(ErrorMiddleware())
    router.middlewares.add(LogRequestsMiddleware(.info))
    router.middlewares.add(MetricsMiddleware())
    router.middlewares.add(AuthMiddleware(tokens: TokenRepository(database: tuike.database), buyers: BuyerRepository(database: tuike.database, cipher: tuike.cipher),
                                          cache: tuike.tokenCache,
                                          clock: tuike.clock, sightings: sightings))
    router.middlewares.add(IdempotencyMiddleware(repository: IdempotencyRepository(database: tuike.database), clock: tuike.clock))
    router.middlewares.add(LanguageMiddleware())

    let api = APIRoutes(router: router)
    let store = Repositories(tuike)
    let jobs = tuike.jobs
    let documentBox = DocumentBox()
    SystemController(
        clock: tuike.clock, sandboxClock: tuike.sandboxClock, settings: store.settings,
        registry: tuike.registry, runDueJobs: { try await jobs.runDue() }
    ).addRoutes(to: api) { documentBox.value.withLock { $0 } }
    let materials = MaterialRepository(database: tuike.database), media = MediaRepository(database: tuike.database)
    ProductsController(products: store.products, skus: store.skus, program: store.program, materials: materials, media: media, publicURL: tuike.publicURL, clock: tuike.clock).addRoutes(to: api)
    let ingest = MediaIngest(media: media, pool: tuike.uploadPool, clock: tuike.clock)
    MediaController(media: media, ingest: ingest, publicURL: tuike.publicURL, clock: tuike.clock).addRoutes(to: api)
    ConsoleMediaUpload(sessions: store.sessions, ingest: ingest, publicURL: tuike.publicURL, clock: tuike.clock).addRoutes(to: api)
    MaterialTemplatesController(materials: materials, media: media, products: store.products, badges: BadgeRepository(database: tuike.database),
                                clock: tuike.clock).addRoutes(to: api)
    ProgramController(program: store.program, clock: tuike.clock).addRoutes(to: api)
    SkusController(products: store.products, skus: store.skus, program: store.program, clock: tuike.clock).addRoutes(to: api)

    let program = store.program
    let promoters = store.promoters
    let links = store.links
    let stats = TrafficStats(rollups: DayRollups(database: tuike.database), program: program, clock: tuike.clock)
    let promotersController = PromotersController(
        promoters: promoters, ranks: store.ranks, tokens: store.tokens, stats: stats, database: tuike.database, clock: tuike.clock)
    promotersController.addRoutes(to: api)
    let throttle = store.loginThrottle
    let forms = FormReplay(repository: store.idempotency, clock: tuike.clock)
    let applications = ApplicationsController(promoters: promoters, agreements: store.agreements, program: program,
                                              upline: promotersController, throttle: throttle, sightings: sightings, clock: tuike.clock)
    applications.addRoutes(to: api)
    RiskController(risk: RiskRepository(database: tuike.database), commissions: CommissionRepository(database: tuike.database),
                   program: ProgramRepository(database: tuike.database), clock: tuike.clock).addRoutes(to: api)
    AnalyticsController(funnels: FunnelQuery(database: tuike.database), leaderboards: LeaderboardQuery(database: tuike.database), promoters: promoters,
                        products: store.products, links: links, videos: VideoRepository(database: tuike.database), program: program,
                        clock: tuike.clock).addRoutes(to: api)
    IncentivesController(badges: BadgeRepository(database: tuike.database), promoters: promoters, products: store.products, program: program,
                         clock: tuike.clock).addRoutes(to: api)
    SpreadController(spread: SpreadQuery(database: tuike.database), products: store.products, program: program, clock: tuike.clock).addRoutes(to: api)
    RoiController(roi: RoiQuery(database: tuike.database), program: program, clock: tuike.clock).addRoutes(to: api)
    SimulationsController(database: tuike.database, simulations: SimulationQuery(database: tuike.database), promoters: promoters,
                          products: store.products, program: program, ranks: store.ranks, clock: tuike.clock).addRoutes(to: api)
    LinksController(links: links, cache: tuike.linkCache, stats: stats, program: program, publicURL: tuike.publicURL, clock: tuike.clock).addRoutes(to: api)
    let tracking = TrackingController(links: links, cache: tuike.linkCache, recorder: tuike.clicks, trustedProxies: tuike.trustedProxies, flood: tuike.clickFlood,
                                     program: store.program, publicHost: WebTarget.host(of: tuike.publicURL), cipher: tuike.cipher, clock: tuike.clock)
    tracking.addRoutes(to: api)
    let posters = PosterService(materials: materials, media: media, pool: tuike.renderPool, cache: tuike.posterCache, publicURL: tuike.publicURL, clock: tuike.clock)
    let center = MaterialCenter(products: store.products, links: links, materials: materials, media: media, promoters: promoters,
                                campaigns: store.groupCampaigns, badges: BadgeRepository(database: tuike.database), program: program, posters: posters, publicURL: tuike.publicURL, clock: tuike.clock)
    let materialsController = MaterialsController(tracking: tracking, posters: posters, center: center, clock: tuike.clock)
    materialsController.addRoutes(to: api)
    PosterPage(materials: materialsController).addRoutes(to: api)
    router.middlewares.add(RefParameterMiddleware(tracking: tracking))
    if let secret = tuike.sandboxPaymentSecret {
        SandboxPaymentsController(database: tuike.database, orders: store.orders, secret: secret, clock: tuike.clock)
            .addRoutes(to: api)
    }
    WechatPayController(payments: tuike.wechatPay, providers: tuike.wechatPay.providers, clock: tuike.clock, publicURL: tuike.publicURL)
        .addRoutes(to: api)
    AlipayController(payments: tuike.alipay, clock: tuike.clock, publicURL: tuike.publicURL).addRoutes(to: api)
    let checkout = CheckoutController(orders: store.orders, wechatPay: tuike.wechatPay, alipay: tuike.alipay, program: program, publicURL: tuike.publicURL,
                                      sandbox: tuike.sandboxPaymentSecret != nil, clock: tuike.clock)
    checkout.addRoutes(to: api)
    CouponsController(coupons: store.coupons, clock: tuike.clock).addRoutes(to: api)
    EventsController(events: store.events, program: program, clock: tuike.clock).addRoutes(to: api)
    RanksController(ranks: store.ranks, program: program, clock: tuike.clock).addRoutes(to: api)
    let ordersController = OrdersController(placement: tuike.orderPlacement, orders: store.orders, refunds: store.refunds,
                                            refundService: tuike.refundService, fulfilment: store.fulfilment, database: tuike.database,
                                            clock: tuike.clock)
    ordersController.addRoutes(to: api)
    FulfilmentController(fulfilment: store.fulfilment, orders: ordersController, program: program, clock: tuike.clock).addRoutes(to: api)
    let afterSalesController = AfterSalesController(afterSales: store.afterSales, orders: store.orders, media: media, refundService: tuike.refundService,
                                                    program: program, clock: tuike.clock)
    afterSalesController.addRoutes(to: api)
    let buyersController = BuyersController(buyers: store.buyers, orders: store.orders, fulfilment: store.fulfilment, afterSales: store.afterSales,
                                            messaging: tuike.messaging, clock: tuike.clock)
    buyersController.addRoutes(to: api)
    NotificationsController(notifications: NotificationRepository(database: tuike.database)).addRoutes(to: api)
    VideosController(videos: VideoRepository(database: tuike.database), products: store.products, media: media, promoters: promoters, program: program,
                     clock: tuike.clock).addRoutes(to: api)
    CommissionsController(commissions: store.commissions, promoters: promoters,
                          products: store.products, productRules: store.productRules,
                          program: program, database: tuike.database, clock: tuike.clock).addRoutes(to: api)

    let commissions = store.commissions
    let withdrawals = store.withdrawals
    SettlementsController(settlements: store.settlements, commissions: commissions, program: program, clock: tuike.clock)
        .addRoutes(to: api)
    WithdrawalsController(withdrawals: withdrawals, payouts: tuike.payouts, program: program, clock: tuike.clock).addRoutes(to: api)
    PayoutConfirmationController(withdrawals: withdrawals, wechatPay: tuike.wechatPay).addRoutes(to: api)
    if let sandboxPayouts = tuike.payouts.provider as? SandboxPayoutProvider {
        SandboxPayoutsController(provider: sandboxPayouts).addRoutes(to: api)
    }
    AppealsController(appeals: store.appeals, commissions: commissions, clock: tuike.clock).addRoutes(to: api)
    ReportsController(database: tuike.database, reconciliation: store.reconciliation, commissions: commissions,
                      settlements: store.settlements, withdrawals: withdrawals, program: program, clock: tuike.clock)
        .addRoutes(to: api)

    let groupRepository = store.groups
    let groupCampaigns = store.groupCampaigns
    GroupCampaignsController(campaigns: groupCampaigns, groups: groupRepository, products: store.products,
                             publicURL: tuike.publicURL, clock: tuike.clock).addRoutes(to: api)
    let buyerPages = BuyerPages(buyers: store.buyers, buyersAPI: buyersController, orders: store.orders, products: store.products,
                                fulfilment: store.fulfilment, afterSales: afterSalesController, forms: forms, program: program, clock: tuike.clock)
    buyerPages.addRoutes(to: api)
    CheckoutPage(orders: store.orders, checkout: checkout, buyerPages: buyerPages, sandbox: tuike.sandboxPaymentSecret != nil).addRoutes(to: api)
    StorefrontController(products: store.products, campaigns: groupCampaigns, groups: groupRepository,
                         placement: tuike.orderPlacement, forms: forms, holds: store.unpaidHolds, program: program, materials: materials,
                         skus: store.skus, buyers: store.buyers, buyerPages: buyerPages, publicURL: tuike.publicURL, clock: tuike.clock).addRoutes(to: api)
    let inProcess = InProcessAPI()
    let portal = PortalController(sessions: store.sessions, promoters: promoters, links: links,
                     commissions: commissions, settlements: store.settlements, withdrawals: withdrawals,
                     rollups: DayRollups(database: tuike.database), program: program, database: tuike.database, applications: applications,
                     agreements: store.agreements, api: inProcess, throttle: throttle, passwords: tuike.passwords,
                     forms: forms, sightings: sightings, publicURL: tuike.publicURL, clock: tuike.clock)
    portal.addRoutes(to: api)
    PortalMaterials(portal: portal, center: center).addRoutes(to: api)
    PortalVideos(portal: portal, videos: VideoRepository(database: tuike.database), links: links, program: program, forms: forms,
                 publicURL: tuike.publicURL, clock: tuike.clock).addRoutes(to: api)
    ConsoleController(sessions: store.sessions, withdrawals: withdrawals,
                      promoters: promoters, program: program, database: tuike.database, api: inProcess, throttle: throttle, passwords: tuike.passwords, clock: tuike.clock)
        .addRoutes(to: api)
    GroupsController(groups: groupRepository, campaigns: groupCampaigns, placement: tuike.orderPlacement, orders: store.orders,
                     refunds: store.refunds, groupRefunds: tuike.groupRefunds,
                     eventCache: GroupEventCache { id, after in try await groupRepository.events(groupID: id, after: after) },
                     publicURL: tuike.publicURL, clock: tuike.clock, streamTiming: groupStreamTiming).addRoutes(to: api)

    inProcess.install(router.buildResponder())
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
