import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

extension TestClientProtocol {
    /// A 199.00 course sold to groups of `size` at 99.00 (the leader pays 89.00), promoted by B
    /// (under A) whose link the buyers clicked. Returns the campaign id.
    func groupCampaign(size: Int = 3, extra: String = "") async throws -> (campaign: String, product: String, promoter: String) {
        let product = try await send(.post, "/api/v1/products", body: #"{"title":"零基础英语口语 30 天","price":19900}"#).json["id"] as! String
        let promoter = try await createPromoter("B")["id"] as! String
        let code = try await createLink(promoter: promoter, product: product).json["code"] as! String
        for index in 0..<8 {
            _ = try await send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"group-visitor-000\#(index)"}"#)
        }
        let campaign = try await send(.post, "/api/v1/group-campaigns", body: """
            {"product_id":"\(product)","group_price":9900,"leader_price":8900,"group_size":\(size)\(extra)}
            """)
        #expect(campaign.status == .created, "\(campaign.text)")
        return (campaign.json["id"] as! String, product, promoter)
    }

    /// Opens a group for `buyer`; returns the group and the leader's order.
    func openGroup(_ campaign: String, buyer: String = "leader", visitor: Int = 0) async throws -> (group: String, order: String) {
        let opened = try await send(.post, "/api/v1/groups", body: #"{"campaign_id":"\#(campaign)","buyer_id":"\#(buyer)","visitor_id":"group-visitor-000\#(visitor)"}"#)
        #expect(opened.status == .created, "\(opened.text)")
        let group = try #require(opened.json["group"] as? [String: Any])
        let order = try #require(opened.json["order"] as? [String: Any])
        return (group["id"] as! String, order["id"] as! String)
    }

    func joinGroup(_ group: String, buyer: String, visitor: Int = 1) async throws -> TestResponse {
        try await send(.post, "/api/v1/groups/\(group)/join", body: #"{"buyer_id":"\#(buyer)","visitor_id":"group-visitor-000\#(visitor)"}"#)
    }

    func pay(_ order: String, provider: String = "external") async throws -> TestResponse {
        try await send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"pay-\#(order)","provider":"\#(provider)"}"#)
    }

    func group(_ id: String) async throws -> [String: Any] { try await send(.get, "/api/v1/groups/\(id)").json }
}

@Suite struct GroupAPITests {
    @Test(arguments: TestDatabase.available)
    func theLastPaymentSucceedsTheGroup(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let (campaign, product, promoter) = try await client.groupCampaign()
            let (group, leaderOrder) = try await client.openGroup(campaign)
            #expect(try await client.group(group)["status"] as? String == "pending")
            expectError(try await client.joinGroup(group, buyer: "early"), .conflict, "group_not_open")
            let leaderView = try await client.send(.get, "/api/v1/orders/\(leaderOrder)").json
            #expect(leaderView["amount"] as? Int == 8_900 && leaderView["group_id"] as? String == group && leaderView["promoter_id"] as? String == promoter)

            #expect(try await client.pay(leaderOrder).status == .ok)
            let forming = try await client.group(group)
            #expect(forming["status"] as? String == "forming" && forming["members"] as? Int == 1 && forming["expires_at"] is String, "\(forming)")
            let b = try await client.joinGroup(group, buyer: "buyer-b", visitor: 1)
            #expect(b.status == .created && (b.json["order"] as? [String: Any])?["amount"] as? Int == 9_900, "\(b.text)")
            expectError(try await client.joinGroup(group, buyer: "buyer-b", visitor: 1), .conflict, "already_in_group")
            let c = try await client.joinGroup(group, buyer: "buyer-c", visitor: 2)
            expectError(try await client.joinGroup(group, buyer: "buyer-d", visitor: 3), .conflict, "group_full")
            let joinList = try await client.send(.get, "/api/v1/group-campaigns/\(campaign)/groups", headers: [:]).json["data"] as? [Any]
            #expect(joinList?.isEmpty == true, "a full group is not offered to join")

            let bOrder = (b.json["order"] as! [String: Any])["id"] as! String
            let cOrder = (c.json["order"] as! [String: Any])["id"] as! String
            #expect(try await client.pay(bOrder).status == .ok)
            let pending = try await client.send(.get, "/api/v1/commissions?order_id=\(bOrder)").json["data"] as! [[String: Any]]
            #expect(pending.first?["eligible_at"] as? String == "9999-12-31T23:59:59Z", "not eligible before the group succeeds")
            #expect((try await client.send(.get, "/api/v1/buyers/buyer-b/entitlements").json["data"] as? [Any])?.isEmpty == true)
            #expect(try await client.pay(cOrder).status == .ok)

            let done = try await client.group(group)
            #expect(done["status"] as? String == "succeeded" && done["members"] as? Int == 3, "\(done)")
            for buyer in ["leader", "buyer-b", "buyer-c"] {
                let access = try await client.send(.get, "/api/v1/buyers/\(buyer)/entitlements").json["data"] as? [[String: Any]]
                #expect(access?.first?["product_id"] as? String == product, "\(buyer)")
            }
            let commissions = try await client.send(.get, "/api/v1/commissions?promoter_id=\(promoter)").json["data"] as! [[String: Any]]
            #expect(commissions.count == 3 && commissions.allSatisfy { ($0["eligible_at"] as? String)?.hasPrefix("9999") == false }, "\(commissions)")
            #expect(commissions.map { $0["amount"] as! Int }.sorted() == [1_780, 1_980, 1_980])

            // The stream of a finished group replays every event and ends.
            let stream = try await client.send(.get, "/api/v1/groups/\(group)/events", headers: [:])
            #expect(stream.headers[.contentType]?.hasPrefix("text/event-stream") == true)
            let types = stream.text.split(separator: "\n").filter { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) }
            #expect(types == ["reserved", "joined", "reserved", "reserved", "joined", "joined", "succeeded"], "\(stream.text)")
            let resumed = try await client.send(.get, "/api/v1/groups/\(group)/events", headers: [HTTPField.Name("Last-Event-ID")!: "5"])
            #expect(resumed.text.split(separator: "\n").filter { $0.hasPrefix("event: ") } == ["event: joined", "event: succeeded"])
            #expect(resumed.text.contains(#""members":3,"reserved":0,"size":3,"status":"succeeded""#))

            let metrics = try await client.send(.get, "/api/v1/group-campaigns/\(campaign)/metrics").json
            #expect(metrics["groups_opened"] as? Int == 1 && metrics["succeeded"] as? Int == 1 && metrics["success_rate_bps"] as? Int == 10_000)
            #expect(metrics["paid_orders"] as? Int == 3 && metrics["average_order_value"] as? Int == 9_567 && metrics["new_buyers"] as? Int == 2)
            #expect(metrics["viral_coefficient_bps"] as? Int == 20_000)
            try await client.expectBalanced()
        }
    }

    /// At expiry a group short of members fails: every paid member is refunded through the
    /// provider, commissions reversed; a refusal is shown to admins and retried, never lost.
    @Test(arguments: TestDatabase.available)
    func aFailedGroupRefundsEveryPaidMember(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let (campaign, _, promoter) = try await client.groupCampaign(size: 3, extra: #","duration_seconds":3600"#)
            let (group, leaderOrder) = try await client.openGroup(campaign)
            _ = try await client.pay(leaderOrder, provider: "sandbox")
            let b = try await client.joinGroup(group, buyer: "buyer-b")
            let bOrder = (b.json["order"] as! [String: Any])["id"] as! String
            _ = try await client.pay(bOrder, provider: "sandbox")
            let provider = try #require(tuike.paymentProviders["sandbox"] as? SandboxPaymentProvider)
            provider.refuseRefunds(true)
            try await client.advance(seconds: 3_601)

            #expect(try await client.group(group)["status"] as? String == "failed")
            let stuck = try await client.send(.get, "/api/v1/group-refunds").json["data"] as! [[String: Any]]
            #expect(stuck.count == 2 && stuck.allSatisfy { ($0["refund_error"] as? String)?.contains("refused") == true }, "\(stuck)")
            #expect(try await client.send(.get, "/api/v1/orders/\(bOrder)").json["status"] as? String == "paid")

            provider.refuseRefunds(false)
            let retried = try await client.send(.post, "/api/v1/group-refunds/\(bOrder)/retry")
            #expect(retried.json["status"] as? String == "refunded", "\(retried.text)")
            try await client.advance(seconds: 3_600)   // the job's next try refunds the leader
            #expect((try await client.send(.get, "/api/v1/group-refunds").json["data"] as? [Any])?.isEmpty == true)
            for order in [leaderOrder, bOrder] {
                let view = try await client.send(.get, "/api/v1/orders/\(order)").json
                #expect(view["status"] as? String == "refunded", "\(view)")
                #expect((view["refunds"] as? [[String: Any]])?.first?["reason"] as? String == "group_failed")
            }
            let commissions = try await client.send(.get, "/api/v1/commissions?promoter_id=\(promoter)").json["data"] as! [[String: Any]]
            #expect(commissions.count == 2 && commissions.allSatisfy { $0["status"] as? String == "reversed" }, "\(commissions)")
            let events = try await client.send(.get, "/api/v1/groups/\(group)/events", headers: [:]).text
            #expect(events.contains("event: failed"))
            #expect(try await client.send(.get, "/api/v1/group-campaigns/\(campaign)/metrics").json["refunds"] as? Int == 2)
            try await client.expectBalanced()
        }
    }

    @Test(arguments: TestDatabase.available)
    func virtualSuccessCompletesAGroupWithOnlyItsLeader(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let (campaign, _, _) = try await client.groupCampaign(size: 5, extra: #","duration_seconds":3600,"virtual_success":true,"expiring_soon_seconds":600"#)
            let (group, leaderOrder) = try await client.openGroup(campaign)
            _ = try await client.pay(leaderOrder)
            try await client.advance(seconds: 3_000)
            try await client.advance(seconds: 601)
            let done = try await client.group(group)
            #expect(done["status"] as? String == "succeeded" && done["members"] as? Int == 1, "\(done)")
            let types = try await client.send(.get, "/api/v1/groups/\(group)/events", headers: [:]).text
                .split(separator: "\n").filter { $0.hasPrefix("event: ") }
            #expect(types == ["event: reserved", "event: joined", "event: expiring_soon", "event: succeeded"])
            let webhooks = try await client.send(.get, "/api/v1/events?limit=100").text
            #expect(webhooks.contains("group.expiring_soon") && webhooks.contains("group.succeeded"))
            #expect((try await client.send(.get, "/api/v1/buyers/leader/entitlements").json["data"] as? [Any])?.count == 1)
        }
    }

    /// An unpaid reservation frees its slot at the payment timeout; its late payment is refunded
    /// (`group_closed`) when the slot was taken meanwhile, and takes a slot again when there is room.
    @Test(arguments: TestDatabase.available)
    func reservationsTimeOutAndLatePaymentsAreRefunded(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let (campaign, _, _) = try await client.groupCampaign(size: 3, extra: #","payment_timeout_seconds":600"#)
            let (group, leaderOrder) = try await client.openGroup(campaign)
            _ = try await client.pay(leaderOrder)
            let late = try await client.joinGroup(group, buyer: "buyer-late", visitor: 1)
            let lateOrder = (late.json["order"] as! [String: Any])["id"] as! String
            let slow = try await client.joinGroup(group, buyer: "buyer-slow", visitor: 2)
            let slowOrder = (slow.json["order"] as! [String: Any])["id"] as! String
            try await client.advance(seconds: 601)
            let freed = try await client.group(group)
            #expect(freed["reserved"] as? Int == 0 && freed["free_slots"] as? Int == 2, "\(freed)")
            #expect(try await client.send(.get, "/api/v1/orders/\(lateOrder)").json["status"] as? String == "cancelled")

            // buyer-slow pays late while there is room: the slot is taken again.
            #expect(try await client.pay(slowOrder).status == .ok)
            #expect(try await client.group(group)["members"] as? Int == 2)
            // Someone else takes the last slot; buyer-late's payment then finds none and is refunded.
            let last = try await client.joinGroup(group, buyer: "buyer-last", visitor: 3)
            _ = try await client.pay((last.json["order"] as! [String: Any])["id"] as! String)
            #expect(try await client.group(group)["status"] as? String == "succeeded")
            #expect(try await client.pay(lateOrder).status == .ok)
            try await client.advance(seconds: 0)
            let refunded = try await client.send(.get, "/api/v1/orders/\(lateOrder)").json
            #expect(refunded["status"] as? String == "refunded", "\(refunded)")
            #expect((refunded["refunds"] as? [[String: Any]])?.first?["reason"] as? String == "group_closed")
            #expect(try await client.group(group)["members"] as? Int == 3)
            try await client.expectBalanced()
        }
    }

    @Test(arguments: TestDatabase.available)
    func campaignsRefuseNonsenseAndLimits(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"课","price":10000}"#).json["id"] as! String
            for body in [#""group_price":10000,"group_size":3"#, #""group_price":5000,"group_size":1"#, #""group_price":5000,"group_size":51"#,
                         #""group_price":5000,"group_size":3,"leader_price":6000"#,
                         #""group_price":5000,"group_size":3,"starts_at":"2030-01-02T00:00:00Z","ends_at":"2030-01-01T00:00:00Z""#] {
                expectError(try await client.send(.post, "/api/v1/group-campaigns", body: #"{"product_id":"\#(product)",\#(body)}"#),
                            .unprocessableContent, "validation_failed")
            }
            expectError(try await client.send(.post, "/api/v1/group-campaigns", body: #"{"product_id":"\#(product)","group_price":"cheap","group_size":3}"#),
                        .badRequest, "invalid_request")
            expectError(try await client.send(.post, "/api/v1/group-campaigns", body: #"{"product_id":"\#(product)","group_price":5000,"group_size":3,"colour":"red"}"#),
                        .unprocessableContent, "validation_failed")
            let created = try await client.send(.post, "/api/v1/group-campaigns", body: #"{"product_id":"\#(product)","group_price":5000,"group_size":2,"max_groups":1}"#)
            let campaign = try #require(created.json["id"] as? String)
            _ = try await client.openGroup(campaign, buyer: "first")
            expectError(try await client.send(.post, "/api/v1/groups", body: #"{"campaign_id":"\#(campaign)","buyer_id":"second"}"#), .conflict, "campaign_sold_out")
            let patched = try await client.send(.patch, "/api/v1/group-campaigns/\(campaign)", body: #"{"max_groups":null,"status":"paused"}"#)
            #expect(patched.status == .ok && patched.json["status"] as? String == "paused", "\(patched.text)")
            expectError(try await client.send(.post, "/api/v1/groups", body: #"{"campaign_id":"\#(campaign)","buyer_id":"second"}"#), .conflict, "campaign_not_running")
            _ = try await client.send(.patch, "/api/v1/group-campaigns/\(campaign)", body: #"{"status":"active"}"#)
            // A campaign keeps its product: product_id is an unknown field of a change, whatever its value.
            for body in [#"{"product_id":null}"#, #"{"product_id":5,"status":"paused"}"#] {
                let refused = try await client.send(.patch, "/api/v1/group-campaigns/\(campaign)", body: body)
                expectError(refused, .unprocessableContent, "validation_failed")
                #expect(refused.text.contains("product_id"), "\(refused.text)")
            }
            expectError(try await client.send(.post, "/api/v1/groups", body: #"{"campaign_id":"\#(campaign)","buyer_id":"first"}"#), .conflict, "per_user_limit")
            expectError(try await client.send(.post, "/api/v1/groups/grp_nothing/join", body: #"{"buyer_id":"x"}"#), .notFound, "not_found")
            expectError(try await client.send(.get, "/api/v1/group-campaigns/\(campaign)/groups?status=failed", headers: [:]), .forbidden, "forbidden")
            let promoter = try await client.createPromoter("P")["id"] as! String
            let token = try await client.promoterToken(promoter)
            expectError(try await client.send(.post, "/api/v1/groups", headers: token, body: #"{"campaign_id":"\#(campaign)","buyer_id":"z"}"#), .forbidden, "forbidden")
        }
    }

    /// 200 buyers join one group of 5 at once: exactly 4 hold slots (the leader has the fifth);
    /// on PostgreSQL through two app instances sharing the database.
    @Test(arguments: TestDatabase.available)
    func concurrentJoinsNeverOverfill(database kind: TestDatabase) async throws {
        try await kind.withInstances(kind == .postgres ? 2 : 1) { instances async throws in
            var apps: [Application<RouterResponder<TuikeRequestContext>>] = []
            for database in instances {
                let (tuike, _) = try await TuikeApp.prepare(database: database, options: .init(sandbox: true, adminToken: adminToken, cipher: testCipher),
                                                            logger: TestDatabase.logger)
                apps.append(Application(router: buildRouter(tuike).router, logger: TestDatabase.logger))
            }
            let first = apps[0], last = apps[apps.count - 1]
            try await first.test(.router) { one async throws in
                try await last.test(.router) { two async throws in
                    let (campaign, _, _) = try await one.groupCampaign(size: 5)
                    let (group, leaderOrder) = try await one.openGroup(campaign)
                    _ = try await one.pay(leaderOrder)
                    let clients: [any TestClientProtocol] = [one, two]
                    let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { tasks in
                        for index in 0..<200 {
                            let client = clients[index % 2]
                            tasks.addTask {
                                let response = try await client.joinGroup(group, buyer: "buyer-\(index)", visitor: index % 8)
                                return (response.status, response.errorCode)
                            }
                        }
                        return try await tasks.reduce(into: [(HTTPResponse.Status, String?)]()) { $0.append($1) }
                    }
                    #expect(statuses.filter { $0.0 == .created }.count == 4)
                    #expect(statuses.filter { $0.0 == .conflict && $0.1 == "group_full" }.count == 196)
                    let state = try await two.group(group)
                    #expect(state["members"] as? Int == 1 && state["reserved"] as? Int == 4 && state["free_slots"] as? Int == 0, "\(state)")
                    let rows = try await instances[0].read { db in
                        try await db.first("SELECT COUNT(*) AS n FROM group_members WHERE group_id = \(bind: group) AND status IN ('reserved', 'paid')")!
                    }
                    #expect(try rows.decode(column: "n", as: Int64.self) == 5)
                }
            }
        }
    }
}
