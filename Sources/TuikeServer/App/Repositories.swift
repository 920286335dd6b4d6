import TuikeCore
import TuikeStore

/// Every repository the routes use, made once over the app's database (repositories hold no
/// state but the database, so one of each serves every route).
struct Repositories: Sendable {
    let afterSales: AfterSaleRepository
    let agreements: AgreementRepository
    let appeals: AppealRepository
    let buyers: BuyerRepository
    let clicks: ClickRepository
    let commissions: CommissionRepository
    let coupons: CouponRepository
    let events: EventRepository
    let fulfilment: FulfilmentRepository
    let groupCampaigns: GroupCampaignRepository
    let groups: GroupRepository
    let idempotency: IdempotencyRepository
    let links: LinkRepository
    let loginThrottle: LoginThrottle
    let orders: OrderRepository
    let productRules: ProductRuleRepository
    let products: ProductRepository
    let program: ProgramRepository
    let promoters: PromoterRepository
    let ranks: RankRepository
    let reconciliation: ReconciliationQuery
    let refunds: RefundRepository
    let sessions: SessionRepository
    let settings: SettingsRepository
    let settlements: SettlementRepository
    let skus: SkuRepository
    let tokens: TokenRepository
    let unpaidHolds: UnpaidHolds
    let withdrawals: WithdrawalRepository

    init(_ tuike: TuikeApp) {
        let database = tuike.database
        afterSales = AfterSaleRepository(database: database)
        agreements = AgreementRepository(database: database)
        appeals = AppealRepository(database: database)
        buyers = BuyerRepository(database: database, cipher: tuike.cipher)
        clicks = ClickRepository(database: database)
        commissions = CommissionRepository(database: database)
        coupons = CouponRepository(database: database)
        events = EventRepository(database: database)
        fulfilment = FulfilmentRepository(database: database)
        groupCampaigns = GroupCampaignRepository(database: database)
        groups = GroupRepository(database: database)
        idempotency = IdempotencyRepository(database: database)
        links = LinkRepository(database: database)
        loginThrottle = LoginThrottle(database: database)
        orders = OrderRepository(database: database)
        productRules = ProductRuleRepository(database: database)
        products = ProductRepository(database: database)
        program = ProgramRepository(database: database)
        promoters = PromoterRepository(database: database, cipher: tuike.cipher)
        ranks = RankRepository(database: database)
        reconciliation = ReconciliationQuery(database: database)
        refunds = RefundRepository(database: database)
        sessions = SessionRepository(database: database, cipher: tuike.cipher)
        settings = SettingsRepository(database: database)
        settlements = SettlementRepository(database: database)
        skus = SkuRepository(database: database)
        tokens = TokenRepository(database: database)
        unpaidHolds = UnpaidHolds(database: database)
        withdrawals = WithdrawalRepository(database: database)
    }
}
