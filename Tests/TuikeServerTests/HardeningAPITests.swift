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
}

@Suite struct SessionAndFormTests {
    /// A promoter with 200.00 available logged in to the portal; its session cookie and CSRF token.
    static func portalSession(_ client: any TestClientProtocol) async throws -> (promoter: String, browser: ConsoleBrowser) {
        let promoter = try await client.createPromoter("推客小李", phone: "13911113333")["id"] as! String
        _ = try await client.send(.post, "/api/v1/adjustments", body: #"{"promoter_id":"\#(promoter)","amount":20000,"reason":"bonus"}"#)
        #expect(try await client.send(.put, "/api/v1/promoters/\(promoter)/password", body: #"{"password":"secret-123"}"#).status == .noContent)
        let form = try await client.send(.get, "/me/login", headers: [:])
        let csrf = try #require(form.headers[values: .setCookie].first { $0.hasPrefix("tk_csrf=") }?.split(separator: ";").first?.dropFirst(8))
        let login = try await client.send(.post, "/me/login", headers: [.cookie: "tk_csrf=\(csrf)", .contentType: "application/x-www-form-urlencoded"],
                                          body: "_csrf=\(csrf)&phone=13911113333&password=secret-123")
        let session = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("tk_session=") }?.split(separator: ";").first)
        return (promoter, ConsoleBrowser(client: client, cookie: "tk_csrf=\(csrf); \(session)", csrf: String(csrf)))
    }

    /// The withdraw form posted twice with its nonce (a double click, a resent form) is one
    /// withdrawal, and both posts get the same answer; a new nonce is a new withdrawal.
    @Test(arguments: TestDatabase.available)
    func aDoubleSubmittedWithdrawalIsOne(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let (promoter, portal) = try await Self.portalSession(client)
            let page = try await portal.get("/me").text
            #expect(page.contains(#"name="_nonce""#))
            let answers = try await OrdersAPITests.atOnce(2) { _ in
                try await portal.post("/me/withdraw", ["amount": "100", "channel": "alipay"], nonce: "same-nonce-0123456789")
            }
            #expect(answers.allSatisfy { $0.status == .seeOther && $0.headers[.location] == "/me?notice=withdraw_requested" }, "\(answers.map(\.status))")
            #expect(try await client.balance(promoter)["withdrawing"] == 10_000)
            let second = try await portal.post("/me/withdraw", ["amount": "100", "channel": "alipay"], nonce: "other-nonce-0123456789")
            #expect(second.status == .seeOther)
            #expect(try await client.balance(promoter)["withdrawing"] == 20_000)
        }
    }

    /// The storefront's buy form posted twice is one order holding one unit of stock.
    @Test(arguments: TestDatabase.available)
    func aDoubleSubmittedPurchaseIsOneOrder(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"课","price":100,"stock":5}"#).json["id"] as! String
            let page = try await client.send(.get, "/p/\(product)", headers: [:])
            let csrf = try #require(page.headers[values: .setCookie].first { $0.hasPrefix("tk_csrf=") }?.split(separator: ";").first?.dropFirst(8))
            let browser = ConsoleBrowser(client: client, cookie: "tk_csrf=\(csrf); tk_vid=0123456789abcdef0123456789abcdef", csrf: String(csrf))
            let first = try await browser.post("/p/\(product)/buy", [:], nonce: "buy-nonce-0123456789")
            let again = try await browser.post("/p/\(product)/buy", [:], nonce: "buy-nonce-0123456789")
            #expect(first.status == .seeOther && again.headers[.location] == first.headers[.location], "\(first.text)")
            #expect(try await OrdersAPITests.count("orders", in: tuike.database) == 1)
            #expect(try await client.send(.get, "/api/v1/products/\(product)").json["stock"] as? Int == 4)
        }
    }

    /// Suspending a promoter or setting a new password ends its open portal sessions.
    @Test(arguments: TestDatabase.available)
    func sessionsEndWhenAccessEnds(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            var (promoter, portal) = try await Self.portalSession(client)
            #expect(try await portal.get("/me").status == .ok)
            #expect(try await client.send(.put, "/api/v1/promoters/\(promoter)/password", body: #"{"password":"secret-456"}"#).status == .noContent)
            #expect(try await portal.get("/me").headers[.location] == "/me/login", "a new password signs the old session out")

            _ = try await client.send(.put, "/api/v1/promoters/\(promoter)/password", body: #"{"password":"secret-123"}"#)
            let form = try await client.send(.get, "/me/login", headers: [:])
            let csrf = try #require(form.headers[values: .setCookie].first { $0.hasPrefix("tk_csrf=") }?.split(separator: ";").first?.dropFirst(8))
            let login = try await client.send(.post, "/me/login", headers: [.cookie: "tk_csrf=\(csrf)", .contentType: "application/x-www-form-urlencoded"],
                                              body: "_csrf=\(csrf)&phone=13911113333&password=secret-123")
            let session = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("tk_session=") }?.split(separator: ";").first)
            portal = ConsoleBrowser(client: client, cookie: "tk_csrf=\(csrf); \(session)", csrf: String(csrf))
            #expect(try await portal.get("/me").status == .ok)
            #expect(try await client.send(.post, "/api/v1/promoters/\(promoter)/suspend", body: #"{"reason":"review"}"#).status == .ok)
            #expect(try await portal.get("/me").headers[.location] == "/me/login", "suspension signs the promoter out")
        }
    }
}

@Suite struct SecretsAndHeadersTests {
    /// A token issued with an Idempotency-Key is in the first answer only: the store keeps the
    /// answer with the token as null, and a replay gives that.
    @Test(arguments: TestDatabase.available)
    func issuedTokensAreNotKeptForReplays(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let promoter = try await client.createPromoter("A")["id"] as! String
            var headers = adminAuth
            headers[IdempotencyMiddleware.header] = "token-once"
            let first = try await client.send(.post, "/api/v1/promoters/\(promoter)/tokens", headers: headers)
            let token = try #require(first.json["token"] as? String)
            #expect(first.headers[IdempotencyMiddleware.secretFieldsHeader] == nil)
            let replay = try await client.send(.post, "/api/v1/promoters/\(promoter)/tokens", headers: headers)
            #expect(replay.headers[IdempotencyMiddleware.replayedHeader] == "true")
            #expect(replay.json["token"] is NSNull && replay.json["promoter_id"] as? String == promoter, "\(replay.text)")
            let stored = try await tuike.database.read { db in
                try await db.rows("SELECT response_body FROM idempotency_keys").map { try $0.decode(column: "response_body", as: String?.self) ?? "" }
            }
            #expect(!stored.isEmpty && !stored.contains { $0.contains(token) })
            #expect(try await client.send(.get, "/api/v1/promoters/\(promoter)", headers: [.authorization: "Bearer \(token)"]).status == .ok)
        }
    }

    /// Pages forbid framing and inline scripts; every answer says nosniff.
    @Test(arguments: TestDatabase.available)
    func pagesSendSecurityHeaders(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            for path in ["/", "/me/login", "/admin/login", "/me/apply"] {
                let page = try await client.send(.get, path, headers: [:])
                #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true, "\(path)")
                #expect(page.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                #expect(page.headers[HTTPField.Name("X-Frame-Options")!] == "DENY" && page.headers[.xContentTypeOptions] == "nosniff")
                #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "strict-origin-when-cross-origin")
                #expect(!page.text.contains("<script>"), "no inline script on \(path)")
            }
            let api = try await client.send(.get, "/api/v1/products", headers: [:])
            #expect(api.headers[.xContentTypeOptions] == "nosniff" && api.headers[.contentSecurityPolicy] == nil)
        }
    }

    /// The sandbox checkout's pay button needs the page's CSRF token: a forged post pays nothing.
    @Test(arguments: TestDatabase.available)
    func theCheckoutFormNeedsItsToken(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"课","price":100}"#).json["id"] as! String
            let order = try await client.send(.post, "/api/v1/orders", body: #"{"buyer_id":"b1","items":[{"product_id":"\#(product)","quantity":1}]}"#)
                .json["id"] as! String
            expectError(try await client.send(.post, "/pay/\(order)", headers: [:]), .forbidden, "csrf_failed")
            #expect(try await client.send(.get, "/api/v1/orders/\(order)").json["status"] as? String == "pending_payment")
            #expect(try await client.payInSandbox(order).status == .seeOther)
            #expect(try await client.send(.get, "/api/v1/orders/\(order)").json["status"] as? String == "paid")
        }
    }
}

@Suite struct ClickFloodTests {
    /// 200 cookie-less clicks from one address and browser on one link within a minute are one
    /// visitor: one page view, one visitor, 199 bots (the flood stays visible). Another address,
    /// or a visitor with its cookie, counts as usual.
    @Test(arguments: TestDatabase.available)
    func aFloodFromOneAddressCountsOnce(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let promoter = try await client.createPromoter("A")["id"] as! String
            let code = try await client.createLink(promoter: promoter).json["code"] as! String
            let flood: HTTPFields = [.userAgent: "Mozilla/5.0 (iPhone) MicroMessenger/8.0", .xForwardedFor: "198.51.100.77"]
            let answers = try await OrdersAPITests.atOnce(200) { _ in try await client.send(.get, "/r/\(code)", headers: flood).status }
            #expect(answers.allSatisfy { $0 == .found })
            _ = try await client.send(.get, "/r/\(code)", headers: [.userAgent: "Mozilla/5.0 (iPhone) MicroMessenger/8.0", .xForwardedFor: "198.51.100.78"])
            _ = try await client.send(.get, "/r/\(code)", headers: [.userAgent: "Mozilla/5.0 (iPhone) MicroMessenger/8.0", .xForwardedFor: "198.51.100.77",
                                                                   .cookie: "tk_vid=0123456789abcdef0123456789abcdef"])
            let totals = try #require(try await client.send(.get, "/api/v1/promoters/\(promoter)/stats").json["totals"] as? [String: Any])
            #expect(totals["pv"] as? Int == 3 && totals["uv"] as? Int == 3 && totals["bots"] as? Int == 199, "\(totals)")
        }
    }
}

@Suite struct WebhookAddressTests {
    /// Endpoints on this machine, private networks or the metadata service are refused unless the
    /// program allows them.
    @Test(arguments: TestDatabase.available)
    func localEndpointsAreRefusedUnlessAllowed(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let local = ["http://127.0.0.1:9000/hook", "http://169.254.169.254/latest/meta-data", "http://localhost/hook", "http://[::1]/hook",
                         "http://10.1.2.3/hook", "http://192.168.1.10/hook", "http://0.0.0.0/hook", "http://[::ffff:127.0.0.1]/hook"]
            for url in local {
                expectError(try await client.send(.post, "/api/v1/webhook-endpoints", body: #"{"url":"\#(url)"}"#), .unprocessableContent, "validation_failed")
            }
            #expect(try await client.send(.post, "/api/v1/webhook-endpoints", body: #"{"url":"https://hooks.example.com/x"}"#).status == .created)
            #expect(try await client.send(.put, "/api/v1/program", body: #"{"webhooks_allow_private":true}"#).status == .ok)
            #expect(try await client.send(.post, "/api/v1/webhook-endpoints", body: #"{"url":"http://127.0.0.1:9000/hook"}"#).status == .created)
        }
    }

    actor Recorder: WebhookSender {
        var urls: [String] = []
        func send(url: String, body: Data, headers: [String: String]) async -> (status: Int?, error: String?) {
            urls.append(url)
            return (200, nil)
        }
    }

    /// At delivery the name is resolved again: one that now points at a local address is not sent.
    @Test func deliveriesToLocalAddressesAreNotSent() async throws {
        let recorder = Recorder()
        let resolve: @Sendable (String) async -> [String] = { host in host == "rebound.example.com" ? ["10.0.0.5"] : ["93.184.216.34"] }
        let guarded = GuardedWebhookSender(inner: recorder, allowPrivate: { false }, resolve: resolve)
        let refused = await guarded.send(url: "https://rebound.example.com/x", body: Data(), headers: [:])
        #expect(refused.status == nil && refused.error?.contains("10.0.0.5") == true)
        let literal = await guarded.send(url: "http://[::1]:8080/x", body: Data(), headers: [:])
        #expect(literal.status == nil && literal.error?.contains("local address") == true)
        #expect(await guarded.send(url: "https://hooks.example.com/x", body: Data(), headers: [:]).status == 200)
        let allowed = GuardedWebhookSender(inner: recorder, allowPrivate: { true }, resolve: resolve)
        #expect(await allowed.send(url: "https://rebound.example.com/x", body: Data(), headers: [:]).status == 200)
        #expect(await recorder.urls == ["https://hooks.example.com/x", "https://rebound.example.com/x"])
        #expect(await WebhookAddresses.resolve("localhost").allSatisfy { WebhookAddresses.isLocal(host: $0) })
    }
}

@Suite struct UnpaidHoldTests {
    /// Buys from the storefront as a browser with its own cookie and address.
    static func buy(_ client: any TestClientProtocol, _ product: String, visitor: String, address: String) async throws -> TestResponse {
        let csrf = "csrf-token-0123456789abcdef012345"
        return try await client.send(.post, "/p/\(product)/buy", headers: [.cookie: "tk_csrf=\(csrf); tk_vid=\(visitor)", .xForwardedFor: address,
                                                                            .contentType: "application/x-www-form-urlencoded"],
                                     body: "_csrf=\(csrf)&_nonce=\(Identifier.secret(length: 24))")
    }

    static func visitor(_ n: Int) -> String { String(format: "%032x", n) }

    /// Pressing "buy" with fresh cookies from one address holds at most two units of a course; a
    /// buyer elsewhere still buys what is really in stock. One visitor holds at most three unpaid
    /// orders; paying frees a place.
    @Test(arguments: TestDatabase.available)
    func nobodyHoardsStockWithoutPaying(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"课","price":100,"stock":5}"#).json["id"] as! String
            var statuses: [HTTPResponse.Status] = []
            for n in 0..<5 { statuses.append(try await Self.buy(client, product, visitor: Self.visitor(n), address: "198.51.100.9").status) }
            #expect(statuses == [.seeOther, .seeOther, .tooManyRequests, .tooManyRequests, .tooManyRequests], "\(statuses)")
            let refused = try await Self.buy(client, product, visitor: Self.visitor(9), address: "198.51.100.9")
            #expect(refused.text.contains("unpaid orders") && refused.headers[.retryAfter] != nil)
            for n in 10..<13 { #expect(try await Self.buy(client, product, visitor: Self.visitor(n), address: "203.0.113.\(n)").status == .seeOther) }
            #expect(try await client.send(.get, "/api/v1/products/\(product)").json["stock"] as? Int == 0)

            let others = try await (0..<4).asyncMap { _ in
                try await client.send(.post, "/api/v1/products", body: #"{"title":"课","price":100}"#).json["id"] as! String
            }
            let one = Self.visitor(99)
            var mine: [HTTPResponse.Status] = []
            for (n, other) in others.enumerated() { mine.append(try await Self.buy(client, other, visitor: one, address: "192.0.2.\(n)").status) }
            #expect(mine == [.seeOther, .seeOther, .seeOther, .tooManyRequests], "\(mine)")
            let unpaid = try await tuike.database.read { db in
                try await db.first("SELECT id FROM orders WHERE visitor_id = \(bind: one) AND status = 'pending_payment'")?.decode(column: "id", as: String.self)
            }
            #expect(try await client.payInSandbox(try #require(unpaid)).status == .seeOther)
            #expect(try await Self.buy(client, others[3], visitor: one, address: "192.0.2.3").status == .seeOther)
        }
    }
}

extension UnpaidHoldTests {
    /// Two anonymous joins from one address cannot hold a group's two free slots: the second is
    /// refused, and a buyer from elsewhere takes the slot.
    @Test(arguments: TestDatabase.available)
    func nobodyHoldsAGroupsLastSlots(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let (campaign, _, _) = try await client.groupCampaign(size: 3)
            let (group, leaderOrder) = try await client.openGroup(campaign)
            _ = try await client.pay(leaderOrder)
            func join(_ n: Int, from address: String) async throws -> HTTPResponse.Status {
                let csrf = "csrf-token-0123456789abcdef012345"
                return try await client.send(.post, "/g/\(group)/join", headers: [.cookie: "tk_csrf=\(csrf); tk_vid=\(Self.visitor(n))", .xForwardedFor: address,
                                                                                 .contentType: "application/x-www-form-urlencoded"],
                                             body: "_csrf=\(csrf)&_nonce=\(Identifier.secret(length: 24))").status
            }
            #expect(try await join(1, from: "198.51.100.20") == .seeOther)
            #expect(try await join(2, from: "198.51.100.20") == .tooManyRequests)
            #expect(try await join(3, from: "203.0.113.20") == .seeOther)
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
