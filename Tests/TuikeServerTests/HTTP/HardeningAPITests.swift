import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
import TuikeCore
@testable import TuikeServer
@testable import TuikeStore
import TuikeTestSupport

/// Inputs that once stopped the server or were taken wrongly: each is refused with a clear error,
/// or, where it is already stored, computed without trapping.

@Suite struct HardeningAPITests {
    static let huge = Int64.max

    /// Fixed levels that add up past Int64 are 422 on a product rule and in the program settings
    /// (the sum used to trap), and the server answers afterwards.
    @Test(arguments: TestDatabase.available)
    func hugeFixedLevelsAreRefused(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"课程","price":10000}"#).json["id"] as! String
            for levels in ["[1,\(Self.huge),\(Self.huge)]", "[\(Self.huge),\(Self.huge)]", "[\(Product.maxPrice + 1)]"] {
                expectError(try await client.send(.put, "/api/v1/products/\(product)/commission", body: #"{"type":"fixed","levels":\#(levels)}"#),
                            .unprocessableContent, "validation_failed")
            }
            let tiers = #"{"type":"percent","levels":[1000],"tiers":[{"from":1,"rate":1000},{"from":\#(Self.huge),"rate":\#(Self.huge),"type":"fixed"}]}"#
            expectError(try await client.send(.put, "/api/v1/products/\(product)/commission", body: tiers), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.put, "/api/v1/products/\(product)/commission", body: #"{"type":"percent","levels":[1000],"max_amount":\#(Self.huge)}"#),
                        .unprocessableContent, "validation_failed")
            let program = try await client.send(.get, "/api/v1/program").json
            var settings = program
            settings["rule_type"] = "fixed"
            settings["levels"] = [1, Self.huge, Self.huge]
            let body = String(decoding: try JSONSerialization.data(withJSONObject: settings), as: UTF8.self)
            expectError(try await client.send(.put, "/api/v1/program", body: body), .unprocessableContent, "validation_failed")
            #expect(try await client.send(.get, "/healthz", headers: [:]).status == .ok)
            let fine = try await client.send(.put, "/api/v1/products/\(product)/commission", body: #"{"type":"fixed","levels":[\#(Product.maxPrice),1]}"#)
            #expect(fine.status == .ok, "\(fine.text)")
        }
    }

    /// A rule stored before the maximums existed (written here straight into the database) pays
    /// out at most what the buyer paid, and the payment, its replay and the ledger all hold.
    @Test(arguments: TestDatabase.available)
    func aStoredHugeRuleCannotStopAPayment(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let (product, _, b, visitor) = try await OrdersAPITests.world(client)
            let rule = #"{"type":"fixed","levels":[\#(Self.huge),\#(Self.huge)],"tier_mode":"per_order"}"#
            try await tuike.database.write { db in
                try await db.execute("INSERT INTO product_rules (product_id, body, updated_at) VALUES (\(bind: product), \(bind: rule), 0)")
            }
            let created = try await client.send(.post, "/api/v1/orders",
                                                body: #"{"buyer_id":"buyer-1","items":[{"product_id":"\#(product)","quantity":3}],"visitor_id":"\#(visitor)"}"#)
            #expect(created.status == .created, "\(created.text)")
            let order = try #require(created.json["id"] as? String)
            for _ in 0..<2 {
                let paid = try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"pay-huge"}"#)
                #expect(paid.status == .ok, "\(paid.text)")
            }
            let rows = try #require(try await client.send(.get, "/api/v1/commissions?order_id=\(order)").json["data"] as? [[String: Any]])
            #expect(rows.first { $0["promoter_id"] as? String == b }?["amount"] as? Int == 150_000, "level 1 takes all that was paid")
            #expect(rows.reduce(0) { $0 + ($1["amount"] as? Int ?? 0) } == 150_000)
            let trial = try await client.send(.get, "/api/v1/ledger/trial-balance")
            #expect(trial.json["balanced"] as? Bool == true)
        }
    }

    /// Other amounts and counts have documented maximums too.
    @Test(arguments: TestDatabase.available)
    func amountsAndCountsHaveMaximums(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            for body in [#"{"code":"BIG1","type":"fixed","value":\#(Self.huge)}"#, #"{"code":"BIG2","type":"fixed","value":100,"min_amount":\#(Self.huge)}"#,
                         #"{"code":"BIG3","type":"fixed","value":100,"usage_limit":\#(Self.huge)}"#] {
                expectError(try await client.send(.post, "/api/v1/coupons", body: body), .unprocessableContent, "validation_failed")
            }
            expectError(try await client.send(.post, "/api/v1/products", body: #"{"title":"课程","price":100,"stock":\#(Self.huge)}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/ranks", body: #"{"name":"金牌","metric":"paid_orders","threshold":\#(Self.huge),"bonus_bps":0}"#),
                        .unprocessableContent, "validation_failed")
        }
    }

    /// The same refund_id with another amount is a different refund: 409, and nothing more is refunded.
    @Test(arguments: TestDatabase.available)
    func aRefundIDReusedWithAnotherAmountIsRefused(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let (product, _, _, visitor) = try await OrdersAPITests.world(client)
            let order = try await OrdersAPITests.placeOrder(client, product: product, visitor: visitor)
            #expect(try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"pay-r"}"#).status == .ok)
            let first = try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":1000,"refund_id":"r-1"}"#)
            #expect(first.status == .created, "\(first.text)")
            #expect(try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":1000,"refund_id":"r-1"}"#).status == .created)
            expectError(try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":2000,"refund_id":"r-1"}"#), .conflict, "refund_id_used")
            #expect(try await client.send(.get, "/api/v1/orders/\(order)").json["refunded"] as? Int == 1000)
        }
    }

    /// Times and days that do not exist are 422, not rolled over into the next hour or year.
    @Test(arguments: TestDatabase.available)
    func impossibleDatesAreRefused(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            for time in ["2026-12-11T25:00:00Z", "2026-02-30T00:00:00Z", "2026-12-11T10:60:00Z", "2026-12-11 10:00:00Z", "99999-01-01T00:00:00Z"] {
                expectError(try await client.send(.post, "/api/v1/coupons", body: #"{"code":"WHEN1","type":"fixed","value":100,"starts_at":"\#(time)"}"#),
                            .unprocessableContent, "validation_failed")
            }
            for day in ["2026-13-01", "2026-02-29", "2026-1-01"] {
                expectError(try await client.send(.get, "/api/v1/reports/reconciliation?from=\(day)&to=2027-01-01"), .unprocessableContent, "validation_failed")
            }
            #expect(try await client.send(.get, "/api/v1/reports/reconciliation?from=2024-02-29&to=2027-01-01").status == .ok)
        }
    }

    /// Hummingbird's request metrics count a thrown error under its status only when the error
    /// says it: a 404 or a 422 must not be counted as a 500.
    @Test func errorsTellTheMetricsTheirStatus() {
        let errors: [(TuikeError, HTTPResponse.Status)] = [
            (.notFound("order", "x"), .notFound), (.validation("bad"), .unprocessableContent),
            (TuikeError(.conflict, code: "c", "c"), .conflict), (TuikeError(.unauthorized, code: "u", "u"), .unauthorized),
        ]
        for (error, status) in errors {
            #expect(((error as any Error) as? any HTTPResponseError)?.status == status)
        }
    }

    /// A database that cannot grow answers 507 `storage_full`, not a bare 500.
    @Test func aFullDatabaseIsNamed() {
        let (status, body) = ErrorResponses.parts(for: SQLiteFailure(code: 13, message: "database or disk is full"), logger: TestDatabase.logger)
        #expect(status.code == 507)
        #expect(String(buffer: body).contains("storage_full"))
    }

    /// Public applications are limited per phone and per address: past the limit 429 with
    /// Retry-After, and nothing is stored.
    @Test(arguments: TestDatabase.available)
    func applicationsAreRateLimited(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            try await ConsolePagesTests.startThrottleWindow(client)
            func apply(_ phone: String, from address: String) async throws -> TestResponse {
                try await client.send(.post, "/api/v1/promoter-applications", headers: [.contentType: "application/json", .xForwardedFor: address],
                                      body: #"{"name":"A","phone":"\#(phone)","agreement_version":"1","signed_name":"A"}"#)
            }
            for _ in 0..<3 { #expect(try await apply("13700000001", from: "198.51.100.1").status == .created) }
            let refused = try await apply("13700000001", from: "198.51.100.2")
            expectError(refused, .tooManyRequests, "rate_limited")
            #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 > 0)
            for index in 0..<10 { #expect(try await apply("1370000002\(index)", from: "198.51.100.3").status == .created) }
            expectError(try await apply("13700000030", from: "198.51.100.3"), .tooManyRequests, "rate_limited")
            #expect(try await apply("13700000031", from: "198.51.100.4").status == .created)
            let stored = try await PromoterRepository(database: tuike.database, cipher: testCipher).list(status: nil, parentID: nil, limit: 100, before: nil)
            #expect(stored.count == 12, "one for 13700000001 (the others found it taken), ten, and one from another address")
        }
    }

    /// A NUL anywhere a client can put text is refused before it reaches the database (PostgreSQL
    /// refuses it as text and answered 500): in a cursor, a query value, a JSON string.
    @Test(arguments: TestDatabase.available)
    func nulCharactersAreRefusedEverywhere(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let promoter = try await client.createPromoter("P")["id"] as! String
            expectError(try await client.send(.get, "/api/v1/links?limit=16&cursor=%00ab&promoter_id=\(promoter)"), .badRequest, "invalid_request")
            expectError(try await client.send(.get, "/api/v1/appeals?status=answered&promoter_id=a%00b"), .badRequest, "invalid_request")
            expectError(try await client.send(.post, "/api/v1/agreements", body: #"{"version":"v\u0000","text":"协议"}"#),
                        .unprocessableContent, "validation_failed")
            // An escaped backslash followed by "u0000" is text, not a NUL.
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"a\\u0000b","price":100}"#)
            #expect(product.status == .created, "\(product.text)")
        }
    }

    /// Names and titles refuse control characters (NUL among them) and text-direction overrides.
    @Test(arguments: TestDatabase.available)
    func controlCharactersAreRefused(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            for title in [#"a\u0000b"#, #"invoice\u202Egpj.exe"#, #"tab\there"#, #"line\nbreak"#, #"\u0007bell"#] {
                expectError(try await client.send(.post, "/api/v1/products", body: #"{"title":"\#(title)","price":100}"#), .unprocessableContent, "validation_failed")
                expectError(try await client.send(.post, "/api/v1/promoters", body: #"{"name":"\#(title)"}"#), .unprocessableContent, "validation_failed")
            }
            let described = try await client.send(.post, "/api/v1/products", body: #"{"title":"课程 · 第一期","price":100,"description":"第一行\n第二行"}"#)
            #expect(described.status == .created, "\(described.text)")
        }
    }

    /// A link stored with a target off the merchant's sites (before `link_hosts` existed) sends
    /// visitors to its product page instead, and to its target again once the host is allowed.
    @Test(arguments: TestDatabase.available)
    func storedOffSiteLinksAreConfined(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"课","price":100}"#).json["id"] as! String
            let promoter = try await client.createPromoter("A")["id"] as! String
            let links = LinkRepository(database: tuike.database)
            let old = try await links.create(promoterID: promoter, productID: product, targetURL: "https://evil.example.com/phish", at: Instant(milliseconds: 0))
            let redirect = try await client.send(.get, "/r/\(old.code)", headers: [.userAgent: "Mozilla/5.0 (iPhone)"])
            #expect(redirect.status == .found && redirect.headers[.location] == "/p/\(product)", "\(redirect.headers)")
            #expect(redirect.headers[.xContentTypeOptions] == "nosniff")
        }
    }
}
