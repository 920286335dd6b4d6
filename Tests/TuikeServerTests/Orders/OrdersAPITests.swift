import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

@Suite struct OrdersAPITests {
    /// A 500.00 course, promoter B under A, B's link clicked by a visitor.
    static func world(_ client: any TestClientProtocol) async throws -> (product: String, a: String, b: String, visitor: String) {
        let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"考研数学全程班","price":50000}"#).json["id"] as! String
        let a = try await client.createPromoter("A")["id"] as! String
        let b = try await client.createPromoter("B", parent: a)["id"] as! String
        let code = try await client.createLink(promoter: b, product: product).json["code"] as! String
        let visitor = "visitor-0000000001"
        let click = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"\#(visitor)"}"#)
        #expect(click.status == .created)
        return (product, a, b, visitor)
    }

    /// buyer-1's order of one `product`, attributed through `visitor`; its id.
    static func placeOrder(_ client: any TestClientProtocol, product: String, visitor: String) async throws -> String {
        try await client.send(.post, "/api/v1/orders",
                              body: #"{"buyer_id":"buyer-1","items":[{"product_id":"\#(product)","quantity":1}],"visitor_id":"\#(visitor)"}"#).json["id"] as! String
    }

    /// How many rows `rows` (a table, optionally with a WHERE) has.
    static func count(_ rows: SQLQueryString, in database: any Database) async throws -> Int64 {
        try await database.read { db in try await db.first("SELECT COUNT(*) AS n FROM \(rows)")!.decode(column: "n", as: Int64.self) }
    }

    /// Runs `send(0)` … `send(times - 1)` at once; their results in the order they finished.
    static func atOnce<T: Sendable>(_ times: Int, _ send: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
        try await withThrowingTaskGroup(of: T.self) { group in
            for n in 0..<times { group.addTask { try await send(n) } }
            return try await group.reduce(into: [T]()) { $0.append($1) }
        }
    }

    /// The order flow up to payment: click → order → paid → 10000 / 2500 pending → trial balance zero.
    @Test(arguments: TestDatabase.available)
    func clickOrderPayCommissions(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let (product, a, b, visitor) = try await Self.world(client)
            let created = try await client.send(.post, "/api/v1/orders",
                                                body: #"{"buyer_id":"buyer-1","items":[{"product_id":"\#(product)","quantity":1}],"visitor_id":"\#(visitor)"}"#)
            #expect(created.status == .created, "\(created.text)")
            #expect(created.json["status"] as? String == "pending_payment")
            #expect(created.json["amount"] as? Int == 50_000)
            #expect(created.json["promoter_id"] as? String == b)
            let attribution = try #require(created.json["attribution"] as? [String: Any])
            #expect(attribution["rule"] as? String == "first_click" && attribution["level_two"] as? String == a)
            let order = try #require(created.json["id"] as? String)
            // The new order's view is built without reading payments and refunds back: it must
            // be exactly what a read shows.
            #expect(created.text == (try await client.send(.get, "/api/v1/orders/\(order)")).text)

            let paid = try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"pay-001"}"#)
            #expect(paid.status == .ok, "\(paid.text)")
            #expect(paid.json["status"] as? String == "paid")
            #expect((paid.json["payments"] as? [[String: Any]])?.first?["payment_id"] as? String == "pay-001")
            // Likewise the payment just recorded, and the same payment reported again.
            #expect(paid.text == (try await client.send(.get, "/api/v1/orders/\(order)")).text)
            #expect(paid.text == (try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"pay-001"}"#)).text)

            let commissions = try await client.send(.get, "/api/v1/commissions?order_id=\(order)")
            let rows = try #require(commissions.json["data"] as? [[String: Any]])
            let byPromoter = Dictionary(uniqueKeysWithValues: rows.map { ($0["promoter_id"] as! String, $0) })
            #expect(byPromoter[b]?["amount"] as? Int == 10_000 && byPromoter[b]?["level"] as? Int == 1 && byPromoter[b]?["status"] as? String == "pending")
            #expect(byPromoter[a]?["amount"] as? Int == 2_500 && byPromoter[a]?["level"] as? Int == 2)

            let balance = try await client.send(.get, "/api/v1/promoters/\(b)/balance")
            #expect(balance.json["pending"] as? Int == 10_000 && balance.json["available"] as? Int == 0)
            let trial = try await client.send(.get, "/api/v1/ledger/trial-balance")
            #expect(trial.json["balanced"] as? Bool == true && trial.json["total"] as? Int == 0)
            // Promoters' accounts are summed per kind, and listed one by one on request.
            let pending = (trial.json["accounts"] as? [[String: Any]])?.first { $0["account"] as? String == "promoter:*:pending" }
            #expect(pending?["balance"] as? Int ?? 0 < -10_000, "\(trial.text)")
            let detailed = try await client.send(.get, "/api/v1/ledger/trial-balance?detail=promoters")
            #expect((detailed.json["accounts"] as? [[String: Any]])?.contains { $0["account"] as? String == "promoter:\(b):pending" && $0["balance"] as? Int == -10_000 } == true)
            #expect(detailed.json["total"] as? Int == 0)
            expectError(try await client.send(.get, "/api/v1/ledger/trial-balance?detail=everything"), .unprocessableContent, "validation_failed")

            let access = try await client.send(.get, "/api/v1/buyers/buyer-1/entitlements")
            #expect((access.json["data"] as? [[String: Any]])?.first?["product_id"] as? String == product)

            let tomorrow = tuike.clock.now().adding(seconds: 86_400).rfc3339
            #expect((try await client.send(.get, "/api/v1/commissions?from=\(tomorrow)").json["data"] as? [Any])?.isEmpty == true)
            #expect((try await client.send(.get, "/api/v1/commissions?to=\(tomorrow)").json["data"] as? [Any])?.count == 2)
            expectError(try await client.send(.get, "/api/v1/commissions?from=yesterday"), .unprocessableContent, "validation_failed")

            // The promoter sees its own commissions only.
            let token = try await client.promoterToken(b)
            let own = try await client.send(.get, "/api/v1/commissions", headers: token)
            #expect((own.json["data"] as? [[String: Any]])?.allSatisfy { $0["promoter_id"] as? String == b } == true)
            expectError(try await client.send(.get, "/api/v1/commissions?promoter_id=\(a)", headers: token), .forbidden, "forbidden")
            expectError(try await client.send(.get, "/api/v1/promoters/\(a)/balance", headers: token), .forbidden, "forbidden")
        }
    }

    /// The same payment reported 50 times at once: one payment, one set of commissions.
    @Test(arguments: TestDatabase.available)
    func concurrentPaymentCallbacksBookOnce(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let (product, _, _, visitor) = try await Self.world(client)
            let order = try await Self.placeOrder(client, product: product, visitor: visitor)
            let statuses = try await Self.atOnce(50) { _ in
                try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"pay-race"}"#).status
            }
            #expect(statuses.allSatisfy { $0 == .ok })
            let counts = try await tuike.database.read { db in
                try await db.first("SELECT (SELECT COUNT(*) FROM payments) AS p, (SELECT COUNT(*) FROM commissions) AS c, (SELECT COUNT(*) FROM journal_entries) AS j")!
            }
            #expect(try counts.decode(column: "p", as: Int64.self) == 1)
            #expect(try counts.decode(column: "c", as: Int64.self) == 2)
            #expect(try counts.decode(column: "j", as: Int64.self) == 2)
            expectError(try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"pay-other"}"#), .conflict, "already_paid")

            // 50 different payments of one new order at once: one is taken, the others are 409,
            // and a payment_id already used cannot pay another order.
            let second = try await client.send(.post, "/api/v1/orders",
                                               body: #"{"buyer_id":"buyer-2","items":[{"product_id":"\#(product)","quantity":1}]}"#).json["id"] as! String
            expectError(try await client.send(.post, "/api/v1/orders/\(second)/paid", body: #"{"payment_id":"pay-race"}"#), .conflict, "payment_id_used")
            let outcomes = try await Self.atOnce(50) { n in
                try await client.send(.post, "/api/v1/orders/\(second)/paid", body: #"{"payment_id":"pay-\#(n)"}"#).status
            }
            #expect(outcomes.filter { $0 == .ok }.count == 1 && outcomes.filter { $0 == .conflict }.count == 49)
            #expect(try await Self.count("payments WHERE order_id = \(bind: second)", in: tuike.database) == 1)

            // One new payment_id sent for 20 different orders at once: one order takes it, the
            // others are told it is used (on PostgreSQL the losers meet the unique key).
            var pending: [String] = []
            for n in 0..<20 {
                pending.append(try await client.send(.post, "/api/v1/orders",
                                                     body: #"{"buyer_id":"buyer-r\#(n)","items":[{"product_id":"\#(product)","quantity":1}]}"#).json["id"] as! String)
            }
            let orders = pending
            let shared = try await Self.atOnce(orders.count) { n in
                let response = try await client.send(.post, "/api/v1/orders/\(orders[n])/paid", body: #"{"payment_id":"pay-shared"}"#)
                return (response.status, response.errorCode)
            }
            #expect(shared.filter { $0.0 == .ok }.count == 1)
            #expect(shared.filter { $0.0 == .conflict && $0.1 == "payment_id_used" }.count == 19, "\(shared)")
            #expect(try await Self.count("payments WHERE payment_id = 'pay-shared'", in: tuike.database) == 1)
        }
    }

    /// A payment reads the program and its promoters as they stand when it is paid, not when the
    /// order was placed: settings saved in between (freeze days, no binding) and an upline
    /// suspended in between decide what it books.
    @Test(arguments: TestDatabase.available)
    func aPaymentBooksBySettingsAndPromotersAsTheyStandAtPayment(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let (product, a, b, visitor) = try await Self.world(client)
            let order = try await Self.placeOrder(client, product: product, visitor: visitor)
            var settings = try await client.send(.get, "/api/v1/program").json
            settings["freeze_days"] = 3
            settings["binding_days"] = 0
            #expect(try await client.send(.put, "/api/v1/program", body: String(decoding: try JSONSerialization.data(withJSONObject: settings), as: UTF8.self)).status == .ok)
            #expect(try await client.send(.post, "/api/v1/promoters/\(a)/suspend", body: #"{"reason":"test"}"#).status == .ok)

            let paid = try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"pay-now"}"#)
            #expect(paid.status == .ok, "\(paid.text)")
            let rows = try #require(try await client.send(.get, "/api/v1/commissions?order_id=\(order)").json["data"] as? [[String: Any]])
            #expect(rows.count == 1 && rows.first?["promoter_id"] as? String == b && rows.first?["amount"] as? Int == 10_000)
            let paidAt = try #require((paid.json["paid_at"] as? String).flatMap(Instant.init(rfc3339:)))
            #expect(rows.first?["eligible_at"] as? String == paidAt.adding(seconds: 3 * 86_400).rfc3339)
            #expect(try await Self.count("bindings", in: tuike.database) == 0)
        }
    }

    /// One external_id sent 20 times at once: one order is stored (the others' single-statement
    /// writes find the key taken and go the long way), and every answer names it.
    @Test(arguments: TestDatabase.available)
    func concurrentCreatesWithOneExternalIDStoreOneOrder(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let (product, _, _, visitor) = try await Self.world(client)
            let body = #"{"buyer_id":"buyer-x","items":[{"product_id":"\#(product)","quantity":1}],"visitor_id":"\#(visitor)","external_id":"shop-race"}"#
            let answers = try await Self.atOnce(20) { _ in
                let response = try await client.send(.post, "/api/v1/orders", body: body)
                return (response.status, response.json["id"] as? String)
            }
            #expect(answers.filter { $0.0 == .created }.count == 1 && answers.filter { $0.0 == .ok }.count == 19, "\(answers)")
            #expect(Set(answers.map(\.1)).count == 1)
            let counts = try await tuike.database.read { db in
                try await db.first("""
                    SELECT (SELECT COUNT(*) FROM orders) AS o, (SELECT COUNT(*) FROM order_items) AS i,
                        (SELECT COUNT(*) FROM events WHERE type = 'order.created') AS e
                    """)!
            }
            #expect(try counts.decode(column: "o", as: Int64.self) == 1)
            #expect(try counts.decode(column: "i", as: Int64.self) == 1)
            #expect(try counts.decode(column: "e", as: Int64.self) == 1)
        }
    }

    @Test(arguments: TestDatabase.available)
    func externalIDsCouponsSelfReferralAndProductRules(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"课","price":10000}"#).json["id"] as! String
            let promoter = try await client.createPromoter("S", buyer: "buyer-self")
            let code = try #require(promoter["invite_code"] as? String)
            let body = #"{"buyer_id":"buyer-2","items":[{"product_id":"\#(product)","quantity":2}],"coupon":"\#(code)","external_id":"shop-77"}"#
            let first = try await client.send(.post, "/api/v1/orders", body: body)
            let again = try await client.send(.post, "/api/v1/orders", body: body)
            #expect(first.status == .created && again.status == .ok && first.json["id"] as? String == again.json["id"] as? String)
            #expect((first.json["attribution"] as? [String: Any])?["rule"] as? String == "coupon" && first.json["amount"] as? Int == 20_000)

            #expect(try await client.send(.put, "/api/v1/products/\(product)/commission", body: #"{"type":"fixed","levels":[1500]}"#).status == .ok)
            expectError(try await client.send(.put, "/api/v1/products/\(product)/commission", body: #"{"type":"percent","levels":[4000,2000]}"#),
                        .unprocessableContent, "compliance_violation")
            let ruled = try await client.send(.post, "/api/v1/orders", body: #"{"buyer_id":"buyer-3","items":[{"product_id":"\#(product)","quantity":2}],"coupon":"\#(code)"}"#)
            let ruledID = ruled.json["id"] as! String
            #expect((ruled.json["items"] as? [[String: Any]])?.first?["rule_source"] as? String == "product")
            _ = try await client.send(.post, "/api/v1/orders/\(ruledID)/paid", body: #"{"payment_id":"p-3"}"#)
            let commissions = try await client.send(.get, "/api/v1/commissions?order_id=\(ruledID)")
            #expect((commissions.json["data"] as? [[String: Any]])?.first?["amount"] as? Int == 3_000)

            let selfOrder = try await client.send(.post, "/api/v1/orders", body: #"{"buyer_id":"buyer-self","items":[{"product_id":"\#(product)","quantity":1}],"coupon":"\#(code)"}"#)
            #expect(selfOrder.json["flags"] as? [String] == ["self_referral"])
            let selfID = selfOrder.json["id"] as! String
            _ = try await client.send(.post, "/api/v1/orders/\(selfID)/paid", body: #"{"payment_id":"p-self"}"#)
            #expect((try await client.send(.get, "/api/v1/commissions?order_id=\(selfID)").json["data"] as? [Any])?.isEmpty == true)
            #expect(try await client.send(.delete, "/api/v1/products/\(product)/commission").status == .noContent)
            expectError(try await client.send(.delete, "/api/v1/products/\(product)/commission"), .notFound, "not_found")
        }
    }

    @Test(arguments: TestDatabase.available)
    func badOrdersAreRefusedAndChangeNothing(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"书","price":6800,"stock":1,"kind":"service"}"#).json["id"] as! String
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"buyer_id":"b","items":[]}"#, .unprocessableContent, "validation_failed"),
                (#"{"buyer_id":"b","items":[{"product_id":"prod_missing","quantity":1}]}"#, .unprocessableContent, "validation_failed"),
                (#"{"buyer_id":"b","items":[{"product_id":"\#(product)","quantity":0}]}"#, .unprocessableContent, "validation_failed"),
                (#"{"buyer_id":"b","items":[{"product_id":"\#(product)","quantity":"1"}]}"#, .badRequest, "invalid_request"),
                (#"{"buyer_id":"b","items":[{"product_id":"\#(product)","quantity":1}],"coupon":"NOPE2345"}"#, .unprocessableContent, "validation_failed"),
                (#"{"buyer_id":"b","items":[{"product_id":"\#(product)","quantity":2}]}"#, .conflict, "out_of_stock"),
                (#"{"items":[{"product_id":"\#(product)","quantity":1}]}"#, .badRequest, "invalid_request"),
                (#"{"buyer_id":"b""#, .badRequest, "malformed_json"),
            ]
            for (body, status, code) in cases {
                expectError(try await client.send(.post, "/api/v1/orders", body: body), status, code)
            }
            let orders = try await tuike.database.read { db in try await db.first("SELECT COUNT(*) AS n FROM orders")!.decode(column: "n", as: Int64.self) }
            #expect(orders == 0)
            #expect(try await client.send(.get, "/api/v1/products/\(product)").json["stock"] as? Int == 1)
            expectError(try await client.send(.post, "/api/v1/orders/ord_missing/paid", body: #"{"payment_id":"x"}"#), .notFound, "not_found")
            expectError(try await client.send(.get, "/api/v1/orders/ord_missing"), .notFound, "not_found")
            expectError(try await client.send(.post, "/api/v1/orders", headers: jsonOnly, body: "{}"), .unauthorized, "unauthorized")
        }
    }
}

@Suite struct RefundsAPITests {
    static func paidOrder(_ client: any TestClientProtocol) async throws -> (order: String, a: String, b: String) {
        let (product, a, b, visitor) = try await OrdersAPITests.world(client)
        let order = try await client.send(.post, "/api/v1/orders",
                                          body: #"{"buyer_id":"buyer-1","items":[{"product_id":"\#(product)","quantity":1}],"visitor_id":"\#(visitor)"}"#).json["id"] as! String
        #expect(try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"pay-\#(order)"}"#).status == .ok)
        return (order, a, b)
    }

    static func commission(_ client: any TestClientProtocol, order: String, promoter: String) async throws -> [String: Any]? {
        let rows = try await client.send(.get, "/api/v1/commissions?order_id=\(order)&promoter_id=\(promoter)").json["data"] as? [[String: Any]]
        return rows?.first
    }

    /// The order flow to the end: refund 20000 → 6000 / 1500 left → trial balance zero; then the rest.
    @Test(arguments: TestDatabase.available)
    func partialThenFullRefundReversesCommissions(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let (order, a, b) = try await Self.paidOrder(client)
            let partial = try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":20000,"reason":"换课"}"#)
            #expect(partial.status == .created, "\(partial.text)")
            #expect((partial.json["order"] as? [String: Any])?["status"] as? String == "partially_refunded")
            #expect(try await Self.commission(client, order: order, promoter: b)?["amount"] as? Int == 6_000)
            #expect(try await Self.commission(client, order: order, promoter: a)?["amount"] as? Int == 1_500)
            #expect(try await client.send(.get, "/api/v1/promoters/\(b)/balance").json["pending"] as? Int == 6_000)
            #expect(try await client.send(.get, "/api/v1/ledger/trial-balance").json["balanced"] as? Bool == true)

            expectError(try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":30001}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":0}"#), .unprocessableContent, "validation_failed")
            let rest = try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":30000,"refund_id":"r-2"}"#)
            #expect((rest.json["order"] as? [String: Any])?["status"] as? String == "refunded")
            let replay = try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":30000,"refund_id":"r-2"}"#)
            #expect((replay.json["refund"] as? [String: Any])?["id"] as? String == (rest.json["refund"] as? [String: Any])?["id"] as? String)
            expectError(try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":1}"#), .conflict, "already_refunded")
            let commission = try await Self.commission(client, order: order, promoter: b)
            #expect(commission?["amount"] as? Int == 0 && commission?["status"] as? String == "reversed")
            #expect((try await client.send(.get, "/api/v1/buyers/buyer-1/entitlements").json["data"] as? [Any])?.isEmpty == true)
            let fetched = try await client.send(.get, "/api/v1/orders/\(order)")
            #expect((fetched.json["refunds"] as? [[String: Any]])?.compactMap { $0["amount"] as? Int } == [20_000, 30_000])
            let trial = try await client.send(.get, "/api/v1/ledger/trial-balance")
            #expect(trial.json["balanced"] as? Bool == true)
            #expect(try await client.send(.get, "/api/v1/promoters/\(b)/balance").json["pending"] as? Int == 0)
        }
    }

    /// 50 partial refunds of 3000 at once against a 50000 order: never more refunded than paid.
    @Test(arguments: TestDatabase.available)
    func concurrentRefundsNeverExceedThePayment(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let (order, _, b) = try await Self.paidOrder(client)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<50 {
                    group.addTask { try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":3000}"#).status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 16)
            let fetched = try await client.send(.get, "/api/v1/orders/\(order)")
            #expect(fetched.json["refunded"] as? Int == 48_000)
            let refunded = try await tuike.database.read { db in
                try await db.first("SELECT CAST(SUM(amount) AS BIGINT) AS n FROM refunds")!.decode(column: "n", as: Int64.self)
            }
            #expect(refunded == 48_000)
            // 10000 earned, 48000 of 50000 refunded: share(10000, 48000, 50000) = 9600 reversed.
            #expect(try await Self.commission(client, order: order, promoter: b)?["amount"] as? Int == 400)
            #expect(try await client.send(.get, "/api/v1/ledger/trial-balance").json["balanced"] as? Bool == true)
        }
    }

    @Test(arguments: TestDatabase.available)
    func unpaidOrUnknownOrdersCannotBeRefunded(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"课","price":100}"#).json["id"] as! String
            let order = try await client.send(.post, "/api/v1/orders", body: #"{"buyer_id":"b","items":[{"product_id":"\#(product)","quantity":1}]}"#).json["id"] as! String
            expectError(try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":100}"#), .conflict, "not_paid")
            expectError(try await client.send(.post, "/api/v1/orders/ord_missing/refunds", body: #"{"amount":100}"#), .notFound, "not_found")
            expectError(try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":"100"}"#), .badRequest, "invalid_request")
        }
    }
}

@Suite struct CampaignRulesAPITests {
    @Test(arguments: TestDatabase.available)
    func aRunningCampaignBeatsTheProductAndProgramRules(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let (product, _, b, visitor) = try await OrdersAPITests.world(client)
            let now = tuike.clock.now()
            let starts = now.adding(seconds: -60).rfc3339, ends = now.adding(seconds: 3_600).rfc3339
            let created = try await client.send(.post, "/api/v1/campaign-rules",
                                                body: #"{"product_id":"\#(product)","starts_at":"\#(starts)","ends_at":"\#(ends)","rule":{"type":"percent","levels":[3000,500]}}"#)
            #expect(created.status == .created, "\(created.text)")
            let campaign = try #require(created.json["id"] as? String)
            #expect((try await client.send(.get, "/api/v1/campaign-rules").json["data"] as? [Any])?.count == 1)
            let order = try await client.send(.post, "/api/v1/orders",
                                              body: #"{"buyer_id":"b1","items":[{"product_id":"\#(product)","quantity":1}],"visitor_id":"\#(visitor)"}"#)
            #expect((order.json["items"] as? [[String: Any]])?.first?["rule_source"] as? String == "campaign:\(campaign)")
            let id = order.json["id"] as! String
            _ = try await client.send(.post, "/api/v1/orders/\(id)/paid", body: #"{"payment_id":"p1"}"#)
            #expect(try await RefundsAPITests.commission(client, order: id, promoter: b)?["amount"] as? Int == 15_000)

            // After it ends, the program default applies again (the test clock moves past it).
            _ = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":7200}"#)
            let later = try await client.send(.post, "/api/v1/orders", body: #"{"buyer_id":"b2","items":[{"product_id":"\#(product)","quantity":1}]}"#)
            #expect((later.json["items"] as? [[String: Any]])?.first?["rule_source"] as? String == "program")

            expectError(try await client.send(.post, "/api/v1/campaign-rules", body: #"{"starts_at":"\#(ends)","ends_at":"\#(starts)","rule":{"type":"percent","levels":[1000]}}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/campaign-rules", body: #"{"starts_at":"\#(starts)","ends_at":"\#(ends)","rule":{"type":"percent","levels":[6000]}}"#),
                        .unprocessableContent, "compliance_violation")
            expectError(try await client.send(.post, "/api/v1/campaign-rules", body: #"{"starts_at":"yesterday","ends_at":"\#(ends)","rule":{"type":"percent","levels":[1000]}}"#),
                        .unprocessableContent, "validation_failed")
        }
    }
}

@Suite struct OrderTimeoutTests {
    @Test(arguments: TestDatabase.available)
    func unpaidOrdersAreCancelledAtTheirTimeoutAndReturnTheirStock(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"真题集","price":6800,"stock":5,"kind":"service"}"#).json["id"] as! String
            let unpaid = try await client.send(.post, "/api/v1/orders", body: #"{"buyer_id":"b1","items":[{"product_id":"\#(product)","quantity":2}]}"#).json["id"] as! String
            let paid = try await client.send(.post, "/api/v1/orders", body: #"{"buyer_id":"b2","items":[{"product_id":"\#(product)","quantity":1}]}"#).json["id"] as! String
            #expect(try await client.send(.post, "/api/v1/orders/\(paid)/paid", body: #"{"payment_id":"p"}"#).status == .ok)
            #expect(try await client.send(.get, "/api/v1/products/\(product)").json["stock"] as? Int == 2)

            // The sandbox clock runs on with the wall clock, so a slow machine needs a margin.
            _ = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":1780}"#)
            #expect(try await client.send(.get, "/api/v1/orders/\(unpaid)").json["status"] as? String == "pending_payment")
            _ = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":20}"#)
            #expect(try await client.send(.get, "/api/v1/orders/\(unpaid)").json["status"] as? String == "cancelled")
            #expect(try await client.send(.get, "/api/v1/orders/\(paid)").json["status"] as? String == "paid")
            #expect(try await client.send(.get, "/api/v1/products/\(product)").json["stock"] as? Int == 4)
            expectError(try await client.send(.post, "/api/v1/orders/\(unpaid)/paid", body: #"{"payment_id":"late"}"#), .conflict, "order_cancelled")
            expectError(try await client.send(.put, "/api/v1/program", body: #"{"order_timeout_seconds":10}"#), .unprocessableContent, "validation_failed")
        }
    }
}

@Suite struct CouponsAPITests {
    /// A promoter's 10 % coupon on two lines: the discount is spread over the lines, commissions
    /// follow what each line paid, the promoter is credited, and the usage limit holds under a race.
    @Test(arguments: TestDatabase.available)
    func couponsDiscountAttributeAndRespectTheirLimit(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let course = try await client.send(.post, "/api/v1/products", body: #"{"title":"课A","price":30000}"#).json["id"] as! String
            let book = try await client.send(.post, "/api/v1/products", body: #"{"title":"书B","price":10000,"kind":"service"}"#).json["id"] as! String
            let promoter = try await client.createPromoter("Q")["id"] as! String
            let created = try await client.send(.post, "/api/v1/coupons",
                                                body: #"{"code":"q-ten","type":"percent","value":1000,"promoter_id":"\#(promoter)","usage_limit":5}"#)
            #expect(created.status == .created && created.json["code"] as? String == "Q-TEN", "\(created.text)")
            expectError(try await client.send(.post, "/api/v1/coupons", body: #"{"code":"Q-TEN","type":"fixed","value":1}"#), .conflict, "coupon_exists")
            expectError(try await client.send(.post, "/api/v1/coupons", body: #"{"code":"BAD","type":"percent","value":20000}"#), .unprocessableContent, "validation_failed")

            let order = try await client.send(.post, "/api/v1/orders",
                                              body: #"{"buyer_id":"b","items":[{"product_id":"\#(course)","quantity":1},{"product_id":"\#(book)","quantity":1}],"coupon":"q-ten"}"#)
            #expect(order.status == .created, "\(order.text)")
            #expect(order.json["amount"] as? Int == 36_000 && order.json["discount"] as? Int == 4_000 && order.json["promoter_id"] as? String == promoter)
            let lines = try #require(order.json["items"] as? [[String: Any]])
            #expect(lines.map { $0["paid"] as? Int } == [27_000, 9_000])
            let id = order.json["id"] as! String
            _ = try await client.send(.post, "/api/v1/orders/\(id)/paid", body: #"{"payment_id":"cp1"}"#)
            let amounts = (try await client.send(.get, "/api/v1/commissions?order_id=\(id)").json["data"] as? [[String: Any]])?.compactMap { $0["amount"] as? Int }
            #expect(amounts?.sorted() == [1_800, 5_400])

            let results = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for n in 0..<20 {
                    group.addTask {
                        try await client.send(.post, "/api/v1/orders", body: #"{"buyer_id":"r\#(n)","items":[{"product_id":"\#(book)","quantity":1}],"coupon":"Q-TEN"}"#).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(results.filter { $0 == .created }.count == 4)
            #expect(results.filter { $0 == .conflict || $0 == .unprocessableContent }.count == 16)
            let listed = try await client.send(.get, "/api/v1/coupons").json["data"] as? [[String: Any]]
            #expect(listed?.first?["used"] as? Int == 5)

            // The four unpaid orders lapse and give their uses back; the paid one keeps its use.
            _ = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":1900}"#)
            #expect((try await client.send(.get, "/api/v1/coupons").json["data"] as? [[String: Any]])?.first?["used"] as? Int == 1)
            let again = try await client.send(.post, "/api/v1/orders", body: #"{"buyer_id":"r-late","items":[{"product_id":"\#(book)","quantity":1}],"coupon":"Q-TEN"}"#)
            #expect(again.status == .created, "\(again.text)")
        }
    }
}

@Suite struct StockLockTests {
    /// An order for a product without a stock limit never waits on the product's row: while
    /// another transaction holds that row locked, orders are still created (PostgreSQL; on SQLite
    /// writes take turns anyway). Before, every order updated the row and orders of one
    /// bestseller queued behind each other's commits.
    @Test(arguments: TestDatabase.available.filter { $0 == .postgres })
    func ordersOfAnUnlimitedProductDoNotWaitOnItsRow(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"不限量","price":100}"#).json["id"] as! String
            let limited = try await client.send(.post, "/api/v1/products", body: #"{"title":"限量","price":100,"stock":5}"#).json["id"] as! String
            let locked = AsyncStream<Void>.makeStream()
            let release = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await tuike.database.write { db in
                    // The lock an UPDATE of the row takes (FOR UPDATE would also stop foreign key checks).
                    _ = try await db.rows("SELECT id FROM products WHERE id IN (\(bind: product), \(bind: limited)) FOR NO KEY UPDATE")
                    locked.continuation.yield()
                    for await _ in release.stream { break }
                }
            }
            for await _ in locked.stream { break }
            // The order must be created while the row is held; after 5 s the holder lets go, so a
            // regression fails the test instead of hanging it.
            let first = try await withThrowingTaskGroup(of: (Bool, HTTPResponse.Status).self) { group in
                group.addTask {
                    (true, try await client.send(.post, "/api/v1/orders", body: #"{"buyer_id":"b1","items":[{"product_id":"\#(product)","quantity":1}]}"#).status)
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(5))
                    return (false, .ok)
                }
                let first = try await group.next()!
                release.continuation.yield()
                group.cancelAll()
                while let _ = try? await group.next() {}
                return first
            }
            #expect(first.0 && first.1 == .created, "the order waited for the product's row")
            try await holder.value
            let stocked = try await client.send(.post, "/api/v1/orders", body: #"{"buyer_id":"b2","items":[{"product_id":"\#(limited)","quantity":5}]}"#)
            #expect(stocked.status == .created)
            expectError(try await client.send(.post, "/api/v1/orders", body: #"{"buyer_id":"b3","items":[{"product_id":"\#(limited)","quantity":1}]}"#),
                        .conflict, "out_of_stock")
        }
    }
}
