import Testing
@testable import TuikeCore

@Suite struct GoodsRulesTests {
    let settings = ProgramSettings.defaults   // freeze 7, after-sale 7, auto-receive 10
    let day: Int64 = 86_400

    /// Eligible after-sale days after receipt, never before the freeze after payment; waiting until received.
    @Test func theFreezeFollowsTheGoods() {
        let paid = Instant(milliseconds: 1_000_000_000_000)
        #expect(GoodsFreeze.eligibleAt(paidAt: paid, receivedAt: nil, settings: settings) == GoodsFreeze.awaiting)
        #expect(GoodsFreeze.eligibleAt(paidAt: paid, receivedAt: paid.adding(seconds: 2 * day), settings: settings) == paid.adding(seconds: 9 * day))
        // Received at once: the payment's freeze is the later one.
        var quick = settings
        quick.afterSaleDays = 0
        #expect(GoodsFreeze.eligibleAt(paidAt: paid, receivedAt: paid.adding(seconds: 3_600), settings: quick) == paid.adding(seconds: 7 * day))
        #expect(GoodsFreeze.receiveBy(lastShipment: paid, settings: settings) == paid.adding(seconds: 10 * day))
    }

    func order(fulfilment: FulfilmentStatus?, receivedAt: Instant?, status: Order.Status = .paid, kind: Product.Kind = .physical) -> (Order, Order.Item) {
        let item = Order.Item(id: "itm_1", productID: "prod_1", title: "T恤", kind: kind, unitPrice: 9_900, quantity: 2, paid: 19_800, refunded: 800,
                              rule: .programDefault(settings), ruleSource: "program", sku: "TS-W-L", skuID: "sku_1")
        let order = Order(id: "ord_1", buyerID: "b", externalID: nil, status: status, amount: 19_800, visitorID: nil, clickID: nil, coupon: nil,
                          levelOne: [], levelTwo: nil, levelThree: nil, attributionRule: .none, attributionClickID: nil, selfReferral: false,
                          createdAt: Instant(milliseconds: 0), items: [item], fulfilment: fulfilment, receivedAt: receivedAt)
        return (order, item)
    }

    /// The window closes `after_sale_days` after receipt, to the millisecond; a return needs the
    /// goods shipped; the amount is at most what is left on the line.
    @Test func afterSalesAreAskedInsideTheWindow() {
        let received = Instant(milliseconds: 2_000_000_000_000)
        let deadline = received.adding(seconds: 7 * day)
        let (shipped, item) = order(fulfilment: .received, receivedAt: received)
        func refusal(_ kind: AfterSale.Kind = .goodsReturn, amount: Int64 = 19_000, quantity: Int64 = 1, of subject: (Order, Order.Item)? = nil,
                     at now: Instant) -> String? {
            let (order, line) = subject ?? (shipped, item)
            return AfterSale.refusal(kind: kind, amount: amount, quantity: quantity, item: line,
                                     facts: .init(order: order, fulfilment: order.fulfilment, receivedAt: order.receivedAt), settings: settings, now: now)?.code
        }
        #expect(refusal(at: deadline) == nil)
        #expect(refusal(at: deadline.adding(milliseconds: 1)) == "after_sale_window_closed")
        #expect(refusal(amount: 19_001, at: received) == "validation_failed")
        #expect(refusal(amount: 0, at: received) == "validation_failed")
        #expect(refusal(quantity: 3, at: received) == "validation_failed")
        #expect(refusal(of: order(fulfilment: .unfulfilled, receivedAt: nil), at: received) == "not_shipped")
        #expect(refusal(.refund, of: order(fulfilment: .unfulfilled, receivedAt: nil), at: received) == nil)
        #expect(refusal(of: order(fulfilment: nil, receivedAt: nil, kind: .course), at: received) == "not_physical")
        #expect(refusal(of: order(fulfilment: .received, receivedAt: received, status: .refunded), at: received) == "already_refunded")
        #expect(refusal(of: order(fulfilment: .unfulfilled, receivedAt: nil, status: .pendingPayment), at: received) == "not_paid")
    }

    @Test func afterSaleStatusesMoveOnlyForward() {
        #expect(AfterSale.Status.requested.canMove(to: .refunded) && AfterSale.Status.returning.canMove(to: .refunded))
        #expect(!AfterSale.Status.returning.canMove(to: .cancelled) && AfterSale.Status.refunded.isFinal && AfterSale.Status.refused.isFinal)
        #expect(AfterSale.Status.open == [.requested, .approved, .returning])
        #expect(!FulfilmentStatus.received.canMove(to: .shipped) && FulfilmentStatus.shipped.canMove(to: .shipped))
    }

    @Test func variantsAreCheckedAsAList() throws {
        func sku(_ code: String, _ attributes: [String: String] = [:], price: Int64 = 100, stock: Int64 = 1) -> Sku {
            Sku(id: "sku_\(code)", productID: "p", code: code, attributes: attributes, price: price, stock: stock)
        }
        try Sku.validate([sku("TS-W-L", ["颜色": "白", "尺码": "L"]), sku("TS-B-L", ["颜色": "黑", "尺码": "L"])])
        #expect(throws: TuikeError.self) { try Sku.validate([sku("A"), sku("A")]) }
        #expect(throws: TuikeError.self) { try Sku.validate([sku("A", ["c": "1"]), sku("B", ["c": "1"])]) }
        #expect(throws: TuikeError.self) { try sku("has space").validate() }
        #expect(throws: TuikeError.self) { try sku("A", price: -1).validate() }
        #expect(throws: TuikeError.self) { try sku("A", stock: Product.maxStock + 1).validate() }
        #expect(throws: TuikeError.self) { try sku("A", ["": "x"]).validate() }
        #expect(sku("A", ["颜色": "白", "尺码": "L"]).label == "尺码: L / 颜色: 白")
    }

    @Test func addressesNameWhatIsMissing() throws {
        let full = ShippingAddress(name: " 张三 ", phone: "+86 138-0013-8000", province: "浙江省", city: "杭州市", district: "西湖区", line: "文三路 1 号")
        #expect(try full.validated().name == "张三")
        do {
            _ = try ShippingAddress(name: "张三", phone: "13800138000", province: "", city: " ", district: "西湖区", line: "").validated()
            Issue.record("an address without a province was taken")
        } catch {
            #expect(error.message.contains("province, city, line"))
        }
        var bad = full
        bad.phone = "call me"
        #expect(throws: TuikeError.self) { try bad.validated() }
        bad = full
        bad.line = String(repeating: "路", count: ShippingAddress.maxLineLength + 1)
        #expect(throws: TuikeError.self) { try bad.validated() }
    }

    @Test func parcelsNeedACarrierAndATrackingNumber() {
        #expect(throws: Never.self) { try Shipment.validate(carrier: "顺丰", trackingNumber: "SF1234567890") }
        #expect(throws: TuikeError.self) { try Shipment.validate(carrier: "", trackingNumber: "SF1234567890") }
        #expect(throws: TuikeError.self) { try Shipment.validate(carrier: "顺丰", trackingNumber: "SF 12") }
        #expect(throws: TuikeError.self) { try Shipment.validate(carrier: "顺丰", trackingNumber: "SF1") }
    }
}
