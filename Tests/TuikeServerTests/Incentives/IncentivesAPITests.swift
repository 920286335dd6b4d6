import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

@Suite struct IncentivesAPITests {
    /// A weekly badge (two own paid orders) around Monday 00:00 in Asia/Shanghai: B sells two
    /// on Sunday night and earns it with its bonus; D sells two but one is refunded in full
    /// before the refund window closes, and does not; C sells one each side of midnight, and
    /// does not; A's only figures are B's sales as its upline, which never count. The badge shows
    /// until the next week's award; points follow the orders, a refunded one's go with it.
    @Test(arguments: TestDatabase.available)
    func aWeeklyBadgeAtItsBoundariesAndRefunds(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, app async throws in
            let world = try await OrdersAPITests.world(client)
            let c = try await client.createPromoter("C")["id"] as! String
            let d = try await client.createPromoter("D")["id"] as! String
            let e = try await client.createPromoter("E", phone: "13922226666")["id"] as! String
            #expect(try await client.send(.put, "/api/v1/promoters/\(e)/password", body: #"{"password":"secret-123"}"#).status == .noContent)
            let code = { (promoter: String) async throws -> String in
                try #require(try await client.createLink(promoter: promoter, product: world.product).json["code"] as? String)
            }
            let (codeB, codeC, codeD, codeE) = (try await code(world.b), try await code(c), try await code(d), try await code(e))
            let created = try await client.send(.post, "/api/v1/badges", body: """
                {"name":"周冠军","metric":"paid_orders","period":"week","threshold":2,"bonus":5000,"perk":"专属海报模板",
                 "coupon":{"type":"percent","value":1000,"usage_limit":50}}
                """)
            #expect(created.status == .created, "\(created.text)")
            let reward = try #require(created.json["coupon"] as? [String: Any], "\(created.text)")
            #expect(reward["type"] as? String == "percent" && reward["value"] as? Int == 1000 && reward["usage_limit"] as? Int == 50
                && reward["min_amount"] as? Int == 0)
            let badge = try #require(created.json["id"] as? String)
            #expect(try await client.send(.post, "/api/v1/points-rules", body: #"{"product_id":"\#(world.product)","points":10}"#).status == .created)
            // The badge's perk: a poster and a text for its holders only.
            let exclusive = try await client.send(.post, "/api/v1/poster-templates", body: """
                {"id":"champion","name":"冠军海报","layout":"portrait","badge_id":"\(badge)"}
                """)
            #expect(exclusive.status == .created && exclusive.json["badge_id"] as? String == badge, "\(exclusive.text)")
            let text = try await client.send(.post, "/api/v1/copy-templates", body: #"{"text":"冠军推荐：{title}","badge_id":"\#(badge)"}"#)
            #expect(text.status == .created && text.json["badge_id"] as? String == badge, "\(text.text)")
            let textID = try #require(text.json["id"] as? String)
            expectError(try await client.send(.post, "/api/v1/copy-templates", body: #"{"text":"x","badge_id":"bdg_nope"}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.patch, "/api/v1/poster-templates/champion", body: #"{"badge_id":"bdg_nope"}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.patch, "/api/v1/poster-templates/champion", body: #"{"badge_id":7}"#), .badRequest, "invalid_request")
            /// Whether a promoter's material center offers the exclusive poster and text, and
            /// whether its poster is drawn for that promoter's link.
            func offered(_ promoter: String, code: String) async throws -> (poster: Bool, text: Bool, drawn: Bool, shared: Bool) {
                let data = try #require(try await client.send(.get, "/api/v1/promoters/\(promoter)/materials").json["data"] as? [[String: Any]])
                let product = try #require(data.first { $0["product_id"] as? String == world.product })
                let posters = (product["posters"] as? [[String: Any]] ?? []).compactMap { $0["template_id"] as? String }
                let texts = (product["texts"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                let drawn = try await client.send(.get, "/api/v1/links/\(code)/poster.png?template=champion", headers: [:]).status == .ok
                let share = try await client.send(.post, "/api/v1/promoters/\(promoter)/materials/shares",
                                                  body: #"{"product_id":"\#(world.product)","item":"p.champion"}"#)
                return (posters.contains("champion"), texts.contains(textID), drawn, share.status == .ok)
            }
            #expect(try await offered(world.b, code: codeB) == (false, false, false, false))

            let monday = try CalendarPeriod.week.bounds(at: try await LeaderboardAPITests.now(client), timeZone: "Asia/Shanghai").end
            try await LeaderboardAPITests.move(client, to: monday, plus: -300)
            var n = 0
            func sell(_ code: String) async throws -> String {
                n += 1
                return try await LeaderboardAPITests.sell(client, product: world.product, code: code, n: 100 + n)
            }
            for code in [codeB, codeB, codeE, codeE, codeE] { _ = try await sell(code) }
            let refunded = try await sell(codeD)
            _ = try await sell(codeD)
            _ = try await sell(codeC)
            try await LeaderboardAPITests.move(client, to: monday, plus: 5)
            _ = try await sell(codeC)

            func incentives(_ promoter: String) async throws -> [String: Any] {
                let response = try await client.send(.get, "/api/v1/promoters/\(promoter)/incentives")
                #expect(response.status == .ok, "\(response.text)")
                return response.json
            }
            // The new week has begun: C has one in it so far.
            let progressC = try #require((try await incentives(c))["progress"] as? [[String: Any]]).first
            #expect(progressC?["value"] as? Int == 1 && progressC?["reached"] as? Bool == false && progressC?["from"] as? String == monday.rfc3339)
            #expect(try await incentives(world.b)["points"] as? Int == 20)

            // D's first order refunded in full inside the refund window: it no longer counts.
            #expect(try await client.send(.post, "/api/v1/orders/\(refunded)/refunds", body: #"{"amount":50000,"refund_id":"badge-rf"}"#).status == .created)
            #expect(try await incentives(d)["points"] as? Int == 10)
            // Seven days after the week ended (freeze_days): awarded, once, however many
            // instances award at the same moment.
            try await LeaderboardAPITests.move(client, to: monday, plus: 7 * 86_400 - 60)
            #expect((try await incentives(world.b)["badges"] as? [Any])?.isEmpty == true)
            let settings = try await ProgramRepository(database: app.database).current(), due = monday.adding(seconds: 7 * 86_400)
            let counts = try await OrdersAPITests.atOnce(40) { _ in try await BadgeRepository(database: app.database).awardDue(settings: settings, now: due) }
            #expect(counts.reduce(0, +) == 2, "\(counts)")
            try await LeaderboardAPITests.move(client, to: monday, plus: 7 * 86_400 + 1)
            let b = try await incentives(world.b)
            let awarded = try #require((b["badges"] as? [[String: Any]])?.first, "\(b)")
            #expect(awarded["badge_id"] as? String == badge && awarded["value"] as? Int == 2 && awarded["perk"] as? String == "专属海报模板")
            #expect(awarded["period_end"] as? String == monday.rfc3339)
            let bonus = try #require(try await client.send(.get, "/api/v1/adjustments?promoter_id=\(world.b)").json["data"] as? [[String: Any]])
            #expect(bonus.count == 1 && bonus.first?["amount"] as? Int == 5000 && bonus.first?["reason"] as? String == "badge 周冠军", "\(bonus)")
            // Each winner's coupon, once however many instances awarded: its own, valid while the
            // badge shows; an order that uses it is B's and 10 % off.
            let couponB = try #require(awarded["coupon_code"] as? String, "\(awarded)")
            let couponE = try #require(((try await incentives(e))["badges"] as? [[String: Any]])?.first?["coupon_code"] as? String)
            let coupons = try #require(try await client.send(.get, "/api/v1/coupons").json["data"] as? [[String: Any]])
            #expect(couponB.hasPrefix("BG") && couponB != couponE && coupons.count == 2, "\(coupons)")
            let given = try #require(coupons.first { $0["code"] as? String == couponB })
            #expect(given["promoter_id"] as? String == world.b && given["usage_limit"] as? Int == 50 && given["type"] as? String == "percent", "\(given)")
            #expect(given["ends_at"] as? String == awarded["expires_at"] as? String && given["starts_at"] as? String == awarded["awarded_at"] as? String)
            let discounted = try await client.send(.post, "/api/v1/orders", body: """
                {"buyer_id":"badge-coupon-buyer","items":[{"product_id":"\(world.product)","quantity":1}],"coupon":"\(couponB.lowercased())"}
                """)
            #expect(discounted.json["amount"] as? Int == 45_000 && discounted.json["promoter_id"] as? String == world.b, "\(discounted.text)")
            // E's portal: the badge with its perk and coupon, its points, its place on this month's board.
            let portal = try await ConsoleBrowser.portal(client, phone: "13922226666", password: "secret-123").get("/me")
            #expect(portal.text.contains("🏅 周冠军") && portal.text.contains("专属海报模板") && portal.text.contains("<b data-points>30</b>"), "\(portal.text)")
            #expect(portal.text.contains("<code>\(couponE)</code>"), "\(portal.text)")
            // (Its rank shows when this month has its sales: the week may have begun last month.)
            #expect(portal.text.contains("data-incentives"))
            for other in [c, d, world.a] { #expect((try await incentives(other)["badges"] as? [Any])?.isEmpty == true, "\(other)") }
            try await client.expectBalanced()
            #expect(try await offered(world.b, code: codeB) == (true, true, true, true))
            #expect(try await offered(c, code: codeC) == (false, false, false, false))

            // Shown until the next week's award (B sold nothing that week), then gone; archiving
            // stops the awards.
            try await client.advance(seconds: 7 * 86_400)
            #expect((try await incentives(world.b)["badges"] as? [Any])?.isEmpty == true)
            #expect(try await offered(world.b, code: codeB) == (false, false, false, false))
            #expect(try await client.send(.delete, "/api/v1/badges/\(badge)").status == .noContent)
            #expect((try await incentives(world.b)["progress"] as? [Any])?.isEmpty == true)
            #expect((try await client.send(.get, "/api/v1/badges").json["data"] as? [[String: Any]])?.first?["active"] as? Bool == false)

            // A promoter sees its own only; bad rules are refused.
            let token = try await client.promoterToken(c)
            #expect(try await client.send(.get, "/api/v1/promoters/\(c)/incentives", headers: token).status == .ok)
            expectError(try await client.send(.get, "/api/v1/promoters/\(d)/incentives", headers: token), .forbidden, "forbidden")
            expectError(try await client.send(.get, "/api/v1/promoters/prm_nope/incentives"), .notFound, "not_found")
            for body in [#"{"name":"x","metric":"clicks","period":"week","threshold":1}"#, #"{"name":"x","metric":"gmv","period":"year","threshold":1}"#,
                         #"{"name":"x","metric":"gmv","period":"week","threshold":0}"#, #"{"name":" ","metric":"gmv","period":"week","threshold":5}"#,
                         #"{"name":"x","metric":"paid_orders","period":"week","threshold":1000001}"#,
                         #"{"name":"x","metric":"gmv","period":"week","threshold":5,"bonus":1000001}"#,
                         #"{"name":"x","metric":"gmv","period":"week","threshold":5,"valid_days":-1}"#,
                         #"{"name":"x","metric":"gmv","period":"week","threshold":5,"coupon":{"type":"percent","value":20000}}"#,
                         #"{"name":"x","metric":"gmv","period":"week","threshold":5,"coupon":{"type":"free","value":100}}"#,
                         #"{"name":"x","metric":"gmv","period":"week","threshold":5,"coupon":{"type":"fixed","value":100,"usage_limit":0}}"#] {
                expectError(try await client.send(.post, "/api/v1/badges", body: body), .unprocessableContent, "validation_failed")
            }
            expectError(try await client.send(.post, "/api/v1/badges", body: #"{"name":"x","metric":"gmv","period":"week","threshold":"5"}"#),
                        .badRequest, "invalid_request")
            expectError(try await client.send(.post, "/api/v1/points-rules", body: #"{"points":0}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/points-rules", body: #"{"points":5,"product_id":"prd_nope"}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.delete, "/api/v1/badges/bdg_nope"), .notFound, "not_found")
            expectError(try await client.send(.post, "/api/v1/badges", headers: token, body: #"{"name":"x","metric":"gmv","period":"week","threshold":5}"#),
                        .forbidden, "forbidden")
        }
    }
}
