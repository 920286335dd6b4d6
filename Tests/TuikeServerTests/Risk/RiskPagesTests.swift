import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeTestSupport

@Suite struct RiskPagesTests {
    /// B logs in to the portal with its browser's fingerprint; an order from another address
    /// but that device is held with `self_purchase_device`. B sees the reason (not the
    /// evidence) in the API and the portal; the owner sees the evidence on the case page and
    /// releases it with the console's form; the rules page changes a rule and trusts a promoter.
    @Test(arguments: TestDatabase.available)
    func theDeviceCaseThroughPortalAndConsole(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"考研数学全程班","price":50000}"#).json["id"] as! String
            let a = try await client.createPromoter("A")["id"] as! String
            let b = try await client.createPromoter("B", phone: "13922224444", parent: a)["id"] as! String
            let code = try await client.createLink(promoter: b, product: product).json["code"] as! String
            let world = (product: product, b: b, visitor: "visitor-0000000001")
            #expect(try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"\#(world.visitor)"}"#).status == .created)
            #expect(try await client.send(.put, "/api/v1/promoters/\(world.b)/password", body: #"{"password":"secret-123"}"#).status == .noContent)
            let form = try await client.send(.get, "/me/login", headers: [:])
            let csrf = try #require(form.headers[values: .setCookie].first { $0.hasPrefix("tk_csrf=") }?.split(separator: ";").first?.dropFirst(8))
            let login = try await client.send(.post, "/me/login", headers: [.cookie: "tk_csrf=\(csrf)", .contentType: "application/x-www-form-urlencoded",
                                                                           .xForwardedFor: "192.0.2.50"],
                                              body: "_csrf=\(csrf)&phone=13922224444&password=secret-123&tk_device=fp1-0123456789abcdef")
            let session = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("tk_session=") }?.split(separator: ";").first, "\(login.text)")
            let portal = ConsoleBrowser(client: client, cookie: "tk_csrf=\(csrf); \(session)", csrf: String(csrf))

            let created = try await client.send(.post, "/api/v1/orders", body: """
                {"buyer_id":"buyer-d","items":[{"product_id":"\(world.product)","quantity":1}],"visitor_id":"\(world.visitor)",
                 "ip":"198.51.100.77","device_id":"fp1-0123456789abcdef"}
                """)
            let order = try #require(created.json["id"] as? String, "\(created.text)")
            #expect(try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"risk-d"}"#).status == .ok)

            let token = try await client.promoterToken(world.b)
            let mine = try #require(try await client.send(.get, "/api/v1/commissions?status=held", headers: token).json["data"] as? [[String: Any]])
            #expect(mine.count == 1 && mine.first?["hold_reasons"] as? [String] == ["self_purchase_device"], "\(mine)")
            let page = try await portal.get("/me?status=held").text
            #expect(page.contains("data-hold-reason") && page.contains("本人设备下单") && !page.contains("fp1-"), "\(page)")

            let owner = try await ConsoleBrowser.logIn(client, as: "owner")
            let caseID = try #require((try await client.send(.get, "/api/v1/risk/cases?status=open").json["data"] as? [[String: Any]])?.first?["id"] as? String)
            let queue = try await owner.get("/admin/risk").text
            #expect(queue.contains(#"data-row="\#(caseID)""#) && queue.contains("本人设备下单"), "\(queue)")
            let detail = try await owner.get("/admin/risk/cases/\(caseID)?lang=en").text
            #expect(detail.contains("matched=device") && detail.contains("source=login") && detail.contains("Release"), "\(detail)")
            let json = try await client.send(.get, "/api/v1/risk/cases/\(caseID)").json
            #expect((json["commissions"] as? [[String: Any]])?.count == 2)
            let released = try await owner.post("/admin/risk/cases/\(caseID)/release", ["reason": "亲戚用推客手机下单，已电话核实"])
            #expect(released.status == .seeOther && released.headers[.location] == "/admin/risk?notice=done", "\(released.text)")
            #expect(try await client.send(.get, "/api/v1/risk/cases/\(caseID)").json["status"] as? String == "released")
            #expect(try await client.send(.get, "/api/v1/commissions?order_id=\(order)").json["data"].map { ($0 as? [[String: Any]])?.map { $0["status"] as? String } }
                == ["pending", "pending"])

            // The rules page: a change and a trusted promoter, each through its form.
            #expect(try await owner.get("/admin/risk/rules").status == .ok)
            let changed = try await owner.post("/admin/risk/rules/change", ["code": "click_flood", "mode": "hold", "threshold": "60", "weight": ""])
            #expect(changed.status == .seeOther, "\(changed.text)")
            let rule = (try await client.send(.get, "/api/v1/risk/rules").json["data"] as? [[String: Any]])?.first { $0["code"] as? String == "click_flood" }
            #expect(rule?["mode"] as? String == "hold" && rule?["threshold"] as? Int == 60 && rule?["version"] as? Int == 1)
            let refused = try await owner.post("/admin/risk/rules/change", ["code": "click_flood", "threshold": "1"])
            #expect(refused.status == .unprocessableContent && refused.text.contains("data-error"))
            let trusted = try await owner.post("/admin/risk/exclusions", ["promoter_id": world.b, "code": "self_purchase_device", "reason": "店长本人"])
            #expect(trusted.status == .seeOther, "\(trusted.text)")
            #expect(try await owner.get("/admin/risk/rules?promoter_id=\(world.b)").text.contains("店长本人"))
            expectError(try await client.send(.get, "/api/v1/promoters/prm_nobody/risk-exclusions"), .notFound, "not_found")
            // Finance reviews cases but does not edit rules.
            let finance = try await ConsoleBrowser.logIn(client, as: "finance")
            #expect(try await finance.get("/admin/risk").status == .ok)
            #expect(detail.contains("/suspend"))
            #expect(!(try await finance.get("/admin/risk/cases/\(caseID)").text.contains("/suspend")), "finance may not suspend")
            #expect(try await finance.post("/admin/risk/rules/change", ["code": "click_flood", "mode": "off"]).status == .forbidden)
        }
    }

    /// A case nobody reviews goes overdue after `risk_review_hours` and stays held through any
    /// number of settlements: it never pays by waiting.
    @Test(arguments: TestDatabase.available)
    func anUnreviewedCaseGoesOverdueAndStaysHeld(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            #expect(try await client.send(.put, "/api/v1/program", body: #"{"risk_review_hours":48}"#).status == .ok)
            expectError(try await client.send(.put, "/api/v1/program", body: #"{"risk_review_hours":721}"#), .unprocessableContent, "validation_failed")
            let world = try await OrdersAPITests.world(client)
            _ = try await RiskAPITests.seenAtHome(client, world.b)
            let order = try await RiskAPITests.order(client, world, n: 1).order
            let opened = try #require((try await client.send(.get, "/api/v1/risk/cases?status=open").json["data"] as? [[String: Any]])?.first)
            #expect(opened["overdue"] as? Bool == false && opened["review_due_at"] is String, "\(opened)")
            for _ in 0..<3 { try await RiskAPITests.settle(client) }
            let later = try await client.send(.get, "/api/v1/risk/cases/\(opened["id"] as! String)").json
            #expect(later["overdue"] as? Bool == true && later["status"] as? String == "open", "\(later)")
            #expect(try await client.send(.get, "/api/v1/commissions?order_id=\(order)").json["data"].map { ($0 as? [[String: Any]])?.map { $0["status"] as? String } }
                == ["held", "held"])
            let owner = try await ConsoleBrowser.logIn(client, as: "owner")
            #expect(try await owner.get("/admin/risk").text.contains("已超时"))
        }
    }

    /// Two buyers of one group from one device: the second payment records
    /// `shared_device_group` (shadow by default); in hold mode the group's commissions wait.
    @Test(arguments: TestDatabase.available)
    func groupStackingIsSeen(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            #expect(try await client.send(.put, "/api/v1/risk/rules/shared_device_group", body: #"{"mode":"hold"}"#).status == .ok)
            let (campaign, _, promoter) = try await client.groupCampaign(size: 3)
            let opened = try await client.send(.post, "/api/v1/groups", body: """
                {"campaign_id":"\(campaign)","buyer_id":"stack-1","visitor_id":"group-visitor-0000","device_id":"fp1-farm","ip":"198.51.100.1"}
                """)
            let group = try #require((opened.json["group"] as? [String: Any])?["id"] as? String, "\(opened.text)")
            let leader = try #require((opened.json["order"] as? [String: Any])?["id"] as? String)
            #expect(try await client.pay(leader).status == .ok)
            #expect(try await client.send(.get, "/api/v1/risk/cases").json["data"].map { ($0 as? [Any])?.count } == 0)
            let joined = try await client.send(.post, "/api/v1/groups/\(group)/join", body: """
                {"buyer_id":"stack-2","visitor_id":"group-visitor-0001","device_id":"fp1-farm","ip":"198.51.100.2"}
                """)
            let second = try #require((joined.json["order"] as? [String: Any])?["id"] as? String, "\(joined.text)")
            #expect(try await client.pay(second).status == .ok)
            let cases = try #require(try await client.send(.get, "/api/v1/risk/cases?promoter_id=\(promoter)").json["data"] as? [[String: Any]])
            #expect(cases.count == 1 && cases.first?["order_id"] as? String == second && cases.first?["status"] as? String == "open", "\(cases)")
            #expect((cases.first?["signals"] as? [[String: Any]])?.first?["code"] as? String == "shared_device_group")
            let held = try #require(try await client.send(.get, "/api/v1/commissions?order_id=\(second)").json["data"] as? [[String: Any]])
            #expect(!held.isEmpty && held.allSatisfy { $0["status"] as? String == "held" }, "\(held)")
            // The group succeeds while the case holds its commissions: they are dated like any
            // group commission, so once released the next batch after the freeze settles them.
            let third = try await client.send(.post, "/api/v1/groups/\(group)/join", body: #"{"buyer_id":"stack-3","visitor_id":"group-visitor-0002"}"#)
            #expect(try await client.pay(try #require((third.json["order"] as? [String: Any])?["id"] as? String)).status == .ok)
            #expect(try await client.group(group)["status"] as? String == "succeeded")
            let caseID = try #require(cases.first?["id"] as? String)
            #expect(try await client.send(.post, "/api/v1/risk/cases/\(caseID)/release", body: #"{"reason":"同宿舍同学一起拼的"}"#).status == .ok)
            try await RiskAPITests.settle(client)
            let settled = try #require(try await client.send(.get, "/api/v1/commissions?order_id=\(second)").json["data"] as? [[String: Any]])
            #expect(settled.allSatisfy { $0["status"] as? String == "settled" }, "\(settled)")
            try await client.expectBalanced()
            // A bad device id is refused before anything is placed.
            expectError(try await client.send(.post, "/api/v1/groups/\(group)/join", body: #"{"buyer_id":"stack-4","device_id":"has space"}"#),
                        .unprocessableContent, "validation_failed")
        }
    }
}
