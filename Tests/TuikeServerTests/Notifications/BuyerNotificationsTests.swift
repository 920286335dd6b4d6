import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

@Suite struct BuyerNotificationsTests {
    /// A group of three fails with two paid members who have accounts: each is told once by SMS
    /// (and once on WeChat, for the one with an openid), though the sender runs again and two
    /// instances run it at once; a provider that fails first is retried, not skipped.
    @Test(arguments: TestDatabase.available)
    func aFailedGroupTellsEachPaidMemberOnce(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let leader = try await client.signInBuyer("13800000001"), member = try await client.signInBuyer("13800000002")
            let patched = try await client.send(.patch, "/api/v1/buyer/me", headers: member.auth, body: #"{"wechat_openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}"#)
            #expect(patched.json["wechat_openid"] as? String == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "\(patched.text)")
            let (campaign, _, _) = try await client.groupCampaign(size: 3, extra: #","duration_seconds":3600"#)
            let (group, leaderOrder) = try await client.openGroup(campaign, buyer: leader.id)
            _ = try await client.pay(leaderOrder, provider: "sandbox")
            let joined = try await client.joinGroup(group, buyer: member.id)
            _ = try await client.pay((joined.json["order"] as! [String: Any])["id"] as! String, provider: "sandbox")

            let sms = try #require(tuike.messaging.sms as? SandboxMessageProvider)
            let wechat = try #require(tuike.messaging.providers[.wechat] as? SandboxMessageProvider)
            sms.fail(next: 100)
            try await client.advance(seconds: 3_601)
            #expect(try await client.group(group)["status"] as? String == "failed")
            #expect(sms.messages.filter { $0.template == "group_failed" }.isEmpty)
            sms.fail(next: 0)

            // Two instances send at once, then one again: a minute later the retries are due.
            let sender = NotificationSender(notifications: NotificationRepository(database: tuike.database),
                                            buyers: BuyerRepository(database: tuike.database, cipher: tuike.cipher), messaging: tuike.messaging,
                                            clock: tuike.clock)
            let later = tuike.clock.now().adding(seconds: 120)
            _ = try await OrdersAPITests.atOnce(2) { _ in try await sender.run(at: later) }
            try await sender.run(at: later.adding(seconds: 600))
            let failed = sms.messages.filter { $0.template == "group_failed" }.map(\.to).sorted()
            #expect(failed == ["13800000001", "13800000002"])
            #expect(wechat.messages.filter { $0.template == "group_failed" }.map(\.to) == ["oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"])
            // The refunds that followed were told too, once each.
            #expect(sms.messages.filter { $0.template == "refund_paid" }.count == 2)

            let log = try #require(try await client.send(.get, "/api/v1/notifications?buyer_id=\(member.id)").json["data"] as? [[String: Any]])
            let groupFailed = log.filter { $0["template"] as? String == "group_failed" }
            #expect(groupFailed.count == 2 && groupFailed.allSatisfy { $0["status"] as? String == "sent" && ($0["attempts"] as? Int ?? 0) >= 1 })
        }
    }

    /// Shipping tells the buyer; a reminder (marketing) is skipped for a buyer who opted out,
    /// and a buyer id without an account has no channel.
    @Test(arguments: TestDatabase.available)
    func shippingIsToldAndOptOutsAreKept(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let world = try await GoodsWorld.make(client)
            let buyer = try await client.signInBuyer("13800000003")
            _ = try await client.send(.patch, "/api/v1/buyer/me", headers: buyer.auth, body: #"{"marketing_opt_out":true}"#)
            let order = try await world.paidOrder(client, buyer: buyer.id)
            let guest = try await world.paidOrder(client, buyer: "integrator-buyer-7")
            for (id, number) in [(order, "SF5001"), (guest, "SF5002")] {
                _ = try await client.send(.post, "/api/v1/orders/\(id)/shipments", body: #"{"carrier":"顺丰","tracking_number":"\#(number)"}"#)
            }
            try await client.advance(seconds: 1)
            let sms = try #require(tuike.messaging.sms as? SandboxMessageProvider)
            let shipped = sms.messages.filter { $0.template == "order_shipped" }
            #expect(shipped.count == 1 && shipped.first?.to == "13800000003" && shipped.first?.text.contains("SF5001") == true)

            let repository = NotificationRepository(database: tuike.database)
            let notice = BuyerNotice.notice(type: "group.expiring_soon", payload: ["group_id": "grp_x", "members": 1, "size": 3])
            #expect(notice?.marketing == true && notice?.text.contains("还差 2 人") == true)
            #expect(try await repository.list(buyerID: "integrator-buyer-7", status: nil, limit: 10, before: nil).isEmpty)
        }
    }
}
