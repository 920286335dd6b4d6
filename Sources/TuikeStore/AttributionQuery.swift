import TuikeCore

/// Gathers what RULES.md §3 needs from the store and lets `Attribution.decide` choose. Orders
/// call it at creation and keep the result as their attribution snapshot.
public struct AttributionQuery: Sendable {
    let clicks: ClickRepository
    let bindings: BindingRepository
    let promoters: PromoterRepository

    public init(database: any Database, cipher: FieldCipher) {
        clicks = ClickRepository(database: database)
        bindings = BindingRepository(database: database)
        promoters = PromoterRepository(database: database, cipher: cipher)
    }

    public struct Request: Sendable {
        public var buyerID: String
        public var visitorID: String?
        public var clickID: String?
        public var couponPromoterID: String?

        public init(buyerID: String, visitorID: String? = nil, clickID: String? = nil, couponPromoterID: String? = nil) {
            self.buyerID = buyerID
            self.visitorID = visitorID
            self.clickID = clickID
            self.couponPromoterID = couponPromoterID
        }
    }

    public func attribute(_ request: Request, settings: ProgramSettings, now: Instant) async throws -> Attribution.Result {
        try await attributeWithUpline(request, settings: settings, now: now).result
    }

    /// The attribution and the upline (levels 2 and 3) of the promoter it chose, for the order's
    /// snapshot.
    public func attributeWithUpline(_ request: Request, settings: ProgramSettings, now: Instant) async throws
        -> (result: Attribution.Result, parent: String?, grandparent: String?) {
        let since = now.adding(milliseconds: -settings.windowDays * 86_400_000)
        let found = try await clicks.forAttribution(visitorID: request.visitorID, clickID: request.clickID, since: since, until: now)
        let binding = try await bindings.binding(buyerID: request.buyerID)
        var ids = Set(found.map(\.promoterID))
        if let binding { ids.insert(binding.promoterID) }
        if let coupon = request.couponPromoterID { ids.insert(coupon) }
        let candidates = try await promoters.candidates(ids)
        let result = Attribution.decide(Attribution.Input(
            buyerID: request.buyerID, now: now, model: settings.attributionModel, windowDays: settings.windowDays,
            binding: binding, couponPromoterID: request.couponPromoterID, clicks: found,
            promoters: candidates.mapValues(\.candidate)))
        let chosen = result.promoterID.flatMap { candidates[$0] }
        return (result, chosen?.parent, chosen?.grandparent)
    }
}
