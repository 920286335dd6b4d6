import TuikeCore
import TuikeStore

/// Turns an order request into a stored order: prices copied from the catalog, a coupon's discount
/// spread over the lines, the commission rule of each line resolved, the buyer attributed
/// (docs/rules.md §3) and the upline snapshotted. Used by
/// the API and by the demo, so both place orders the same way.
struct OrderPlacement {
    let database: any Database
    let orders: OrderRepository
    let products: ProductRepository
    let skus: SkuRepository
    let coupons: CouponRepository
    let promoters: PromoterRepository
    let attribution: AttributionQuery
    let program: ProgramRepository
    let cipher: FieldCipher

    struct Line: Sendable {
        var productID: String
        var quantity: Int64
        /// The variant's code, for a product with SKUs.
        var sku: String? = nil
    }

    struct Request: Sendable {
        var buyerID: String
        var items: [Line]
        /// Required when a line is a physical good.
        var shippingAddress: ShippingAddress? = nil
        var visitorID: String? = nil
        var clickID: String? = nil
        var coupon: String? = nil
        var externalID: String? = nil
        /// A group buy's price for its single line, instead of the list price.
        var unitPrice: Int64? = nil
        var groupID: String? = nil
        /// Where the buyer is (the storefront's view of the request, or the integrator's word),
        /// for the risk signals; kept only as keyed hashes.
        var ip: String? = nil
        var deviceID: String? = nil
    }

    /// Returns the order and whether it is new (false: an order with this external id existed).
    /// Its reads and its write share one connection (`Database.session`, PostgreSQL).
    func place(_ request: Request, at now: Instant) async throws -> (Order, created: Bool) {
        guard (1...Order.maxItems).contains(request.items.count) else { throw TuikeError.validation("items needs 1 to \(Order.maxItems) lines") }
        if let externalID = request.externalID {
            guard (1...128).contains(externalID.count) else { throw TuikeError.validation("external_id must be 1 to 128 characters") }
        }
        return try await database.session { [self] in
            if let externalID = request.externalID, let existing = try await orders.find(externalID: externalID) { return (existing, false) }
            let prepared = try await prepare(request, at: now)
            return try await orders.create(prepared.order, expiresAt: prepared.expiresAt, redeemsCoupon: prepared.redeemsCoupon,
                                           stockLimited: prepared.stockLimited)
        }
    }

    /// Builds the order without storing it (group orders are stored with their slot).
    /// `stockLimited`: whether a line's product had a stock limit (see `OrderRepository.create`).
    func prepare(_ request: Request, at now: Instant) async throws -> (order: Order, expiresAt: Instant, redeemsCoupon: Bool, stockLimited: Bool) {
        guard (1...128).contains(request.buyerID.count) else { throw TuikeError.validation("buyer_id must be 1 to 128 characters") }
        if let visitor = request.visitorID { try TrackingController.checkIntegratorVisitor(visitor) }
        let (settings, campaigns) = try await program.inForce(at: now)
        var items: [Order.Item] = []
        var stockLimited = false
        for line in request.items {
            guard (1...Order.maxQuantity).contains(line.quantity) else { throw TuikeError.validation("quantity must be between 1 and \(Order.maxQuantity)") }
            guard let (product, productRule) = try await products.findWithRule(line.productID), product.status == .active else {
                throw TuikeError.validation("product_id \(line.productID) is not an active product")
            }
            if product.stock != nil { stockLimited = true }
            let sku = try await variant(of: product, code: line.sku)
            if sku != nil { stockLimited = true }
            let resolved = RuleResolution.resolve(productID: product.id, at: now, campaigns: campaigns, skuRule: sku?.rule, productRule: productRule,
                                                  programDefault: .programDefault(settings))
            let unitPrice = request.unitPrice ?? sku?.price ?? product.price
            items.append(Order.Item(
                id: Identifier.make("itm", at: now), productID: product.id, title: product.title, kind: product.kind, unitPrice: unitPrice,
                quantity: line.quantity, paid: Money.times(unitPrice, line.quantity), rule: resolved.rule, ruleSource: resolved.source.label,
                sku: sku?.code, skuID: sku?.id))
        }
        // A coupon is a merchant or promoter coupon (a discount, and the promoter's attribution),
        // or else a promoter's invite code (attribution only).
        var couponPromoter: String?
        var discount: Int64 = 0
        var redeemsCoupon = false
        if let code = request.coupon {
            let subtotal = items.reduce(0) { $0 + $1.paid }
            if let coupon = try await coupons.find(code) {
                if let refusal = coupon.refusal(amount: subtotal, at: now) { throw TuikeError.validation(refusal) }
                discount = coupon.discount(on: subtotal)
                couponPromoter = coupon.promoterID
                redeemsCoupon = true
                let shares = RefundAllocation.allocate(total: discount, over: items.map(\.paid))
                items = zip(items, shares).map { item, share in
                    Order.Item(id: item.id, productID: item.productID, title: item.title, kind: item.kind, unitPrice: item.unitPrice,
                               quantity: item.quantity, discount: share, paid: item.paid - share, rule: item.rule, ruleSource: item.ruleSource,
                               sku: item.sku, skuID: item.skuID)
                }
            } else if let owner = try await promoters.find(inviteCode: code) {
                couponPromoter = owner.id
            } else {
                throw TuikeError.validation("coupon \(code) is not valid")
            }
        }
        let physical = items.contains { $0.kind == .physical }
        guard !physical || request.shippingAddress != nil else {
            throw TuikeError.validation("an order with physical goods needs shipping_address {\(ShippingAddress.fieldNames.joined(separator: ", "))}")
        }
        let address = try request.shippingAddress.map { address throws(TuikeError) in try address.validated() }
        let (result, levelTwo, levelThree) = try await attribution.attributeWithUpline(
            .init(buyerID: request.buyerID, visitorID: request.visitorID, clickID: request.clickID, couponPromoterID: couponPromoter),
            settings: settings, now: now)
        var order = Order(
            id: Identifier.make("ord", at: now), buyerID: request.buyerID, externalID: request.externalID, status: .pendingPayment,
            amount: items.reduce(0) { $0 + $1.paid }, discount: discount, visitorID: request.visitorID, clickID: request.clickID,
            coupon: request.coupon.map { redeemsCoupon ? Coupon.normalize($0) : $0 },
            levelOne: result.promoters, levelTwo: levelTwo, levelThree: levelThree, attributionRule: result.rule,
            attributionClickID: result.clickID, selfReferral: result.selfReferral, createdAt: now, items: items, groupID: request.groupID,
            shippingAddress: physical ? address : nil, fulfilment: physical ? .unfulfilled : nil)
        order.originIPHash = try request.ip.map { ip throws(TuikeError) in try RiskOrigin.ipHash(ip, cipher: cipher) }
        order.originDeviceHash = try request.deviceID.map { device throws(TuikeError) in try RiskOrigin.deviceHash(device, cipher: cipher) }
        return (order, now.adding(seconds: settings.orderTimeoutSeconds), redeemsCoupon, stockLimited)
    }
}

extension OrderPlacement {
    /// The variant a line names: required for a product with SKUs, refused for one without.
    func variant(of product: Product, code: String?) async throws -> Sku? {
        guard let code else {
            if product.kind == .physical, try await !skus.list(productID: product.id).isEmpty {
                throw TuikeError.validation("product \(product.id) has variants; name one with sku")
            }
            return nil
        }
        guard let sku = try await skus.find(productID: product.id, code: code) else {
            throw TuikeError.validation("sku \(code) is not a variant of product \(product.id)")
        }
        return sku
    }
}

extension Optional {
    func asyncFlatMap<U>(_ transform: (Wrapped) async throws -> U?) async rethrows -> U? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
