import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

extension TestClientProtocol {
    /// B (under A) sells the 500.00 course through its link; returns the paid order's id.
    func paidOrder(_ world: (product: String, a: String, b: String, visitor: String), buyer: String = "buyer-1", payment: String = "pay-001") async throws -> String {
        let created = try await send(.post, "/api/v1/orders", body: """
            {"buyer_id":"\(buyer)","items":[{"product_id":"\(world.product)","quantity":1}],"visitor_id":"\(world.visitor)"}
            """)
        let order = try #require(created.json["id"] as? String, "\(created.text)")
        let paid = try await send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"\#(payment)"}"#)
        #expect(paid.status == .ok, "\(paid.text)")
        return order
    }

    /// Moves the sandbox clock; due jobs (scheduled settlements among them) run first. Returns the new now.
    @discardableResult
    func advance(seconds: Int64) async throws -> String {
        let response = try await send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":\#(seconds)}"#)
        #expect(response.status == .ok, "\(response.text)")
        return try #require(response.json["now"] as? String)
    }

    func balance(_ promoter: String) async throws -> [String: Int] {
        let json = try await send(.get, "/api/v1/promoters/\(promoter)/balance").json
        return ["pending": json["pending"] as! Int, "available": json["available"] as! Int, "withdrawing": json["withdrawing"] as! Int,
                "withdrawn": json["withdrawn"] as! Int]
    }

    func expectBalanced(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let trial = try await send(.get, "/api/v1/ledger/trial-balance")
        #expect(trial.json["balanced"] as? Bool == true, "\(trial.text)", sourceLocation: sourceLocation)
        // The running balances the trial balance reads say what the journal says, account by account.
        let check = try await send(.post, "/api/v1/ledger/checks")
        #expect(check.status == .created && check.json["consistent"] as? Bool == true, "\(check.text)", sourceLocation: sourceLocation)
        let report = try await send(.get, "/api/v1/reports/reconciliation?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z")
        #expect(report.json["consistent"] as? Bool == true, "\(report.text)", sourceLocation: sourceLocation)
    }
}

@Suite struct SettlementAPITests {
    /// Settlement's flow under the sandbox clock: paid → 7 days → settlement → available → withdraw →
    /// approve → paid → trial balance zero, and the reconciliation report agrees.
    @Test(arguments: TestDatabase.available)
    func paidOrderTravelsToThePromotersCard(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await OrdersAPITests.world(client)
            let order = try await client.paidOrder(world)
            let early = try await client.send(.post, "/api/v1/settlements", body: #"{"period_end":"\#(try await client.advance(seconds: 0))"}"#)
            #expect(early.status == .created && (early.json["lines"] as? [Any])?.isEmpty == true, "frozen commissions are not settled: \(early.text)")

            let now = try await client.advance(seconds: 7 * 86_400)
            let settled = try await client.send(.post, "/api/v1/settlements", body: #"{"period_end":"\#(now)"}"#)
            #expect(settled.status == .created, "\(settled.text)")
            let lines = try #require(settled.json["lines"] as? [[String: Any]])
            let byPromoter = Dictionary(uniqueKeysWithValues: lines.map { ($0["promoter_id"] as! String, $0) })
            #expect(byPromoter[world.b]?["gross"] as? Int == 10_000 && byPromoter[world.b]?["tax"] as? Int == 0 && byPromoter[world.b]?["net"] as? Int == 10_000)
            #expect(byPromoter[world.a]?["net"] as? Int == 2_500)
            // A batch's lines page by promoter: one line a page, then the next, then no cursor.
            let batchID = try #require(settled.json["id"] as? String)
            var paged: [String] = []
            var cursor: String? = nil
            repeat {
                let page = try await client.send(.get, "/api/v1/settlements/\(batchID)?limit=1" + (cursor.map { "&cursor=\($0)" } ?? ""))
                #expect(page.status == .ok && (page.json["lines"] as? [[String: Any]])?.count == 1, "\(page.text)")
                paged += (page.json["lines"] as? [[String: Any]] ?? []).compactMap { $0["promoter_id"] as? String }
                cursor = page.json["lines_next_cursor"] as? String
            } while cursor != nil && paged.count < 5
            #expect(paged.count == 2 && Set(paged) == Set([world.a, world.b]), "\(paged)")
            #expect(try await client.send(.get, "/api/v1/settlements/\(batchID)?limit=1&cursor=").status == .badRequest)
            let again = try await client.send(.post, "/api/v1/settlements", body: #"{"period_end":"\#(now)"}"#)
            #expect(again.status == .ok && again.json["id"] as? String == settled.json["id"] as? String, "\(again.text)")
            #expect(try await client.balance(world.b) == ["pending": 0, "available": 10_000, "withdrawing": 0, "withdrawn": 0])

            let token = try await client.promoterToken(world.b)
            let statements = try await client.send(.get, "/api/v1/promoters/\(world.b)/statements", headers: token)
            let statement = try #require((statements.json["data"] as? [[String: Any]])?.first)
            #expect(statement["net"] as? Int == 10_000)
            let detail = try await client.send(.get, "/api/v1/promoters/\(world.b)/statements/\(statement["settlement_id"] as! String)", headers: token)
            #expect((detail.json["lines"] as? [[String: Any]])?.map { $0["order_id"] as? String } == [order], "\(detail.text)")
            expectError(try await client.send(.get, "/api/v1/promoters/\(world.a)/statements", headers: token), .forbidden, "forbidden")

            let requested = try await client.send(.post, "/api/v1/withdrawals", headers: token,
                                                  body: #"{"promoter_id":"\#(world.b)","amount":10000,"channel":"alipay","account":"138****5678"}"#)
            #expect(requested.status == .created && requested.json["status"] as? String == "requested" && requested.json["fee"] as? Int == 0, "\(requested.text)")
            #expect(try await client.balance(world.b) == ["pending": 0, "available": 0, "withdrawing": 10_000, "withdrawn": 0])
            let id = try #require(requested.json["id"] as? String)
            expectError(try await client.send(.post, "/api/v1/withdrawals/\(id)/approve", headers: token), .forbidden, "forbidden")
            let approved = try await client.send(.post, "/api/v1/withdrawals/\(id)/approve")
            #expect(approved.json["status"] as? String == "paid" && approved.json["provider"] as? String == "sandbox", "\(approved.text)")
            let twice = try await client.send(.post, "/api/v1/withdrawals/\(id)/approve")
            #expect(twice.status == .ok && twice.json["provider_reference"] as? String == approved.json["provider_reference"] as? String)
            #expect(try await client.balance(world.b) == ["pending": 0, "available": 0, "withdrawing": 0, "withdrawn": 10_000])
            let commissions = try await client.send(.get, "/api/v1/commissions?promoter_id=\(world.b)")
            #expect((commissions.json["data"] as? [[String: Any]])?.map { $0["status"] as? String } == ["withdrawn"])
            try await client.expectBalanced()

            let report = try await client.send(.get, "/api/v1/reports/reconciliation?from=2000-01-01&to=2100-01-01")
            #expect(report.json["revenue"] as? Int == 50_000 && report.json["payouts"] as? Int == 10_000, "\(report.text)")
            let csv = try await client.send(.get, "/api/v1/exports/withdrawals.csv?from=2000-01-01&to=2100-01-01")
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.text.hasPrefix("\u{FEFF}withdrawal_id,") && csv.text.contains(id) && csv.text.contains("\r\n"))
            for name in ["commissions", "settlements", "statements"] {
                let export = try await client.send(.get, "/api/v1/exports/\(name).csv?from=2000-01-01&to=2100-01-01")
                #expect(export.status == .ok && export.text.split(separator: "\r\n").count >= 2, "\(name): \(export.text)")
            }
        }
    }

    /// 100 concurrent requests against one balance of 1,000.00, 150.00 each: six are accepted.
    @Test(arguments: TestDatabase.available)
    func concurrentWithdrawalsNeverOverdraw(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let promoter = try await client.createPromoter("P")["id"] as! String
            let adjusted = try await client.send(.post, "/api/v1/adjustments", body: #"{"promoter_id":"\#(promoter)","amount":100000,"reason":"opening balance"}"#)
            #expect(adjusted.status == .created, "\(adjusted.text)")
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        try await client.send(.post, "/api/v1/withdrawals", body: #"{"promoter_id":"\#(promoter)","amount":15000,"channel":"bank"}"#).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 6)
            #expect(statuses.filter { $0 == .conflict }.count == 94)
            #expect(try await client.balance(promoter)["available"] == 10_000)
            #expect(try await client.balance(promoter)["withdrawing"] == 90_000)
            try await client.expectBalanced()
        }
    }

    /// Refund after settlement → clawback → negative available → withdrawals refused with 409.
    @Test(arguments: TestDatabase.available)
    func clawbackBlocksWithdrawals(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await OrdersAPITests.world(client)
            let order = try await client.paidOrder(world)
            let now = try await client.advance(seconds: 8 * 86_400)
            _ = try await client.send(.post, "/api/v1/settlements", body: #"{"period_end":"\#(now)"}"#)
            let withdrawal = try await client.send(.post, "/api/v1/withdrawals", body: #"{"promoter_id":"\#(world.b)","amount":10000,"channel":"wallet"}"#)
            _ = try await client.send(.post, "/api/v1/withdrawals/\(withdrawal.json["id"] as! String)/approve")

            let refund = try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":50000,"reason":"不想学了"}"#)
            #expect(refund.status == .created, "\(refund.text)")
            #expect(try await client.balance(world.b)["available"] == -10_000)
            let events = try await client.send(.get, "/api/v1/events?limit=100").text
            #expect(events.contains("commission.clawed_back"))
            let refused = try await client.send(.post, "/api/v1/withdrawals", body: #"{"promoter_id":"\#(world.b)","amount":10000,"channel":"wallet"}"#)
            expectError(refused, .conflict, "insufficient_balance")
            let message = (refused.json["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains("negative"))
            try await client.expectBalanced()
        }
    }

    /// Failed payouts return the money; rejections carry a reason; every wrong move is refused and changes nothing.
    @Test(arguments: TestDatabase.available)
    func failedRejectedAndRefusedWithdrawals(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let promoter = try await client.createPromoter("P")["id"] as! String
            let other = try await client.createPromoter("Q")["id"] as! String
            _ = try await client.send(.post, "/api/v1/adjustments", body: #"{"promoter_id":"\#(promoter)","amount":50000,"reason":"opening balance"}"#)
            let token = try await client.promoterToken(promoter)

            expectError(try await client.send(.post, "/api/v1/withdrawals", headers: token, body: #"{"promoter_id":"\#(other)","amount":10000,"channel":"bank"}"#),
                        .forbidden, "forbidden")
            expectError(try await client.send(.post, "/api/v1/withdrawals", body: #"{"promoter_id":"\#(promoter)","amount":9999,"channel":"bank"}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/withdrawals", body: #"{"promoter_id":"\#(promoter)","amount":10000,"channel":"paypal"}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/withdrawals", body: #"{"promoter_id":"\#(promoter)","amount":"many","channel":"bank"}"#),
                        .badRequest, "invalid_request")
            expectError(try await client.send(.post, "/api/v1/withdrawals", body: #"{"promoter_id":"nobody","amount":10000,"channel":"bank"}"#),
                        .notFound, "not_found")
            expectError(try await client.send(.post, "/api/v1/withdrawals", body: #"{"promoter_id":"\#(promoter)","amount":60000,"channel":"bank"}"#),
                        .conflict, "insufficient_balance")

            _ = try await client.send(.post, "/api/v1/sandbox/payouts", body: #"{"fail":true,"reason":"银行卡信息有误"}"#)
            let first = try await client.send(.post, "/api/v1/withdrawals", headers: token, body: #"{"promoter_id":"\#(promoter)","amount":20000,"channel":"bank"}"#)
            let failed = try await client.send(.post, "/api/v1/withdrawals/\(first.json["id"] as! String)/approve")
            #expect(failed.json["status"] as? String == "failed" && failed.json["reason"] as? String == "银行卡信息有误", "\(failed.text)")
            #expect(try await client.balance(promoter)["available"] == 50_000)
            _ = try await client.send(.post, "/api/v1/sandbox/payouts", body: #"{"fail":false}"#)

            let second = try await client.send(.post, "/api/v1/withdrawals", headers: token, body: #"{"promoter_id":"\#(promoter)","amount":20000,"channel":"bank"}"#)
            let secondID = try #require(second.json["id"] as? String)
            expectError(try await client.send(.post, "/api/v1/withdrawals/\(secondID)/reject", body: #"{"reason":"  "}"#), .unprocessableContent, "validation_failed")
            let rejected = try await client.send(.post, "/api/v1/withdrawals/\(secondID)/reject", body: #"{"reason":"账户未实名"}"#)
            #expect(rejected.json["status"] as? String == "rejected" && rejected.json["reason"] as? String == "账户未实名", "\(rejected.text)")
            #expect(try await client.send(.post, "/api/v1/withdrawals/\(secondID)/reject", body: #"{"reason":"账户未实名"}"#).status == .ok)
            expectError(try await client.send(.post, "/api/v1/withdrawals/\(secondID)/approve"), .conflict, "withdrawal_rejected")
            expectError(try await client.send(.post, "/api/v1/withdrawals/\(first.json["id"] as! String)/reject", body: #"{"reason":"x"}"#),
                        .conflict, "withdrawal_not_pending")
            expectError(try await client.send(.post, "/api/v1/withdrawals/wdr_nothing/approve"), .notFound, "not_found")
            #expect(try await client.balance(promoter) == ["pending": 0, "available": 50_000, "withdrawing": 0, "withdrawn": 0])

            let mine = try await client.send(.get, "/api/v1/withdrawals", headers: token)
            #expect((mine.json["data"] as? [[String: Any]])?.map { $0["status"] as? String } == ["rejected", "failed"])
            let others = try await client.promoterToken(other)
            expectError(try await client.send(.get, "/api/v1/withdrawals/\(secondID)", headers: others), .forbidden, "forbidden")
            #expect((try await client.send(.get, "/api/v1/withdrawals", headers: others).json["data"] as? [Any])?.isEmpty == true)
            try await client.expectBalanced()
        }
    }

    /// Tax per docs/rules.md §6 on the statement: 1,000.00 gross → 200.00 taxable → 40.00 withheld.
    @Test(arguments: TestDatabase.available)
    func labourTaxIsWithheldOnTheStatement(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            var settings = try await client.send(.get, "/api/v1/program").text
            settings = settings.replacingOccurrences(of: #""tax_mode":"none""#, with: #""tax_mode":"prc_labor""#)
            #expect(try await client.send(.put, "/api/v1/program", body: settings).status == .ok)
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"私教年卡","price":500000}"#).json["id"] as! String
            let promoter = try await client.createPromoter("B")["id"] as! String
            let code = try await client.createLink(promoter: promoter, product: product).json["code"] as! String
            _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"visitor-0000000009"}"#)
            _ = try await client.paidOrder((product, "", promoter, "visitor-0000000009"))
            let now = try await client.advance(seconds: 7 * 86_400)
            let batch = try await client.send(.post, "/api/v1/settlements", body: #"{"period_end":"\#(now)"}"#)
            #expect(batch.json["tax_mode"] as? String == "prc_labor" && batch.json["tax"] as? Int == 4_000, "\(batch.text)")
            let line = try #require((batch.json["lines"] as? [[String: Any]])?.first)
            #expect(line["gross"] as? Int == 100_000 && line["tax"] as? Int == 4_000 && line["net"] as? Int == 96_000)
            #expect(try await client.balance(promoter)["available"] == 96_000)
            let trial = try await client.send(.get, "/api/v1/ledger/trial-balance")
            #expect((trial.json["accounts"] as? [[String: Any]])?.contains { $0["account"] as? String == "tax:withheld" && $0["balance"] as? Int == -4_000 } == true)
            try await client.expectBalanced()
        }
    }

    /// The scheduled job settles each week at Monday 00:00 in the program's zone.
    @Test(arguments: TestDatabase.available)
    func scheduledBatchesSettleWeekly(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await OrdersAPITests.world(client)
            _ = try await client.paidOrder(world)
            try await client.advance(seconds: 15 * 86_400)
            let batches = try #require(try await client.send(.get, "/api/v1/settlements").json["data"] as? [[String: Any]])
            // 15 days hold two or three Mondays; the commission frozen for 7 days settles in one of them.
            #expect(batches.count >= 2 && batches.allSatisfy { $0["trigger"] as? String == "scheduled" }, "\(batches)")
            #expect(batches.reduce(0) { $0 + ($1["gross"] as! Int) } == 12_500)
            for batch in batches {
                let end = try #require(Instant(rfc3339: batch["period_end"] as! String))
                #expect(try SettlementPeriod.nextBoundary(after: end.adding(milliseconds: -1), cycle: .weekly, timeZone: "Asia/Shanghai") == end)
            }
            #expect(try await client.balance(world.b)["available"] == 10_000)
            expectError(try await client.send(.post, "/api/v1/settlements", body: #"{"period_end":"2100-01-01T00:00:00Z"}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/settlements", body: #"{"period_end":"yesterday"}"#), .unprocessableContent, "validation_failed")
        }
    }

    /// A retroactive ladder: 10 % from the first order, 20 % from the third. Three 100.00 orders
    /// earn 10 + 10 + 20 at payment; at month close all are owed 20 %, so 20.00 is added.
    @Test(arguments: TestDatabase.available)
    func retroactiveTiersAreAdjustedAtMonthClose(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let nextMonth = try SettlementPeriod.nextMonth(after: tuike.clock.now(), timeZone: "Asia/Shanghai")
            try await client.advance(seconds: (nextMonth.milliseconds - tuike.clock.now().milliseconds) / 1000 + 3_600)
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"小班课","price":10000}"#).json["id"] as! String
            let rule = #"{"type":"percent","levels":[1000],"tiers":[{"from":1,"rate":1000},{"from":3,"rate":2000}],"tier_mode":"retroactive"}"#
            #expect(try await client.send(.put, "/api/v1/products/\(product)/commission", body: rule).status == .ok)
            let promoter = try await client.createPromoter("B")["id"] as! String
            let code = try await client.createLink(promoter: promoter, product: product).json["code"] as! String
            for index in 1...3 {
                let visitor = "visitor-000000000\(index)"
                _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"\#(visitor)"}"#)
                _ = try await client.paidOrder((product, "", promoter, visitor), buyer: "buyer-\(index)", payment: "pay-\(index)")
            }
            let earned = try await client.send(.get, "/api/v1/commissions?promoter_id=\(promoter)").json["data"] as! [[String: Any]]
            #expect(earned.map { $0["amount"] as! Int }.sorted() == [1_000, 1_000, 2_000])

            try await client.advance(seconds: 40 * 86_400)
            let all = try await client.send(.get, "/api/v1/commissions?promoter_id=\(promoter)").json["data"] as! [[String: Any]]
            let adjustment = try #require(all.first { $0["kind"] as? String == "tier_adjustment" }, "\(all)")
            #expect(adjustment["amount"] as? Int == 2_000 && adjustment["status"] as? String == "settled", "\(all)")
            #expect(try await client.balance(promoter)["available"] == 6_000)
            try await client.expectBalanced()
        }
    }

    /// Appeals: a promoter disputes its own commission once; an admin answers with an adjustment.
    @Test(arguments: TestDatabase.available)
    func appealsAreAnsweredWithAdjustments(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await OrdersAPITests.world(client)
            let order = try await client.paidOrder(world)
            let commissions = try await client.send(.get, "/api/v1/commissions?order_id=\(order)").json["data"] as! [[String: Any]]
            let own = try #require(commissions.first { $0["promoter_id"] as? String == world.b }?["id"] as? String)
            let upline = try #require(commissions.first { $0["promoter_id"] as? String == world.a }?["id"] as? String)
            let token = try await client.promoterToken(world.b)

            expectError(try await client.send(.post, "/api/v1/appeals", headers: token, body: #"{"commission_id":"\#(upline)","message":"?"}"#),
                        .forbidden, "forbidden")
            expectError(try await client.send(.post, "/api/v1/appeals", headers: token, body: #"{"commission_id":"com_nothing","message":"?"}"#),
                        .notFound, "not_found")
            expectError(try await client.send(.post, "/api/v1/appeals", headers: token, body: #"{"commission_id":"\#(own)","message":" "}"#),
                        .unprocessableContent, "validation_failed")
            let appeal = try await client.send(.post, "/api/v1/appeals", headers: token, body: #"{"commission_id":"\#(own)","message":"佣金比例应为 25%"}"#)
            #expect(appeal.status == .created && appeal.json["status"] as? String == "open", "\(appeal.text)")
            expectError(try await client.send(.post, "/api/v1/appeals", headers: token, body: #"{"commission_id":"\#(own)","message":"again"}"#),
                        .conflict, "appeal_open")
            let id = try #require(appeal.json["id"] as? String)
            expectError(try await client.send(.post, "/api/v1/appeals/\(id)/answer", headers: token, body: #"{"answer":"ok"}"#), .forbidden, "forbidden")
            // Int64's ends are refused, not trapped on (abs(Int64.min) ended the process).
            for extreme in [Int64.min, Int64.max] {
                expectError(try await client.send(.post, "/api/v1/appeals/\(id)/answer", body: #"{"answer":"x","adjustment":\#(extreme)}"#),
                            .unprocessableContent, "validation_failed")
            }
            let answered = try await client.send(.post, "/api/v1/appeals/\(id)/answer", body: #"{"answer":"核实后补发 25.00","adjustment":2500}"#)
            #expect(answered.json["status"] as? String == "answered" && answered.json["adjustment_id"] as? String != nil, "\(answered.text)")
            expectError(try await client.send(.post, "/api/v1/appeals/\(id)/answer", body: #"{"answer":"again"}"#), .conflict, "appeal_answered")
            #expect(try await client.balance(world.b)["available"] == 2_500)
            let adjustments = try await client.send(.get, "/api/v1/adjustments", headers: token).json["data"] as! [[String: Any]]
            #expect(adjustments.count == 1 && adjustments[0]["amount"] as? Int == 2_500 && (adjustments[0]["admin"] as? String)?.hasPrefix("admin:") == true)
            #expect((try await client.send(.get, "/api/v1/appeals", headers: token).json["data"] as? [Any])?.count == 1)
            let otherToken = try await client.promoterToken(world.a)
            #expect((try await client.send(.get, "/api/v1/appeals", headers: otherToken).json["data"] as? [Any])?.isEmpty == true)
            expectError(try await client.send(.get, "/api/v1/appeals/\(id)", headers: otherToken), .forbidden, "forbidden")
            try await client.expectBalanced()
        }
    }
}
