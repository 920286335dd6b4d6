import Foundation
import TuikeCore
import TuikeStore

/// Taking payments through Alipay: page pay (a computer's browser) and wap pay (a phone's), the
/// query and close of an unpaid order, refunds. The out-trade number is Tuike's order id, amounts
/// are yuan with two decimals as Alipay writes them, read back to fen exactly.
struct AlipayPayments: PaymentProvider, CheckoutProvider, RefundQuerying {
    let name = AlipayConfig.provider
    let database: any Database
    let orders: OrderRepository
    let providers: PaymentProviderRepository
    let transport: any ProviderTransport
    let clock: any TuikeClock
    let publicURL: String
    let timeoutSeconds: Double

    enum Method: String, CaseIterable, Sendable { case page, wap }

    func client() async throws -> AlipayClient {
        AlipayClient(config: try await AlipayConfig.required(from: providers), transport: transport, clock: clock, timeoutSeconds: timeoutSeconds)
    }

    private struct PayBiz: Encodable {
        let outTradeNo, totalAmount, subject, productCode, timeExpire: String
        enum CodingKeys: String, CodingKey {
            case outTradeNo = "out_trade_no", totalAmount = "total_amount", subject, productCode = "product_code", timeExpire = "time_expire"
        }
    }

    /// The page to send the buyer to; Alipay brings the buyer back to `returnURL` and tells Tuike
    /// of the payment by notification. Nothing is sent from here, so this cannot time out.
    func payURL(_ order: Order, method: Method, expiresAt: Instant, returnURL: String) async throws -> String {
        let client = try await client()
        let biz = PayBiz(outTradeNo: order.id, totalAmount: Money.format(order.amount), subject: PaymentSubject.of(order, utf8Bytes: 256),
                         productCode: method == .page ? "FAST_INSTANT_TRADE_PAY" : "QUICK_WAP_WAY", timeExpire: BeijingTime.plain(expiresAt))
        return try client.pageURL(method: method == .page ? "alipay.trade.page.pay" : "alipay.trade.wap.pay", biz: biz,
                                  extra: ["notify_url": publicURL + AlipayConfig.notifyPath, "return_url": returnURL])
    }

    /// A trade as Alipay describes it, in a query's answer or a notification's fields.
    struct Trade: Sendable {
        let appID: String?
        let sellerID: String?
        let outTradeNo: String?
        let tradeNo: String?
        let status: String?
        let totalAmount: String?
    }

    private struct QueryAnswer: Decodable {
        let outTradeNo: String?
        let tradeNo: String?
        let tradeStatus: String?
        let totalAmount: String?
        enum CodingKeys: String, CodingKey { case outTradeNo = "out_trade_no", tradeNo = "trade_no", tradeStatus = "trade_status", totalAmount = "total_amount" }
    }

    func query(orderID: String) async throws -> Trade? {
        let client = try await client()
        let answer = try await client.call("alipay.trade.query", biz: ["out_trade_no": orderID])
        if answer.subCode == "ACQ.TRADE_NOT_EXIST" { return nil }
        guard answer.succeeded else { throw answer.refusal }
        let found = try AlipayClient.read(QueryAnswer.self, answer)
        return Trade(appID: client.config.appID, sellerID: client.config.sellerID, outTradeNo: found.outTradeNo, tradeNo: found.tradeNo,
                     status: found.tradeStatus, totalAmount: found.totalAmount)
    }

    /// Closes an unpaid trade; one Alipay never heard of (the buyer never opened the page) is fine.
    func close(orderID: String) async throws {
        let answer = try await client().call("alipay.trade.close", biz: ["out_trade_no": orderID])
        guard answer.succeeded || answer.subCode == "ACQ.TRADE_NOT_EXIST" else { throw answer.refusal }
    }

    func settleBeforeExpiry(orderID: String) async throws {
        guard let config = try await AlipayConfig.load(from: providers) else { return }
        if let trade = try await query(orderID: orderID), Self.paidStates.contains(trade.status ?? "") {
            _ = try await book(trade, config: config)
            return
        }
        try await close(orderID: orderID)
    }

    static let paidStates: Set<String> = ["TRADE_SUCCESS", "TRADE_FINISHED"]

    private struct RefundAnswer: Decodable {
        let tradeNo: String?
        let fundChange: String?
        enum CodingKeys: String, CodingKey { case tradeNo = "trade_no", fundChange = "fund_change" }
    }

    /// A refund Alipay made returns `reference`, its request number (Alipay names no refund id of
    /// its own); the same number again is the same refund. Alipay's `fund_change` is `Y` when this
    /// call moved the money; otherwise (a repeat of a refund made before, or one still being made)
    /// the refund query says whether it exists, and until it does the outcome is unknown.
    func refund(paymentID: String, total: Int64, amount: Int64, reference: String) async throws -> String {
        let answer = try await client().call("alipay.trade.refund", biz: [
            "trade_no": paymentID, "refund_amount": Money.format(amount), "out_request_no": reference, "refund_reason": "退款",
        ])
        guard answer.succeeded else { throw answer.refusal }
        if try AlipayClient.read(RefundAnswer.self, answer).fundChange == "Y" { return reference }
        guard case .made = try await queryRefund(paymentID: paymentID, reference: reference) else {
            throw ProviderUnreachable(provider: AlipayConfig.provider, reason: "Alipay accepted the refund without moving the money yet")
        }
        return reference
    }

    private struct RefundQueryAnswer: Decodable {
        let refundStatus: String?
        let refundAmount: String?
        enum CodingKeys: String, CodingKey { case refundStatus = "refund_status", refundAmount = "refund_amount" }
    }

    /// Alipay answers a refund query with the refund's data when it made it (`refund_amount`,
    /// and `refund_status` `REFUND_SUCCESS` where it says so), and with success and no data when it
    /// has not (yet). Not knowing is not "never made": the recovery then sends the refund again
    /// under the same number, which Alipay makes once, and books what Alipay confirms.
    func refundStatus(paymentID: String, reference: String) async throws -> RefundOutcome {
        if case .made = try await queryRefund(paymentID: paymentID, reference: reference) { return .made(refundID: reference) }
        // The order's payment and amount are the attempt's, kept by the caller; asking again is the
        // request Alipay documents for an unknown outcome.
        return .unknown
    }

    func queryRefund(paymentID: String, reference: String) async throws -> RefundOutcome {
        let answer = try await client().call("alipay.trade.fastpay.refund.query", biz: ["trade_no": paymentID, "out_request_no": reference])
        if answer.subCode == "ACQ.TRADE_NOT_EXIST" { return .notMade }
        guard answer.succeeded else { throw answer.refusal }
        let found = try AlipayClient.read(RefundQueryAnswer.self, answer)
        let made = found.refundStatus == "REFUND_SUCCESS" || (found.refundStatus == nil && !(found.refundAmount ?? "").isEmpty)
        return made ? .made(refundID: reference) : .notMade
    }

    /// Books a paid trade once it is shown to pay exactly its order; the same trade again changes nothing.
    func book(_ trade: Trade, config: AlipayConfig) async throws -> Order {
        guard Self.paidStates.contains(trade.status ?? ""), let tradeNo = trade.tradeNo, !tradeNo.isEmpty else {
            throw TuikeError.validation("the trade is \(trade.status ?? "of no state"), not paid")
        }
        guard let orderID = trade.outTradeNo, let order = try await orders.find(orderID) else { throw TuikeError.notFound("order", trade.outTradeNo ?? "") }
        func refuse(_ message: String) -> TuikeError { TuikeError(.unprocessable, code: "payment_mismatch", message) }
        guard trade.appID == config.appID else { throw refuse("the payment is for app \(trade.appID ?? "none"), not \(config.appID)") }
        if let seller = config.sellerID, trade.sellerID != seller { throw refuse("the payment is for seller \(trade.sellerID ?? "none"), not \(seller)") }
        guard order.currency == "CNY" else { throw refuse("Alipay's payments are in CNY, the order is in \(order.currency)") }
        guard let amount = trade.totalAmount.flatMap(Money.parse), amount == order.amount else {
            throw TuikeError(.unprocessable, code: "amount_mismatch", "the payment of \(trade.totalAmount ?? "nothing") does not match the order's \(Money.format(order.amount))")
        }
        return try await database.session { [orders, clock] in
            try await orders.markPaid(order.id, paymentID: tradeNo, provider: AlipayConfig.provider, at: clock.now(), refundingLate: true)
        }
    }
}
