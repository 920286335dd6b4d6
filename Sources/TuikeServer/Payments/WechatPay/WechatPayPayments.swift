import Foundation
import TuikeCore
import TuikeStore

/// Taking payments through WeChat Pay API v3: prepay for a QR code (Native), inside WeChat (JSAPI,
/// with the buyer's openid) or in a phone's browser (H5); the query and close of an order not yet
/// paid; refunds. The out-trade number is Tuike's order id (24 characters of WeChat Pay's
/// alphabet), so a notification names the order it pays and a prepay asked twice is one order at
/// WeChat Pay. The settings are read on each call, so a change reaches every instance at once.
struct WechatPayPayments: PaymentProvider, CheckoutProvider, RefundQuerying {
    let name = WechatPayConfig.provider
    let database: any Database
    let orders: OrderRepository
    let providers: PaymentProviderRepository
    let transport: any ProviderTransport
    let clock: any TuikeClock
    let publicURL: String
    let timeoutSeconds: Double

    enum Method: String, CaseIterable, Sendable { case native, jsapi, h5 }

    struct Amount: Codable, Sendable { let total: Int64?; let currency: String? }

    /// A transaction as WeChat Pay describes it, in a query's answer or a notification's resource.
    struct Transaction: Decodable, Sendable {
        let appid: String?
        let mchid: String?
        let outTradeNo: String?
        let transactionId: String?
        let tradeState: String?
        let amount: Amount?
        enum CodingKeys: String, CodingKey {
            case appid, mchid, outTradeNo = "out_trade_no", transactionId = "transaction_id", tradeState = "trade_state", amount
        }
    }

    struct Prepared: Sendable {
        var codeURL: String?
        var prepayID: String?
        var redirectURL: String?
        /// What WeChat's JSAPI (`WeixinJSBridge` / `wx.requestPayment`) needs to open the payment.
        var payParams: [String: String]?
    }

    func client() async throws -> WechatPayClient {
        WechatPayClient(config: try await WechatPayConfig.required(from: providers, at: clock.now()), transport: transport, clock: clock, timeoutSeconds: timeoutSeconds)
    }

    private struct PrepayRequest: Encodable {
        struct Payer: Encodable { let openid: String }
        struct H5Info: Encodable { let type: String }
        struct SceneInfo: Encodable {
            let payerClientIp: String
            let h5Info: H5Info
            enum CodingKeys: String, CodingKey { case payerClientIp = "payer_client_ip", h5Info = "h5_info" }
        }
        let appid, mchid, description, outTradeNo, timeExpire, notifyUrl: String
        let amount: Amount
        let payer: Payer?
        let sceneInfo: SceneInfo?
        enum CodingKeys: String, CodingKey {
            case appid, mchid, description, outTradeNo = "out_trade_no", timeExpire = "time_expire", notifyUrl = "notify_url", amount, payer
            case sceneInfo = "scene_info"
        }
    }

    private struct PrepayAnswer: Decodable {
        let codeUrl: String?
        let prepayId: String?
        let h5Url: String?
        enum CodingKeys: String, CodingKey { case codeUrl = "code_url", prepayId = "prepay_id", h5Url = "h5_url" }
    }

    /// Asks WeChat Pay to take the order's amount; it closes the order itself at `expiresAt`.
    func prepay(_ order: Order, method: Method, openid: String?, clientIP: String?, expiresAt: Instant) async throws -> Prepared {
        let client = try await client()
        let config = client.config
        let request = PrepayRequest(
            appid: config.appid, mchid: config.mchid, description: PaymentSubject.of(order, utf8Bytes: 127), outTradeNo: order.id,
            timeExpire: BeijingTime.rfc3339(expiresAt), notifyUrl: publicURL + WechatPayConfig.notifyPath,
            amount: Amount(total: order.amount, currency: order.currency), payer: method == .jsapi ? openid.map { .init(openid: $0) } : nil,
            sceneInfo: method == .h5 ? .init(payerClientIp: clientIP ?? "127.0.0.1", h5Info: .init(type: "Wap")) : nil)
        let answer = try await client.call("POST", "/v3/pay/transactions/\(method.rawValue)", json: request, answer: PrepayAnswer.self)
        switch method {
        case .native:
            guard let codeURL = answer.codeUrl else { throw Self.unreadable("no code_url") }
            return Prepared(codeURL: codeURL)
        case .h5:
            guard let h5URL = answer.h5Url else { throw Self.unreadable("no h5_url") }
            return Prepared(redirectURL: h5URL)
        case .jsapi:
            guard let prepayID = answer.prepayId else { throw Self.unreadable("no prepay_id") }
            let timeStamp = String(clock.now().milliseconds / 1000), nonce = Identifier.secret(length: 32), package = "prepay_id=\(prepayID)"
            let paySign = try WechatPayCrypto.paySign(appid: config.appid, timeStamp: timeStamp, nonce: nonce, package: package, key: config.privateKey)
            return Prepared(prepayID: prepayID, payParams: ["appId": config.appid, "timeStamp": timeStamp, "nonceStr": nonce, "package": package,
                                                            "signType": "RSA", "paySign": paySign])
        }
    }

    /// The order's transaction at WeChat Pay, or nil when WeChat Pay never heard of it.
    func query(orderID: String) async throws -> Transaction? {
        let client = try await client()
        let reply = try await client.call("GET", "/v3/pay/transactions/out-trade-no/\(orderID)?mchid=\(client.config.mchid)",
                                          tolerating: ["ORDER_NOT_EXIST", "NOT_FOUND"])
        guard (200..<300).contains(reply.status) else { return nil }
        do { return try JSONDecoder().decode(Transaction.self, from: reply.body) } catch { throw Self.unreadable("\(error)") }
    }

    /// Closes an unpaid order, so it can no longer be paid. Closing one WeChat Pay never heard of,
    /// or one closed already, is fine.
    func close(orderID: String) async throws {
        let client = try await client()
        let reply = try await client.call("POST", "/v3/pay/transactions/out-trade-no/\(orderID)/close",
                                          body: try JSONEncoder().encode(["mchid": client.config.mchid]), tolerating: ["ORDER_NOT_EXIST", "NOT_FOUND", "ORDER_CLOSED"])
        // 204 is closed; 202 (USER_PAYING) means the buyer is paying right now, so the order must
        // not be cancelled under the payment: ask again next round.
        guard reply.status == 204 || reply.status >= 400 else {
            throw ProviderUnreachable(provider: WechatPayConfig.provider, reason: "the order was not closed (HTTP \(reply.status)); the buyer may be paying")
        }
    }

    private struct RefundRequest: Encodable {
        struct RefundAmount: Encodable { let refund: Int64; let total: Int64; let currency: String }
        let transactionId, outRefundNo, notifyUrl: String
        let amount: RefundAmount
        enum CodingKeys: String, CodingKey { case transactionId = "transaction_id", outRefundNo = "out_refund_no", notifyUrl = "notify_url", amount }
    }

    private struct RefundAnswer: Decodable {
        let refundId: String?
        let status: String?
        enum CodingKeys: String, CodingKey { case refundId = "refund_id", status }
    }

    /// A refund WeChat Pay accepted (`SUCCESS`, or `PROCESSING` on its way to the buyer) returns
    /// its refund id; the refund's own notification follows. The same `reference` again is the
    /// same refund at WeChat Pay.
    func refund(paymentID: String, total: Int64, amount: Int64, reference: String) async throws -> String {
        let request = RefundRequest(transactionId: paymentID, outRefundNo: reference, notifyUrl: publicURL + WechatPayConfig.notifyPath,
                                    amount: .init(refund: amount, total: total, currency: "CNY"))
        let answer = try await client().call("POST", "/v3/refund/domestic/refunds", json: request, answer: RefundAnswer.self)
        // ABNORMAL is accepted too: the money left the merchant, but the buyer's account refused it
        // (a closed card), which the merchant settles with WeChat Pay; its notification says so.
        guard let refundID = answer.refundId, ["SUCCESS", "PROCESSING", "ABNORMAL"].contains(answer.status ?? "") else {
            throw TuikeError(.conflict, code: "provider_refused", "WeChat Pay did not accept the refund (status \(answer.status ?? "none"))")
        }
        return refundID
    }

    func refundStatus(paymentID: String, reference: String) async throws -> RefundOutcome {
        let reply = try await client().call("GET", "/v3/refund/domestic/refunds/\(FormEncoding.escape(reference))", tolerating: ["RESOURCE_NOT_EXISTS", "NOT_FOUND"])
        guard (200..<300).contains(reply.status) else { return .notMade }
        let answer: RefundAnswer
        do { answer = try JSONDecoder().decode(RefundAnswer.self, from: reply.body) } catch { throw Self.unreadable("\(error)") }
        guard let refundID = answer.refundId, ["SUCCESS", "PROCESSING", "ABNORMAL"].contains(answer.status ?? "") else { return .notMade }
        return .made(refundID: refundID)
    }

    /// Books a paid transaction reported by WeChat Pay (a notification, or a query's answer) once
    /// it is shown to pay exactly its order. The same transaction again changes nothing.
    func book(_ transaction: Transaction, config: WechatPayConfig) async throws -> Order {
        guard transaction.tradeState == "SUCCESS", let transactionID = transaction.transactionId, !transactionID.isEmpty else {
            throw TuikeError.validation("the transaction is \(transaction.tradeState ?? "of no state"), not SUCCESS")
        }
        guard let orderID = transaction.outTradeNo, let order = try await orders.find(orderID) else {
            throw TuikeError.notFound("order", transaction.outTradeNo ?? "")
        }
        try Self.check(transaction, pays: order, config: config)
        return try await database.session { [orders, clock] in
            try await orders.markPaid(order.id, paymentID: transactionID, provider: WechatPayConfig.provider, at: clock.now(), refundingLate: true)
        }
    }

    /// Before an unpaid order is cancelled at its timeout: a payment WeChat Pay took is booked
    /// (the order is paid, not cancelled), otherwise WeChat Pay closes its order so it can no
    /// longer be paid. When WeChat Pay does not answer this throws, and the order waits for the
    /// job's next try rather than be cancelled while its payment may be on its way.
    func settleBeforeExpiry(orderID: String) async throws {
        guard let config = try await WechatPayConfig.load(from: providers, at: clock.now()) else { return }
        if let transaction = try await query(orderID: orderID), transaction.tradeState == "SUCCESS" {
            _ = try await book(transaction, config: config)
            return
        }
        try await close(orderID: orderID)
    }

    /// Whether a transaction pays exactly this order to this merchant: the same merchant and app,
    /// the order's number, its amount and its currency. Anything else is refused and reported.
    static func check(_ transaction: Transaction, pays order: Order, config: WechatPayConfig) throws(TuikeError) {
        func refuse(_ message: String) -> TuikeError { TuikeError(.unprocessable, code: "payment_mismatch", message) }
        guard transaction.mchid == config.mchid else { throw refuse("the payment is for merchant \(transaction.mchid ?? "none"), not \(config.mchid)") }
        guard transaction.appid == config.appid else { throw refuse("the payment is for app \(transaction.appid ?? "none"), not \(config.appid)") }
        guard transaction.outTradeNo == order.id else { throw refuse("the payment is for order \(transaction.outTradeNo ?? "none")") }
        guard transaction.amount?.total == order.amount else {
            throw TuikeError(.unprocessable, code: "amount_mismatch", "the payment of \(transaction.amount?.total ?? 0) does not match the order's \(order.amount)")
        }
        guard transaction.amount?.currency ?? "CNY" == order.currency else {
            throw refuse("the payment is in \(transaction.amount?.currency ?? "none"), the order in \(order.currency)")
        }
    }

    static func unreadable(_ detail: String) -> ProviderUnreachable {
        ProviderUnreachable(provider: WechatPayConfig.provider, reason: "an answer Tuike cannot read: \(detail)")
    }
}
