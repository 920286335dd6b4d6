import Foundation
import Logging
import Prometheus
import TuikeCore
import TuikeStore

/// Everything a running Tuike needs, assembled once: the store, the clock, the job runner. Built by
/// `prepare`, which also brings the database up to date, so an app that exists can take traffic.
public struct TuikeApp: Sendable {
    public let database: any Database
    public let clock: any TuikeClock
    /// Present in sandbox mode only: the clock an admin may move forward.
    public let sandboxClock: SandboxClock?
    public let jobs: JobRunner
    public let registry: PrometheusCollectorRegistry
    public let logger: Logger
    /// Encrypts phone numbers and other sensitive fields.
    public let cipher: FieldCipher
    /// Where buyers reach this server: the base of link URLs (`https://tk.example.com`).
    public let publicURL: String
    /// Whose forwarding headers name the client.
    public let trustedProxies: TrustedProxies
    public let clicks: ClickRecorder
    /// The sandbox payment provider's signing secret (sandbox mode only).
    public let sandboxPaymentSecret: String?
    /// Providers Tuike refunds through, by name.
    let paymentProviders: [String: any PaymentProvider]
    let wechatPay: WechatPayPayments
    let alipay: AlipayPayments
    /// Where approved withdrawals are paid: the sandbox provider, or by hand (`manual`).
    let payouts: PayoutService
    /// Full refunds of failed groups and of payments that found no slot.
    let groupRefunds: GroupRefunds
    let refundService: RefundService
    /// SMS and WeChat template messages to buyers (sandbox providers in sandbox mode).
    let messaging: Messaging
    let tokenCache = TokenCache()
    /// bcrypt for logins and passwords, on its own thread.
    let passwords = PasswordHasher.shared

    var orderPlacement: OrderPlacement {
        OrderPlacement(
            database: database, orders: OrderRepository(database: database), products: ProductRepository(database: database),
            skus: SkuRepository(database: database), coupons: CouponRepository(database: database),
            promoters: PromoterRepository(database: database, cipher: cipher), attribution: AttributionQuery(database: database),
            program: ProgramRepository(database: database), cipher: cipher)
    }
    let linkCache = LinkCache()
    /// Cookie-less repeat clicks per link, address and user agent (a flood counts once).
    let clickFlood = ClickFlood()
    /// Where promoters are seen, for the self-purchase signals (one per router: `buildRouter`).
    var sightings: SightingRecorder { SightingRecorder(risk: RiskRepository(database: database), cipher: cipher, logger: logger) }
    /// Image work (uploads, posters, QR codes) a few at a time, and finished posters by content.
    let renderPool = RenderPool()
    /// Uploads decode on a pool of their own, so a burst of public posters never blocks the merchant's uploads.
    let uploadPool = RenderPool(limit: 1, maxWaiting: 16)
    let posterCache = PosterCache()

    public struct Options: Sendable {
        public var sandbox: Bool
        public var adminToken: String?
        public var demo: Bool
        public var baseClock: any TuikeClock
        public var cipher: FieldCipher
        public var publicURL: String
        /// Whose forwarding headers name the client (see `TrustedProxies`).
        public var trustedProxies: TrustedProxies
        /// How long a payment provider may take to answer before its outcome counts as unknown.
        public var providerTimeoutSeconds: Double = 10
        var providerTransport: any ProviderTransport = URLSessionProviderTransport()

        public init(sandbox: Bool = false, adminToken: String? = nil, demo: Bool = false, baseClock: any TuikeClock = SystemClock(),
                    cipher: FieldCipher, publicURL: String = "http://localhost:8080", trustedProxies: TrustedProxies = .loopback) {
            self.trustedProxies = trustedProxies
            self.sandbox = sandbox
            self.adminToken = adminToken
            self.demo = demo
            self.baseClock = baseClock
            self.cipher = cipher
            self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        }
    }

    /// What `prepare` did that the operator should hear about.
    public struct Startup: Sendable {
        /// A newly generated admin token, to be printed once and never again.
        public var generatedAdminToken: String?
        public var appliedMigrations: [Int64] = []
        public var loadedDemo = false
    }

    public static func prepare(database: any Database, options: Options, registry: PrometheusCollectorRegistry = .init(), logger: Logger) async throws -> (TuikeApp, Startup) {
        var startup = Startup()
        startup.appliedMigrations = try await Migrator(database: database).migrate(now: options.baseClock.now().milliseconds)

        let settings = SettingsRepository(database: database)
        var sandboxClock: SandboxClock?
        var sandboxSecret: String?
        if options.sandbox {
            let offset = try await settings.value(SystemController.clockOffsetKey).flatMap { Int64($0) } ?? 0
            sandboxClock = SandboxClock(offsetMilliseconds: offset, base: options.baseClock)
            sandboxSecret = try await settings.valueOrSet(
                SandboxPaymentsController.secretKey, to: "whsec_" + Identifier.secret(length: 32), at: options.baseClock.now())
        }
        let clock: any TuikeClock = sandboxClock ?? options.baseClock
        let wechatPay = WechatPayPayments(database: database, orders: OrderRepository(database: database),
                                          providers: PaymentProviderRepository(database: database, cipher: options.cipher),
                                          transport: options.providerTransport, clock: clock, publicURL: options.publicURL,
                                          timeoutSeconds: options.providerTimeoutSeconds)
        let alipay = AlipayPayments(database: database, orders: OrderRepository(database: database),
                                    providers: PaymentProviderRepository(database: database, cipher: options.cipher),
                                    transport: options.providerTransport, clock: clock, publicURL: options.publicURL,
                                    timeoutSeconds: options.providerTimeoutSeconds)
        let payouts = PayoutService(withdrawals: WithdrawalRepository(database: database),
                                    provider: options.sandbox ? SandboxPayoutProvider() : ManualPayoutProvider(),
                                    channels: [WechatPayPayouts(payments: wechatPay), AlipayPayouts(payments: alipay)], clock: clock)
        var paymentProviders: [String: any PaymentProvider] = [wechatPay.name: wechatPay, alipay.name: alipay]
        if options.sandbox { paymentProviders[SandboxPaymentsController.provider] = SandboxPaymentProvider() }
        let refundService = RefundService(orders: OrderRepository(database: database), refunds: RefundRepository(database: database),
                                          providers: paymentProviders, attempts: PaymentProviderRepository(database: database, cipher: options.cipher),
                                          afterSales: AfterSaleRepository(database: database), program: ProgramRepository(database: database), clock: clock)
        let groupRefunds = GroupRefunds(groups: GroupRepository(database: database), orders: OrderRepository(database: database),
                                        refunds: RefundRepository(database: database), service: refundService)
        let messaging: Messaging = options.sandbox ? .sandbox() : .none
        let jobs = JobRunner(database: database, clock: clock, handlers: JobHandlers.all(database: database, payouts: payouts, groupRefunds: groupRefunds, refunds: refundService),
                             sweeps: JobHandlers.sweeps(database: database, notifications: NotificationSender(
                                notifications: NotificationRepository(database: database), buyers: BuyerRepository(database: database, cipher: options.cipher),
                                messaging: messaging, clock: clock), checkouts: [wechatPay, alipay]), logger: logger)
        let app = TuikeApp(database: database, clock: clock, sandboxClock: sandboxClock, jobs: jobs, registry: registry, logger: logger,
                           cipher: options.cipher, publicURL: options.publicURL, trustedProxies: options.trustedProxies,
                           clicks: ClickRecorder(repository: ClickRepository(database: database), logger: logger),
                           sandboxPaymentSecret: sandboxSecret,
                           paymentProviders: paymentProviders, wechatPay: wechatPay, alipay: alipay, payouts: payouts, groupRefunds: groupRefunds, refundService: refundService,
                           messaging: messaging)

        startup.generatedAdminToken = try await app.ensureAdminToken(options.adminToken)
        try await JobHandlers.scheduleRecurring(database: database, now: clock.now())
        try await AgreementRepository(database: database).ensureDefault(at: clock.now())
        if options.demo {
            startup.loadedDemo = try await DemoSchool(app: app).loadIfEmpty()
        }
        return (app, startup)
    }

    /// Registers the operator's token, or generates one if no admin token exists yet. Returns a
    /// generated token so the caller can show it exactly once.
    func ensureAdminToken(_ given: String?) async throws -> String? {
        let tokens = TokenRepository(database: database)
        if let given {
            try await tokens.store(token: given, role: "admin", subjectID: nil, label: "operator (--admin-token)", at: clock.now())
            return nil
        }
        guard try await tokens.activeAdminTokenCount() == 0 else { return nil }
        return try await tokens.issue(role: "admin", subjectID: nil, label: "generated at first start", at: clock.now())
    }
}
