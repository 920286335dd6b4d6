import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport
import X509
import _CryptoExtras

/// The storefront's checkout against a fake WeChat Pay platform built on the `wechatpayv3` SDK:
/// Tuike's requests are verified there, its notifications are built there, and every refused
/// notification leaves the order as it was.
@Suite struct WechatPayCheckoutTests {
    /// A storefront guest's order, attributed to a promoter (so its payment makes two commissions).
    static func order(_ client: any TestClientProtocol) async throws -> String {
        let (product, _, _, visitor) = try await OrdersAPITests.world(client)
        return try await guestOrder(client, product: product, visitor: visitor)
    }

    static func guestOrder(_ client: any TestClientProtocol, product: String, visitor: String, guest: String = "guest-0123456789abcdef") async throws -> String {
        try await client.send(.post, "/api/v1/orders",
                              body: #"{"buyer_id":"\#(guest)","items":[{"product_id":"\#(product)","quantity":1}],"visitor_id":"\#(visitor)"}"#).json["id"] as! String
    }

    static func setUp(_ client: any TestClientProtocol, _ fake: FakeWechatPay) async throws {
        let saved = try await client.send(.put, "/api/v1/payment-providers/wechatpay", body: fake.settings)
        #expect(saved.status == .ok, "\(saved.text)")
    }

    @Test(arguments: TestDatabase.available)
    func settingsAreCheckedOnSaveAndTheSecretsNeverComeBack(database kind: TestDatabase) async throws {
        try await FakeWechatPay.with { fake in
            try await withTestApp(kind) { client, tuike async throws in
                expectError(try await client.send(.get, "/api/v1/payment-providers/wechatpay"), .notFound, "not_found")
                let good = try #require(try JSONSerialization.jsonObject(with: Data(fake.settings.utf8)) as? [String: String])
                func put(_ change: [String: String]) async throws -> TestResponse {
                    let body = try JSONSerialization.data(withJSONObject: good.merging(change) { $1 })
                    return try await client.send(.put, "/api/v1/payment-providers/wechatpay", body: String(decoding: body, as: UTF8.self))
                }
                for (field, value) in [("merchant_private_key", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----"),
                                       ("platform_public_key", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"),
                                       ("platform_public_key", "garbage"), ("api_v3_key", "short"), ("mchid", "12ab"),
                                       ("merchant_serial_no", "not hex!"), ("api_base_url", "ftp://example.com"), ("platform_public_key_id", "")] {
                    let refused = try await put([field: value])
                    expectError(refused, .unprocessableContent, "validation_failed")
                    #expect(refused.text.contains(field), "\(field): \(refused.text)")
                }
                expectError(try await client.send(.put, "/api/v1/payment-providers/wechatpay", headers: jsonOnly, body: fake.settings), .unauthorized, "unauthorized")
                expectError(try await client.send(.put, "/api/v1/payment-providers/wechatpay", body: #"{"mchid":1}"#), .badRequest, "invalid_request")

                let saved = try await put([:])
                #expect(saved.status == .ok && saved.json["mchid"] as? String == FakeWechatPay.mchid, "\(saved.text)")
                #expect(saved.json["notify_url"] as? String == "http://localhost:8080/api/v1/payments/wechatpay/notify")
                let shown = try await client.send(.get, "/api/v1/payment-providers/wechatpay")
                for response in [saved, shown] {
                    #expect(response.json["merchant_private_key"] == nil && response.json["api_v3_key"] == nil)
                    #expect(!response.text.contains("PRIVATE KEY") && !response.text.contains(FakeWechatPay.apiV3Key))
                }
                // At rest the secrets are sealed with the data key.
                let stored = try await tuike.database.read { db in
                    try await db.first("SELECT settings || secrets AS everything FROM payment_providers")?.decode(column: "everything", as: String.self) ?? ""
                }
                #expect(!stored.contains("PRIVATE KEY") && !stored.contains(FakeWechatPay.apiV3Key) && stored.contains(FakeWechatPay.mchid))
                #expect(try await client.send(.delete, "/api/v1/payment-providers/wechatpay").status == .noContent)
                expectError(try await client.send(.get, "/api/v1/payment-providers/wechatpay"), .notFound, "not_found")
            }
        }
    }

    @Test(arguments: TestDatabase.available)
    func aNativeCheckoutIsPaidByItsNotificationOnceAndBadOnesBookNothing(database kind: TestDatabase) async throws {
        try await FakeWechatPay.with { fake in
            try await withTestApp(kind) { client, tuike async throws in
                let order = try await Self.order(client)
                let body = #"{"provider":"wechatpay","method":"native"}"#
                expectError(try await client.send(.post, "/api/v1/orders/\(order)/checkout", headers: jsonOnly, body: body), .conflict, "provider_not_configured")
                try await Self.setUp(client, fake)
                let started = try await client.send(.post, "/api/v1/orders/\(order)/checkout", headers: jsonOnly, body: body)
                #expect(started.status == .ok && (started.json["code_url"] as? String)?.hasPrefix("weixin://wxpay/bizpayurl?pr=") == true, "\(started.text)")
                #expect(started.json["provider"] as? String == "wechatpay")
                #expect(try await fake.requests().allSatisfy { $0["verified"] as? Bool == true })

                func status() async throws -> String? { try await client.send(.get, "/api/v1/orders/\(order)").json["status"] as? String }
                // Refused, nothing booked: another amount, another merchant, another app, another currency, a stale or
                // unknown-serial or altered notification.
                for (tamper, code) in [(["total": 1], "amount_mismatch"), (["mchid": "1900000000"], "payment_mismatch"),
                                       (["appid": "wx0000000000000000"], "payment_mismatch"), (["currency": "USD"], "payment_mismatch")] as [([String: Any], String)] {
                    expectError(try await fake.pay(order, tamper: tamper).deliver(to: client), .unprocessableContent, code)
                }
                expectError(try await fake.pay(order, offset: -301).deliver(to: client), .badRequest, "invalid_signature")
                var unknownSerial = try await fake.pay(order)
                unknownSerial.headers["Wechatpay-Serial"] = "PUB_KEY_ID_0000000000000000000000000000"
                expectError(try await unknownSerial.deliver(to: client), .badRequest, "invalid_signature")
                var altered = try await fake.pay(order)
                altered.body = altered.body.replacingOccurrences(of: "支付成功", with: "支付完成")
                expectError(try await altered.deliver(to: client), .badRequest, "invalid_signature")
                var unsigned = try await fake.pay(order)
                unsigned.headers["Wechatpay-Signature"] = nil
                expectError(try await unsigned.deliver(to: client), .badRequest, "invalid_signature")
                #expect(try await status() == "pending_payment")
                #expect(try await OrdersAPITests.count("payments", in: tuike.database) == 0)

                let notification = try await fake.pay(order)
                #expect(try await notification.deliver(to: client).status == .noContent)
                let paid = try await client.send(.get, "/api/v1/orders/\(order)").json
                #expect(paid["status"] as? String == "paid")
                let payments = try #require(paid["payments"] as? [[String: Any]])
                #expect(payments.count == 1 && payments.first?["provider"] as? String == "wechatpay")
                #expect((payments.first?["payment_id"] as? String)?.hasPrefix("4200") == true)
                #expect((try await client.send(.get, "/api/v1/commissions?order_id=\(order)").json["data"] as? [Any])?.count == 2)
                // WeChat Pay delivers again until it hears 2xx: the same notification books nothing more.
                #expect(try await notification.deliver(to: client).status == .noContent)
                #expect(try await OrdersAPITests.count("payments", in: tuike.database) == 1)
                #expect((try await client.send(.get, "/api/v1/commissions?order_id=\(order)").json["data"] as? [Any])?.count == 2)
                expectError(try await client.send(.post, "/api/v1/orders/\(order)/checkout", headers: jsonOnly, body: body), .conflict, "not_payable")
                #expect(try await client.send(.get, "/api/v1/ledger/trial-balance").json["balanced"] as? Bool == true)
            }
        }
    }

    /// A platform certificate for the fake platform's key, as WeChat Pay issues them.
    static func certificate(_ fake: FakeWechatPay, serial: [UInt8], notAfter: Date) throws -> String {
        let key = Certificate.PrivateKey(fake.platformKey)
        let name = try DistinguishedName { CommonName("Tenpay.com Root CA") }
        return try Certificate(version: .v3, serialNumber: Certificate.SerialNumber(bytes: serial), publicKey: key.publicKey,
                               notValidBefore: notAfter.addingTimeInterval(-400 * 86_400), notValidAfter: notAfter, issuer: name, subject: name,
                               signatureAlgorithm: .sha256WithRSAEncryption, extensions: Certificate.Extensions(), issuerPrivateKey: key)
            .serializeAsPEM().pemString
    }

    @Test(arguments: TestDatabase.available)
    func platformCertificatesAreChosenBySerialAndExpiredOnesRefused(database kind: TestDatabase) async throws {
        try await FakeWechatPay.with { fake in
            try await withTestApp(kind) { client, _ async throws in
                var fields = try #require(try JSONSerialization.jsonObject(with: Data(fake.settings.utf8)) as? [String: Any])
                fields["platform_public_key"] = nil
                fields["platform_public_key_id"] = nil
                func put(_ certificates: [String]) async throws -> TestResponse {
                    fields["platform_certificates"] = certificates
                    return try await client.send(.put, "/api/v1/payment-providers/wechatpay",
                                                 body: String(decoding: try JSONSerialization.data(withJSONObject: fields), as: UTF8.self))
                }
                let expired = try Self.certificate(fake, serial: [0x1F, 0xA0, 0x01], notAfter: Date().addingTimeInterval(-86_400))
                let refused = try await put([expired])
                expectError(refused, .unprocessableContent, "validation_failed")
                #expect(refused.text.contains("1FA001") && refused.text.contains("expired"), "\(refused.text)")
                expectError(try await put(["-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"]), .unprocessableContent, "validation_failed")
                expectError(try await put([]), .unprocessableContent, "validation_failed")

                let current = try Self.certificate(fake, serial: [0x5A, 0x1B, 0x2C, 0x3D], notAfter: Date().addingTimeInterval(300 * 86_400))
                let saved = try await put([current])
                #expect(saved.status == .ok && (saved.json["platform_certificates"] as? [String])?.count == 1, "\(saved.text)")
                _ = try await fake.control("/fake/serial", ["serial": "5A1B2C3D"])
                let order = try await Self.order(client)
                #expect(try await client.send(.post, "/api/v1/orders/\(order)/checkout", headers: jsonOnly, body: #"{"provider":"wechatpay"}"#).status == .ok)
                #expect(try await fake.pay(order).deliver(to: client).status == .noContent, "signed under the certificate's serial")

                // Signed under the public key's id, which this merchant has not given: neither an answer nor a notification is believed.
                _ = try await fake.control("/fake/serial", ["serial": FakeWechatPay.publicKeyID])
                let other = try await Self.guestOrder(client, product: try #require((try await client.send(.get, "/api/v1/orders/\(order)").json["items"] as? [[String: Any]])?.first?["product_id"] as? String),
                                                      visitor: "visitor-0000000001", guest: "guest-other")
                expectError(try await client.send(.post, "/api/v1/orders/\(other)/checkout", headers: jsonOnly, body: #"{"provider":"wechatpay"}"#),
                            .serviceUnavailable, "provider_unavailable")
                _ = try await fake.control("/fake/serial", ["serial": "5A1B2C3D"])
                #expect(try await client.send(.post, "/api/v1/orders/\(other)/checkout", headers: jsonOnly, body: #"{"provider":"wechatpay"}"#).status == .ok)
                _ = try await fake.control("/fake/serial", ["serial": FakeWechatPay.publicKeyID])
                expectError(try await fake.pay(other).deliver(to: client), .badRequest, "invalid_signature")
            }
        }
    }

    @Test(arguments: TestDatabase.available)
    func jsapiAndH5CheckoutsAndWhoMayStartThem(database kind: TestDatabase) async throws {
        try await FakeWechatPay.with { fake in
            try await withTestApp(kind) { client, _ async throws in
                try await Self.setUp(client, fake)
                let (product, _, _, visitor) = try await OrdersAPITests.world(client)
                let order = try await Self.guestOrder(client, product: product, visitor: visitor)
                let path = "/api/v1/orders/\(order)/checkout"
                expectError(try await client.send(.post, path, headers: jsonOnly, body: #"{"provider":"wechatpay","method":"jsapi"}"#), .unprocessableContent, "validation_failed")
                expectError(try await client.send(.post, path, headers: jsonOnly, body: #"{"provider":"wechatpay","method":"page"}"#), .unprocessableContent, "validation_failed")
                expectError(try await client.send(.post, path, headers: jsonOnly, body: #"{"provider":"paypal"}"#), .unprocessableContent, "validation_failed")
                expectError(try await client.send(.post, path, headers: jsonOnly, body: #"{"provider":"wechatpay","method":7}"#), .badRequest, "invalid_request")
                expectError(try await client.send(.post, "/api/v1/orders/ord_nope/checkout", headers: jsonOnly, body: #"{"provider":"wechatpay"}"#), .notFound, "not_found")

                let jsapi = try await client.send(.post, path, headers: jsonOnly, body: #"{"provider":"wechatpay","method":"jsapi","openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}"#)
                let prepayID = try #require(jsapi.json["prepay_id"] as? String, "\(jsapi.text)")
                let params = try #require(jsapi.json["pay_params"] as? [String: String])
                #expect(params["package"] == "prepay_id=\(prepayID)" && params["appId"] == FakeWechatPay.appid && params["signType"] == "RSA")
                // WeChat checks paySign with the merchant's key before it shows the payment.
                let message = "\(params["appId"] ?? "")\n\(params["timeStamp"] ?? "")\n\(params["nonceStr"] ?? "")\n\(params["package"] ?? "")\n"
                let signature = _RSA.Signing.RSASignature(rawRepresentation: try #require(Data(base64Encoded: params["paySign"] ?? "")))
                #expect(fake.merchantPublicKey.isValidSignature(signature, for: Data(message.utf8), padding: .insecurePKCS1v1_5))

                // WeChat Pay takes one way per order number: asking again the same way is the same payment, another way is refused.
                #expect(try await client.send(.post, path, headers: jsonOnly, body: #"{"provider":"wechatpay","method":"jsapi","openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}"#).status == .ok)
                expectError(try await client.send(.post, path, headers: jsonOnly, body: #"{"provider":"wechatpay","method":"h5"}"#), .conflict, "checkout_started")
                let h5Order = try await Self.guestOrder(client, product: product, visitor: visitor, guest: "guest-h5")
                let h5 = try await client.send(.post, "/api/v1/orders/\(h5Order)/checkout", headers: jsonOnly, body: #"{"provider":"wechatpay","method":"h5"}"#)
                #expect((h5.json["redirect_url"] as? String)?.hasPrefix("https://wx.tenpay.com/") == true, "\(h5.text)")
                let sandbox = try await client.send(.post, path, headers: jsonOnly, body: #"{"provider":"sandbox"}"#)
                #expect(sandbox.json["redirect_url"] as? String == "/pay/\(order)")
                expectError(try await client.send(.post, path, headers: jsonOnly, body: #"{"provider":"alipay","method":"page"}"#), .conflict, "provider_not_configured")

                // An integrator's order (an external id, or a buyer of its own) is started by an admin only.
                let external = try await client.send(.post, "/api/v1/orders", body: #"""
                    {"buyer_id":"guest-b9","external_id":"ext-1","items":[{"product_id":"\#(product)","quantity":1}],"visitor_id":"\#(visitor)"}
                    """#).json["id"] as? String ?? ""
                let integrators = try await OrdersAPITests.placeOrder(client, product: product, visitor: visitor)
                for other in [external, integrators] {
                    expectError(try await client.send(.post, "/api/v1/orders/\(other)/checkout", headers: jsonOnly, body: #"{"provider":"wechatpay"}"#),
                                .notFound, "not_found")
                    #expect(try await client.send(.post, "/api/v1/orders/\(other)/checkout", body: #"{"provider":"wechatpay"}"#).status == .ok)
                }
                #expect(try await fake.requests().allSatisfy { $0["verified"] as? Bool == true })
            }
        }
    }

    @Test(arguments: TestDatabase.available)
    func refundsGoThroughWechatPayAndTheirNotificationsAreVerified(database kind: TestDatabase) async throws {
        try await FakeWechatPay.with { fake in
            try await withTestApp(kind) { client, _ async throws in
                try await Self.setUp(client, fake)
                let order = try await Self.order(client)
                _ = try await client.send(.post, "/api/v1/orders/\(order)/checkout", headers: jsonOnly, body: #"{"provider":"wechatpay"}"#)
                #expect(try await fake.pay(order).deliver(to: client).status == .noContent)
                for amount in [10_000, 15_000] {
                    let refund = try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":\#(amount),"reason":"退课"}"#)
                    #expect(refund.status == .created, "\(refund.text)")
                }
                let refunds = try #require(try await fake.state()["refunds"] as? [String: [String: Any]])
                #expect(refunds.values.map { $0["refund"] as? Int ?? 0 }.sorted() == [10_000, 15_000], "two partial refunds are two refunds at WeChat Pay")
                // More than is left is refused by Tuike before WeChat Pay is asked.
                expectError(try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":30000}"#), .unprocessableContent, "validation_failed")
                let number = try #require(refunds.keys.first)
                let notice = try FakeWechatPay.Notification(try await fake.control("/fake/refund-notify", ["out_refund_no": number]))
                #expect(try await notice.deliver(to: client).status == .noContent)
                var forged = notice
                forged.body = forged.body.replacingOccurrences(of: "REFUND.SUCCESS", with: "REFUND.ABNORMAL")
                expectError(try await forged.deliver(to: client), .badRequest, "invalid_signature")
                let after = try await client.send(.get, "/api/v1/orders/\(order)").json
                #expect(after["refunded"] as? Int == 25_000 && after["status"] as? String == "partially_refunded", "\(after)")
            }
        }
    }
}

/// The storefront's own checkout page against both fake platforms: showing the page asks no
/// provider anything; the WeChat Pay button brings the QR code (read back by zbar), kept for every
/// later load; the buyer pays and the page shows the order paid; the Alipay button leads to a
/// cashier address the fake gateway accepts.
@Suite struct StorefrontCheckoutTests {
    /// Presses one of the page's payment buttons, as a browser does.
    static func press(_ client: any TestClientProtocol, _ order: String, _ provider: String) async throws -> TestResponse {
        let page = try await client.send(.get, "/pay/\(order)", headers: [:])
        let csrf = page.headers[values: .setCookie].first { $0.hasPrefix("tk_csrf=") }?.split(separator: ";").first?.dropFirst(8) ?? ""
        return try await client.send(.post, "/pay/\(order)/\(provider)", headers: [.cookie: "tk_csrf=\(csrf)", .contentType: "application/x-www-form-urlencoded"],
                                     body: "_csrf=\(csrf)")
    }

    @Test(arguments: TestDatabase.available)
    func theCheckoutPageOffersTheProvidersAndShowsThePayment(database kind: TestDatabase) async throws {
        try await FakeWechatPay.with { wechat in
            try await FakeAlipay.with { alipay in
                try await withTestApp(kind, sandbox: false) { client, _ async throws in
                    let order = try await WechatPayCheckoutTests.order(client)
                    let bare = try await client.send(.get, "/pay/\(order)", headers: [:])
                    #expect(bare.status == .ok && !bare.text.contains("/wechatpay\"") && !bare.text.contains("http-equiv"))
                    try await WechatPayCheckoutTests.setUp(client, wechat)
                    try await AlipayProviderTests.setUp(client, alipay)

                    let offered = try await client.send(.get, "/pay/\(order)", headers: [:])
                    #expect(offered.text.contains("/pay/\(order)/wechatpay") && offered.text.contains("/pay/\(order)/alipay") && !offered.text.contains("<svg"))
                    #expect(try await wechat.requests().isEmpty, "showing the page asked WeChat Pay nothing")
                    let pressed = try await Self.press(client, order, "wechatpay")
                    #expect(pressed.status == .seeOther && pressed.headers[.location] == "/pay/\(order)", "\(pressed.text)")

                    let page = try await client.send(.get, "/pay/\(order)", headers: [:])
                    #expect(page.status == .ok && page.text.contains("微信支付") && page.text.contains("http-equiv=\"refresh\""), "\(page.text)")
                    let svg = try #require(page.text.range(of: "<svg").flatMap { start in page.text.range(of: "</svg>").map { String(page.text[start.lowerBound..<$0.upperBound]) } })
                    let scanned = try Scanner.decode(png: try Scanner.rasterise(svg: svg, size: 440))
                    let orders = try #require(try await wechat.state()["orders"] as? [String: Any])
                    #expect(scanned.count == 1 && scanned.first?.hasPrefix("weixin://wxpay/bizpayurl?pr=") == true && orders[order] != nil, "\(scanned)")
                    _ = try await client.send(.get, "/pay/\(order)", headers: [:])
                    #expect(try await wechat.requests().count == 1, "the QR code is kept: one prepay however often the page reloads")

                    let toAlipay = try await Self.press(client, order, "alipay")
                    let cashier = try #require(toAlipay.headers[.location], "\(toAlipay.status) \(toAlipay.text)")
                    let opened = try await alipay.open(cashier)
                    #expect(cashier.hasPrefix(alipay.gatewayURL + "?") && opened.status == 200, "the Alipay address is signed")

                    #expect(try await wechat.pay(order).deliver(to: client).status == .noContent)
                    let after = try await client.send(.get, "/pay/\(order)", headers: [:])
                    #expect(after.text.contains("已支付") && !after.text.contains("<svg") && !after.text.contains("http-equiv"), "\(after.text)")
                    // Someone else's order shows its state and nothing to pay with, and its buttons do nothing.
                    let product = try #require((try await client.send(.get, "/api/v1/orders/\(order)").json["items"] as? [[String: Any]])?.first?["product_id"] as? String)
                    let integrators = try await OrdersAPITests.placeOrder(client, product: product, visitor: "visitor-0000000001")
                    let foreign = try await client.send(.get, "/pay/\(integrators)", headers: [:])
                    #expect(foreign.status == .ok && !foreign.text.contains("/wechatpay\""))
                    #expect(try await Self.press(client, integrators, "wechatpay").status == .notFound)
                    // The provider's settings stay while an unpaid order started there waits.
                    let waiting = try await WechatPayCheckoutTests.guestOrder(client, product: product, visitor: "visitor-0000000001", guest: "guest-wait")
                    _ = try await Self.press(client, waiting, "wechatpay")
                    expectError(try await client.send(.delete, "/api/v1/payment-providers/wechatpay"), .conflict, "provider_in_use")
                }
            }
        }
    }
}

/// A buyer who pays the same order with both providers: the first payment is booked, the second
/// is accepted (so the provider stops repeating it), never booked, and refunded in full.
@Suite struct DoublePaymentTests {
    @Test(arguments: TestDatabase.available)
    func aSecondPaymentThroughAnotherProviderIsRefundedInFull(database kind: TestDatabase) async throws {
        try await FakeWechatPay.with { wechat in
            try await FakeAlipay.with { alipay in
                try await withTestApp(kind) { client, tuike async throws in
                    try await WechatPayCheckoutTests.setUp(client, wechat)
                    try await AlipayProviderTests.setUp(client, alipay)
                    let order = try await WechatPayCheckoutTests.order(client)
                    #expect(try await client.send(.post, "/api/v1/orders/\(order)/checkout", headers: jsonOnly, body: #"{"provider":"wechatpay"}"#).status == .ok)
                    let url = try #require(try await client.send(.post, "/api/v1/orders/\(order)/checkout", headers: jsonOnly,
                                                                 body: #"{"provider":"alipay"}"#).json["redirect_url"] as? String)
                    _ = try await alipay.open(url)
                    #expect(try await wechat.pay(order).deliver(to: client).status == .noContent)
                    let second = try await alipay.pay(order)
                    #expect(try await FakeAlipay.deliver(second, to: client).text == "success")
                    #expect(try await FakeAlipay.deliver(second, to: client).text == "success", "a repeat changes nothing")
                    _ = try await alipay.control("/fake/clock", ["advance": 1])
                    _ = try await wechat.control("/fake/clock", ["advance": 1])
                    _ = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":1}"#)

                    let paid = try await client.send(.get, "/api/v1/orders/\(order)").json
                    #expect(paid["status"] as? String == "paid" && (paid["payments"] as? [[String: Any]])?.count == 1 && paid["refunded"] as? Int == 0, "\(paid)")
                    let refunds = try #require(try await alipay.state()["refunds"] as? [String: [String: Any]])
                    #expect(refunds.count == 1 && refunds.values.first?["refund_amount"] as? String == "500.00"
                            && refunds.keys.first == "dup-" + (second["trade_no"] ?? ""), "\(refunds)")
                    #expect(try await OrdersAPITests.count("stray_payments WHERE status = 'refunded'", in: tuike.database) == 1)
                    #expect(try await client.send(.get, "/api/v1/ledger/trial-balance").json["balanced"] as? Bool == true)
                }
            }
        }
    }
}
