import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

/// Alipay end to end against a fake gateway built on `python-alipay-sdk`: page and wap pay, the
/// notification (and what it must refuse), refunds, transfers with a lost answer, and expiry.
@Suite struct AlipayProviderTests {
    static func setUp(_ client: any TestClientProtocol, _ fake: FakeAlipay) async throws {
        let saved = try await client.send(.put, "/api/v1/payment-providers/alipay", body: fake.settings)
        #expect(saved.status == .ok && saved.json["seller_id"] as? String == FakeAlipay.sellerID, "\(saved.text)")
        #expect(saved.json["app_private_key"] == nil && !saved.text.contains("PRIVATE"))
    }

    @Test(arguments: TestDatabase.available)
    func settingsAreCheckedAndTheKeyNeverComesBack(database kind: TestDatabase) async throws {
        try await FakeAlipay.with { fake in
            try await withTestApp(kind) { client, _ async throws in
                let good = try #require(try JSONSerialization.jsonObject(with: Data(fake.settings.utf8)) as? [String: String])
                for (field, value) in [("app_id", "abc"), ("app_private_key", "bm90IGEga2V5"), ("alipay_public_key", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"),
                                       ("seller_id", "1234"), ("gateway_url", "gopher://x")] {
                    let body = String(decoding: try JSONSerialization.data(withJSONObject: good.merging([field: value]) { $1 }), as: UTF8.self)
                    let refused = try await client.send(.put, "/api/v1/payment-providers/alipay", body: body)
                    expectError(refused, .unprocessableContent, "validation_failed")
                    #expect(refused.text.contains(field), "\(field): \(refused.text)")
                }
                try await Self.setUp(client, fake)
                // The PEM form is taken as well as the bare one.
                var pem = good
                pem["app_private_key"] = fake.appKey.pkcs8PEMRepresentation
                pem["alipay_public_key"] = fake.platformPublicKeyPEM
                let body = String(decoding: try JSONSerialization.data(withJSONObject: pem), as: UTF8.self)
                #expect(try await client.send(.put, "/api/v1/payment-providers/alipay", body: body).status == .ok)
                #expect(try await client.send(.get, "/api/v1/payment-providers/alipay").json["app_id"] as? String == FakeAlipay.appID)
            }
        }
    }

    @Test(arguments: TestDatabase.available)
    func pagePayIsPaidByItsNotificationOnceAndBadOnesBookNothing(database kind: TestDatabase) async throws {
        try await FakeAlipay.with { fake in
            try await withTestApp(kind) { client, tuike async throws in
                try await Self.setUp(client, fake)
                let order = try await WechatPayCheckoutTests.order(client)
                let started = try await client.send(.post, "/api/v1/orders/\(order)/checkout", headers: jsonOnly, body: #"{"provider":"alipay","method":"page"}"#)
                let url = try #require(started.json["redirect_url"] as? String, "\(started.text)")
                #expect(url.hasPrefix(fake.gatewayURL + "?") && url.contains("method=alipay.trade.page.pay"))
                let cashier = try await fake.open(url)
                #expect(cashier.status == 200 && cashier.text.contains("500.00"), "the gateway verified the signed page address: \(cashier.text)")
                let wap = try await client.send(.post, "/api/v1/orders/\(order)/checkout", headers: jsonOnly, body: #"{"provider":"alipay","method":"wap"}"#)
                #expect(try await fake.open(try #require(wap.json["redirect_url"] as? String)).status == 200)

                for (tamper, code) in [(["total_amount": "1.00"], "amount_mismatch"), (["app_id": "2021000000000001"], "payment_mismatch"),
                                       (["seller_id": "2088000000000000"], "payment_mismatch")] {
                    expectError(try await FakeAlipay.deliver(try await fake.pay(order, tamper: tamper), to: client), .unprocessableContent, code)
                }
                var altered = try await fake.pay(order)
                altered["total_amount"] = "5.00"
                expectError(try await FakeAlipay.deliver(altered, to: client), .badRequest, "invalid_signature")
                var unsigned = try await fake.pay(order)
                unsigned["sign"] = nil
                expectError(try await FakeAlipay.deliver(unsigned, to: client), .badRequest, "invalid_signature")
                #expect(try await OrdersAPITests.count("payments", in: tuike.database) == 0)

                let notification = try await fake.pay(order)
                let accepted = try await FakeAlipay.deliver(notification, to: client)
                #expect(accepted.status == .ok && accepted.text == "success", "\(accepted.text)")
                #expect(try await FakeAlipay.deliver(notification, to: client).text == "success", "Alipay's repeat books nothing more")
                let paid = try await client.send(.get, "/api/v1/orders/\(order)").json
                #expect(paid["status"] as? String == "paid" && (paid["payments"] as? [[String: Any]])?.first?["provider"] as? String == "alipay")
                #expect(try await OrdersAPITests.count("payments", in: tuike.database) == 1)
                #expect((try await client.send(.get, "/api/v1/commissions?order_id=\(order)").json["data"] as? [Any])?.count == 2)

                for amount in [10_000, 10_000] {
                    #expect(try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":\#(amount)}"#).status == .created)
                }
                let refunds = try #require(try await fake.state()["refunds"] as? [String: [String: Any]])
                #expect(refunds.values.compactMap { $0["refund_amount"] as? String }.sorted() == ["100.00", "100.00"], "two refunds of the same amount are two")
                #expect(try await fake.state()["requests"].flatMap { $0 as? [[String: Any]] }?.allSatisfy { $0["verified"] as? Bool == true } == true)
            }
        }
    }

    @Test(arguments: TestDatabase.available)
    func transfersPayOnceEvenWhenTheAnswerIsLost(database kind: TestDatabase) async throws {
        try await FakeAlipay.with { fake in
            try await withTestApp(kind, providerTimeoutSeconds: 1) { client, _ async throws in
                try await Self.setUp(client, fake)
                func withdrawal(_ account: String) async throws -> (String, String) {
                    let promoter = try await client.createPromoter("P")["id"] as! String
                    _ = try await client.send(.post, "/api/v1/adjustments", body: #"{"promoter_id":"\#(promoter)","amount":30000,"reason":"bonus"}"#)
                    let made = try await client.send(.post, "/api/v1/withdrawals", body: #"""
                        {"promoter_id":"\#(promoter)","amount":20000,"channel":"alipay","account":"\#(account)"}
                        """#)
                    return (promoter, try #require(made.json["id"] as? String, "\(made.text)"))
                }
                func approve(_ id: String) async throws -> [String: Any] { try await client.send(.post, "/api/v1/withdrawals/\(id)/approve").json }

                let (_, byUserID) = try await withdrawal(FakeAlipay.sellerID)
                let paid = try await approve(byUserID)
                #expect(paid["status"] as? String == "paid" && paid["provider"] as? String == "alipay", "\(paid)")
                let (_, byLogin) = try await withdrawal("zhang@example.com|张三")
                #expect(try await approve(byLogin)["status"] as? String == "paid")
                let (noName, withoutName) = try await withdrawal("zhang@example.com")
                #expect(try await approve(withoutName)["status"] as? String == "failed")
                #expect(try await client.send(.get, "/api/v1/promoters/\(noName)/balance").json["available"] as? Int == 30_000)

                _ = try await fake.control("/fake/mode", ["transfer": "fail"])
                let (_, refused) = try await withdrawal(FakeAlipay.sellerID)
                #expect((try await approve(refused)["reason"] as? String)?.contains("PAYEE_ACCOUNT_STATUS_ERROR") == true)

                _ = try await fake.control("/fake/mode", ["transfer": "timeout"])
                let (promoter, lost) = try await withdrawal(FakeAlipay.sellerID)
                #expect(try await approve(lost)["status"] as? String == "approved")
                _ = try await fake.control("/fake/mode", ["transfer": "success"])
                try await AlipayProviderTests.advance(client, fake, seconds: Int(WithdrawalRepository.payoutRecoverySeconds) + 60)
                #expect(try await client.send(.get, "/api/v1/withdrawals/\(lost)").json["status"] as? String == "paid")
                #expect(try await client.send(.get, "/api/v1/promoters/\(promoter)/balance").json["withdrawn"] as? Int == 20_000)
                let transfers = try #require(try await fake.state()["transfers"] as? [String: Any])
                #expect(transfers.count == 4, "one transfer per withdrawal the fake accepted, the lost one included once")
                #expect(try await client.send(.get, "/api/v1/ledger/trial-balance").json["balanced"] as? Bool == true)
            }
        }
    }

    @Test(arguments: TestDatabase.available)
    func aRefundWhoseAnswerIsLostIsBookedOnceAlipayConfirmsIt(database kind: TestDatabase) async throws {
        try await FakeAlipay.with { fake in
            try await withTestApp(kind, providerTimeoutSeconds: 1) { client, _ async throws in
                try await Self.setUp(client, fake)
                let order = try await WechatPayCheckoutTests.order(client)
                let url = try #require(try await client.send(.post, "/api/v1/orders/\(order)/checkout", body: #"{"provider":"alipay"}"#).json["redirect_url"] as? String)
                _ = try await fake.open(url)
                #expect(try await FakeAlipay.deliver(try await fake.pay(order), to: client).text == "success")
                _ = try await fake.control("/fake/mode", ["refund": "timeout"])
                expectError(try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":20000}"#), .serviceUnavailable, "provider_unavailable")
                #expect(try await client.send(.get, "/api/v1/orders/\(order)").json["refunded"] as? Int == 0)
                try await Self.advance(client, fake, seconds: Int(RefundService.recoverySeconds) + 5)
                #expect(try await client.send(.get, "/api/v1/orders/\(order)").json["refunded"] as? Int == 20_000)
                #expect((try await fake.state()["refunds"] as? [String: Any])?.count == 1)
            }
        }
    }

    @Test(arguments: TestDatabase.available)
    func anUnpaidTradeIsClosedAndAPaidOneBookedAtTheTimeout(database kind: TestDatabase) async throws {
        try await FakeAlipay.with { fake in
            try await withTestApp(kind) { client, tuike async throws in
                try await Self.setUp(client, fake)
                let (product, _, _, visitor) = try await OrdersAPITests.world(client)
                let unpaid = try await WechatPayCheckoutTests.guestOrder(client, product: product, visitor: visitor, guest: "guest-a")
                let paidThere = try await WechatPayCheckoutTests.guestOrder(client, product: product, visitor: visitor, guest: "guest-b")
                let neverOpened = try await WechatPayCheckoutTests.guestOrder(client, product: product, visitor: visitor, guest: "guest-c")
                for order in [unpaid, paidThere, neverOpened] {
                    let url = try #require(try await client.send(.post, "/api/v1/orders/\(order)/checkout", body: #"{"provider":"alipay"}"#).json["redirect_url"] as? String)
                    if order != neverOpened { _ = try await fake.open(url) }
                }
                _ = try await fake.pay(paidThere)
                let timeout = try await ProgramRepository(database: tuike.database).current().orderTimeoutSeconds
                try await Self.advance(client, fake, seconds: Int(timeout) + 60)
                let trades = try #require(try await fake.state()["trades"] as? [String: [String: Any]])
                #expect(trades[unpaid]?["status"] as? String == "TRADE_CLOSED")
                #expect(try await client.send(.get, "/api/v1/orders/\(unpaid)").json["status"] as? String == "cancelled")
                #expect(try await client.send(.get, "/api/v1/orders/\(neverOpened)").json["status"] as? String == "cancelled")
                #expect(try await client.send(.get, "/api/v1/orders/\(paidThere)").json["status"] as? String == "paid")
            }
        }
    }

    static func advance(_ client: any TestClientProtocol, _ fake: FakeAlipay, seconds: Int) async throws {
        _ = try await fake.control("/fake/clock", ["advance": seconds])
        let moved = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":\#(seconds)}"#)
        #expect(moved.status == .ok, "\(moved.text)")
    }
}

/// The console's payments page: the owner sets a provider up through the form; the page then
/// shows it on, with the notification address, and never the secrets.
@Suite struct ConsolePaymentsTests {
    @Test(arguments: TestDatabase.available)
    func theOwnerSetsProvidersUpInTheConsole(database kind: TestDatabase) async throws {
        try await FakeWechatPay.with { wechat in
            try await FakeAlipay.with { alipay in
                try await withTestApp(kind) { client, _ async throws in
                    let owner = try await ConsoleBrowser.logIn(client, as: "owner")
                    let empty = try await owner.get("/admin/payments")
                    #expect(empty.status == .ok && empty.text.contains("未设置"), "\(empty.text.prefix(300))")
                    let finance = try await ConsoleBrowser.logIn(client, as: "finance")
                    #expect(try await finance.get("/admin/payments").status == .forbidden)

                    var fields = try #require(try JSONSerialization.jsonObject(with: Data(wechat.settings.utf8)) as? [String: String])
                    let refused = try await owner.post("/admin/payments/wechatpay", fields.merging(["api_v3_key": "short"]) { $1 })
                    #expect(refused.text.contains("api_v3_key"), "a bad field is named: \(refused.text.prefix(500))")
                    fields["platform_public_key"] = wechat.platformPublicKeyPEM
                    let saved = try await owner.post("/admin/payments/wechatpay", fields)
                    #expect([.ok, .seeOther].contains(saved.status), "\(saved.text.prefix(500))")
                    let alipayFields = try #require(try JSONSerialization.jsonObject(with: Data(alipay.settings.utf8)) as? [String: String])
                    #expect([.ok, .seeOther].contains(try await owner.post("/admin/payments/alipay", alipayFields).status))

                    let page = try await owner.get("/admin/payments")
                    #expect(page.text.contains(FakeWechatPay.mchid) && page.text.contains("/api/v1/payments/wechatpay/notify")
                            && page.text.contains(FakeAlipay.appID) && page.text.contains("/api/v1/payments/alipay/notify"))
                    #expect(!page.text.contains("PRIVATE KEY-----\n") && !page.text.contains(FakeWechatPay.apiV3Key))
                    #expect(try await client.send(.get, "/api/v1/payment-providers/wechatpay").json["mchid"] as? String == FakeWechatPay.mchid)

                    _ = try await owner.post("/admin/payments/alipay/delete", [:])
                    #expect(try await client.send(.get, "/api/v1/payment-providers/alipay").status == .notFound)
                }
            }
        }
    }
}
