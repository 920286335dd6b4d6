import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

/// Payouts through WeChat Pay's transfers, and what the jobs do when WeChat Pay's answer is lost
/// or not final: nothing is booked that WeChat Pay did not confirm, and nothing it confirmed is
/// lost. The fake platform's clock moves with Tuike's sandbox clock, so signatures stay fresh.
@Suite struct WechatPayRecoveryTests {
    static func withdrawal(_ client: any TestClientProtocol, account: String? = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") async throws -> (promoter: String, id: String) {
        let promoter = try await client.createPromoter("P")["id"] as! String
        _ = try await client.send(.post, "/api/v1/adjustments", body: #"{"promoter_id":"\#(promoter)","amount":30000,"reason":"bonus"}"#)
        let accountField = account.map { #","account":"\#($0)""# } ?? ""
        let made = try await client.send(.post, "/api/v1/withdrawals", body: #"{"promoter_id":"\#(promoter)","amount":20000,"channel":"wechat"\#(accountField)}"#)
        return (promoter, try #require(made.json["id"] as? String, "\(made.text)"))
    }

    static func advance(_ client: any TestClientProtocol, _ fake: FakeWechatPay, seconds: Int) async throws {
        _ = try await fake.control("/fake/clock", ["advance": seconds])
        let moved = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":\#(seconds)}"#)
        #expect(moved.status == .ok, "\(moved.text)")
    }

    static func balance(_ client: any TestClientProtocol, _ promoter: String) async throws -> [String: Any] {
        try await client.send(.get, "/api/v1/promoters/\(promoter)/balance").json
    }

    @Test(arguments: TestDatabase.available)
    func aTransferWhoseAnswerIsLostIsFoundByTheRecoveryJobAndPaidOnce(database kind: TestDatabase) async throws {
        try await FakeWechatPay.with { fake in
            try await withTestApp(kind, providerTimeoutSeconds: 1) { client, _ async throws in
                try await WechatPayCheckoutTests.setUp(client, fake)
                let (promoter, id) = try await Self.withdrawal(client)
                _ = try await fake.control("/fake/mode", ["transfer": "timeout"])
                let approved = try await client.send(.post, "/api/v1/withdrawals/\(id)/approve")
                #expect(approved.json["status"] as? String == "approved" && approved.json["provider"] as? String == "wechatpay", "\(approved.text)")
                let bills = try #require(try await fake.state()["bills"] as? [String: [String: Any]])
                #expect(bills.count == 1 && bills.values.first?["state"] as? String == "SUCCESS" && bills.values.first?["transfer_amount"] as? Int == 20_000,
                        "WeChat Pay made the transfer; only its answer was lost")
                #expect(try await Self.balance(client, promoter)["withdrawn"] as? Int == 0, "nothing booked before WeChat Pay confirms")

                _ = try await fake.control("/fake/mode", ["transfer": "success"])
                try await Self.advance(client, fake, seconds: Int(WithdrawalRepository.payoutRecoverySeconds) + 60)
                let paid = try await client.send(.get, "/api/v1/withdrawals/\(id)").json
                #expect(paid["status"] as? String == "paid" && paid["provider_reference"] as? String == bills.values.first?["transfer_bill_no"] as? String,
                        "\(paid)")
                #expect(try await fake.state()["bills"].flatMap { ($0 as? [String: Any])?.count } == 1, "the job asked before it sent again")
                let balance = try await Self.balance(client, promoter)
                #expect(balance["available"] as? Int == 10_000 && balance["withdrawn"] as? Int == 20_000, "\(balance)")
                #expect(try await fake.requests().allSatisfy { $0["verified"] as? Bool == true })
                #expect(try await client.send(.get, "/api/v1/ledger/trial-balance").json["balanced"] as? Bool == true)
            }
        }
    }

    @Test(arguments: TestDatabase.available)
    func failedAndSlowTransfersMapToTheWithdrawalStates(database kind: TestDatabase) async throws {
        try await FakeWechatPay.with { fake in
            try await withTestApp(kind) { client, _ async throws in
                try await WechatPayCheckoutTests.setUp(client, fake)
                // FAIL: the money returns to available.
                _ = try await fake.control("/fake/mode", ["transfer": "fail"])
                let (failedPromoter, failedID) = try await Self.withdrawal(client)
                let failed = try await client.send(.post, "/api/v1/withdrawals/\(failedID)/approve").json
                #expect(failed["status"] as? String == "failed" && (failed["reason"] as? String)?.contains("PAYEE_ACCOUNT_ABNORMAL") == true, "\(failed)")
                #expect(try await Self.balance(client, failedPromoter)["available"] as? Int == 30_000)

                // No openid: refused before WeChat Pay is asked, the money returns.
                let (_, noAccount) = try await Self.withdrawal(client, account: nil)
                #expect(try await client.send(.post, "/api/v1/withdrawals/\(noAccount)/approve").json["status"] as? String == "failed")

                // PROCESSING stays approved until a later query finds it done.
                _ = try await fake.control("/fake/mode", ["transfer": "processing"])
                let (promoter, id) = try await Self.withdrawal(client)
                #expect(try await client.send(.post, "/api/v1/withdrawals/\(id)/approve").json["status"] as? String == "approved")
                try await Self.advance(client, fake, seconds: Int(WithdrawalRepository.payoutRecoverySeconds) + 60)
                #expect(try await client.send(.get, "/api/v1/withdrawals/\(id)").json["status"] as? String == "approved", "still processing")
                _ = try await fake.control("/fake/finish-transfers")
                try await Self.advance(client, fake, seconds: Int(PayoutService.recheckSeconds) + 60)
                #expect(try await client.send(.get, "/api/v1/withdrawals/\(id)").json["status"] as? String == "paid")
                #expect(try await Self.balance(client, promoter)["withdrawn"] as? Int == 20_000)

                // Other channels keep the server's own payout provider.
                let other = try await client.createPromoter("Q")["id"] as! String
                _ = try await client.send(.post, "/api/v1/adjustments", body: #"{"promoter_id":"\#(other)","amount":30000,"reason":"bonus"}"#)
                let bank = try #require(try await client.send(.post, "/api/v1/withdrawals",
                                                              body: #"{"promoter_id":"\#(other)","amount":20000,"channel":"bank"}"#).json["id"] as? String)
                let viaSandbox = try await client.send(.post, "/api/v1/withdrawals/\(bank)/approve").json
                #expect(viaSandbox["status"] as? String == "paid" && viaSandbox["provider"] as? String == "sandbox", "\(viaSandbox)")
            }
        }
    }

    @Test(arguments: TestDatabase.available)
    func aTransferWaitingForThePromoterShowsItsConfirmationAndLargeOnesCarryTheEncryptedName(database kind: TestDatabase) async throws {
        try await FakeWechatPay.with { fake in
            try await withTestApp(kind) { client, _ async throws in
                try await WechatPayCheckoutTests.setUp(client, fake)
                _ = try await fake.control("/fake/mode", ["transfer": "confirm"])
                let (promoter, id) = try await Self.withdrawal(client)
                #expect(try await client.send(.post, "/api/v1/withdrawals/\(id)/approve").json["status"] as? String == "approved")
                let own = try await client.promoterToken(promoter)
                let confirmation = try await client.send(.get, "/api/v1/withdrawals/\(id)/confirmation", headers: own)
                #expect(confirmation.status == .ok && (confirmation.json["package"] as? String)?.hasPrefix("ABBQO") == true
                        && confirmation.json["mch_id"] as? String == FakeWechatPay.mchid && confirmation.json["app_id"] as? String == FakeWechatPay.appid,
                        "\(confirmation.text)")
                let stranger = try await client.promoterToken(try await client.createPromoter("S")["id"] as! String)
                expectError(try await client.send(.get, "/api/v1/withdrawals/\(id)/confirmation", headers: stranger), .forbidden, "forbidden")
                // Once the promoter confirms, the next question finds it paid and nothing waits any more.
                _ = try await fake.control("/fake/finish-transfers")
                try await Self.advance(client, fake, seconds: Int(WithdrawalRepository.payoutRecoverySeconds) + 60)
                #expect(try await client.send(.get, "/api/v1/withdrawals/\(id)").json["status"] as? String == "paid")
                expectError(try await client.send(.get, "/api/v1/withdrawals/\(id)/confirmation", headers: own), .notFound, "not_found")

                // From 2,000 yuan WeChat Pay needs the real name, encrypted with its key.
                _ = try await fake.control("/fake/mode", ["transfer": "success"])
                let rich = try await client.createPromoter("R")["id"] as! String
                _ = try await client.send(.post, "/api/v1/adjustments", body: #"{"promoter_id":"\#(rich)","amount":500000,"reason":"bonus"}"#)
                func withdraw(_ account: String) async throws -> [String: Any] {
                    let made = try await client.send(.post, "/api/v1/withdrawals", body: #"""
                        {"promoter_id":"\#(rich)","amount":250000,"channel":"wechat","account":"\#(account)"}
                        """#)
                    return try await client.send(.post, "/api/v1/withdrawals/\(try #require(made.json["id"] as? String, "\(made.text)"))/approve").json
                }
                let unnamed = try await withdraw("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
                #expect(unnamed["status"] as? String == "failed" && (unnamed["reason"] as? String)?.contains("openid|") == true, "\(unnamed)")
                let named = try await withdraw("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o|张三")
                #expect(named["status"] as? String == "paid", "\(named)")
                let bills = try #require(try await fake.state()["bills"] as? [String: [String: Any]])
                #expect(bills.values.contains { $0["user_name"] as? String == "张三" && $0["transfer_amount"] as? Int == 250_000 },
                        "the platform decrypted the name: \(bills)")
            }
        }
    }

    /// A refund whose answer is lost: nothing is booked, and the job books it once WeChat Pay says
    /// it made it; the same request sent again before then is the same refund, booked once.
    @Test(arguments: TestDatabase.available)
    func aRefundWhoseAnswerIsLostIsBookedOnceWeChatPayConfirmsIt(database kind: TestDatabase) async throws {
        try await FakeWechatPay.with { fake in
            try await withTestApp(kind, providerTimeoutSeconds: 1) { client, _ async throws in
                try await WechatPayCheckoutTests.setUp(client, fake)
                let order = try await WechatPayCheckoutTests.order(client)
                _ = try await client.send(.post, "/api/v1/orders/\(order)/checkout", body: #"{"provider":"wechatpay"}"#)
                #expect(try await fake.pay(order).deliver(to: client).status == .noContent)
                func refunded() async throws -> Int? { try await client.send(.get, "/api/v1/orders/\(order)").json["refunded"] as? Int }

                _ = try await fake.control("/fake/mode", ["refund": "timeout"])
                expectError(try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":10000}"#), .serviceUnavailable, "provider_unavailable")
                #expect(try await refunded() == 0, "nothing booked before WeChat Pay confirms")
                try await Self.advance(client, fake, seconds: Int(RefundService.recoverySeconds) + 5)
                #expect(try await refunded() == 10_000, "the job asked WeChat Pay and booked the refund it made")

                // Lost again, and sent again at once: the same number, one refund at WeChat Pay, booked once.
                expectError(try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":5000}"#), .serviceUnavailable, "provider_unavailable")
                _ = try await fake.control("/fake/mode", ["refund": "answer"])
                #expect(try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":5000}"#).status == .created)
                try await Self.advance(client, fake, seconds: Int(RefundService.recoverySeconds) + 5)
                #expect(try await refunded() == 15_000)
                let refunds = try #require(try await fake.state()["refunds"] as? [String: [String: Any]])
                #expect(refunds.values.compactMap { $0["refund"] as? Int }.sorted() == [5_000, 10_000], "\(refunds)")
                #expect(try await client.send(.get, "/api/v1/ledger/trial-balance").json["balanced"] as? Bool == true)
            }
        }
    }

    /// The buyer paid at WeChat Pay after the order had been cancelled here (by hand, or a
    /// provider that was set up after the checkout): the money is taken and given back in full.
    @Test(arguments: TestDatabase.available)
    func aPaymentThatArrivesAfterTheOrderWasCancelledIsRefundedInFull(database kind: TestDatabase) async throws {
        try await FakeWechatPay.with { fake in
            try await withTestApp(kind) { client, tuike async throws in
                try await WechatPayCheckoutTests.setUp(client, fake)
                let order = try await WechatPayCheckoutTests.order(client)
                #expect(try await client.send(.post, "/api/v1/orders/\(order)/checkout", body: #"{"provider":"wechatpay"}"#).status == .ok)
                let timeout = try await ProgramRepository(database: tuike.database).current().orderTimeoutSeconds
                // Cancelled without asking WeChat Pay (the sweep without its provider step).
                _ = try await OrderRepository(database: tuike.database).expireDue(at: tuike.clock.now().adding(seconds: timeout + 1))
                #expect(try await client.send(.get, "/api/v1/orders/\(order)").json["status"] as? String == "cancelled")

                #expect(try await fake.pay(order).deliver(to: client).status == .noContent, "accepted, so WeChat Pay stops repeating it")
                try await Self.advance(client, fake, seconds: 1)
                let after = try await client.send(.get, "/api/v1/orders/\(order)").json
                #expect(after["status"] as? String == "refunded" && after["refunded"] as? Int == 50_000, "\(after)")
                #expect((try await client.send(.get, "/api/v1/commissions?order_id=\(order)").json["data"] as? [Any])?.isEmpty == true)
                let refunds = try #require(try await fake.state()["refunds"] as? [String: [String: Any]])
                #expect(refunds.values.map { $0["refund"] as? Int } == [50_000], "\(refunds)")
                #expect(try await client.send(.get, "/api/v1/ledger/trial-balance").json["balanced"] as? Bool == true)
                // An integrator's report of a late payment is still refused.
                let other = try await WechatPayCheckoutTests.order(client)
                _ = try await OrderRepository(database: tuike.database).expireDue(at: tuike.clock.now().adding(seconds: timeout + 1))
                expectError(try await client.send(.post, "/api/v1/orders/\(other)/paid", body: #"{"payment_id":"late-1","provider":"wechatpay"}"#),
                            .conflict, "order_cancelled")
            }
        }
    }

    @Test(arguments: TestDatabase.available)
    func anUnpaidOrderIsClosedAtWechatPayBeforeItIsCancelledAndAPaidOneIsKept(database kind: TestDatabase) async throws {
        try await FakeWechatPay.with { fake in
            try await withTestApp(kind) { client, tuike async throws in
                try await WechatPayCheckoutTests.setUp(client, fake)
                let (product, _, _, visitor) = try await OrdersAPITests.world(client)
                let unpaid = try await OrdersAPITests.placeOrder(client, product: product, visitor: visitor)
                let paidThere = try await client.send(.post, "/api/v1/orders", body: #"""
                    {"buyer_id":"buyer-2","items":[{"product_id":"\#(product)","quantity":1}],"visitor_id":"\#(visitor)"}
                    """#).json["id"] as! String
                for order in [unpaid, paidThere] {
                    #expect(try await client.send(.post, "/api/v1/orders/\(order)/checkout", body: #"{"provider":"wechatpay"}"#).status == .ok)
                }
                // The buyer paid, but the notification never arrived.
                _ = try await fake.pay(paidThere)
                let timeout = try await ProgramRepository(database: tuike.database).current().orderTimeoutSeconds
                try await Self.advance(client, fake, seconds: Int(timeout) + 60)
                #expect(try await client.send(.get, "/api/v1/orders/\(unpaid)").json["status"] as? String == "cancelled")
                let orders = try #require(try await fake.state()["orders"] as? [String: [String: Any]])
                #expect(orders[unpaid]?["state"] as? String == "CLOSED", "closed at WeChat Pay, so it can no longer be paid")
                let kept = try await client.send(.get, "/api/v1/orders/\(paidThere)").json
                #expect(kept["status"] as? String == "paid", "the payment WeChat Pay took is booked, not cancelled: \(kept)")
                #expect((try await client.send(.get, "/api/v1/commissions?order_id=\(paidThere)").json["data"] as? [Any])?.count == 2)
                // Reopening a closed order at WeChat Pay is refused there.
                expectError(try await client.send(.post, "/api/v1/orders/\(unpaid)/checkout", body: #"{"provider":"wechatpay"}"#),
                            .conflict, "not_payable")
            }
        }
    }
}
