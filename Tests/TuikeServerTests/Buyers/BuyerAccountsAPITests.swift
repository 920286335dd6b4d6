import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeTestSupport

extension TestClientProtocol {
    /// Signs `phone` in through the sandbox SMS code; the buyer's id and token.
    func signInBuyer(_ phone: String = "13800138000") async throws -> (id: String, token: String, auth: HTTPFields) {
        let sent = try await send(.post, "/api/v1/buyer/sms-codes", headers: jsonOnly, body: #"{"phone":"\#(phone)"}"#)
        #expect(sent.status == .accepted, "\(sent.text)")
        let code = try #require(sent.json["sandbox_code"] as? String)
        let session = try await send(.post, "/api/v1/buyer/sessions", headers: jsonOnly, body: #"{"phone":"\#(phone)","code":"\#(code)"}"#)
        #expect(session.status == .created, "\(session.text)")
        let token = try #require(session.json["token"] as? String)
        let id = try #require((session.json["buyer"] as? [String: Any])?["id"] as? String)
        return (id, token, [.authorization: "Bearer \(token)", .contentType: "application/json"])
    }
}

@Suite struct BuyerAccountsAPITests {
    /// The whole flow a buyer sees: sign in by code → an address → a T-shirt ordered (by the
    /// integrator, under the buyer's id) → shipped → the buyer confirms receipt → the buyer asks
    /// for a return; another buyer sees none of it.
    @Test(arguments: TestDatabase.available)
    func aBuyerSignsInAndFollowsTheirOrder(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await GoodsWorld.make(client)
            let buyer = try await client.signInBuyer()
            let me = try await client.send(.get, "/api/v1/buyer/me", headers: buyer.auth).json
            #expect(me["phone_masked"] as? String == "138****8000" && me["id"] as? String == buyer.id)
            let saved = try await client.send(.post, "/api/v1/buyer/addresses", headers: buyer.auth, body: GoodsWorld.address)
            #expect(saved.status == .created && saved.json["is_default"] as? Bool == true, "\(saved.text)")
            expectError(try await client.send(.post, "/api/v1/buyer/addresses", headers: buyer.auth, body: #"{"name":"李四"}"#),
                        .unprocessableContent, "validation_failed")

            // A second address; removing the default makes the one left the default.
            let second = try await client.send(.post, "/api/v1/buyer/addresses", headers: buyer.auth, body: GoodsWorld.address.replacingOccurrences(of: "张三", with: "李四"))
            #expect(second.json["is_default"] as? Bool == false)
            #expect(try await client.send(.delete, "/api/v1/buyer/addresses/\(saved.json["id"] as! String)", headers: buyer.auth).status == .noContent)
            let left = try await client.send(.get, "/api/v1/buyer/addresses", headers: buyer.auth).json["data"] as? [[String: Any]]
            #expect(left?.count == 1 && left?.first?["is_default"] as? Bool == true)
            let order = try await world.paidOrder(client, buyer: buyer.id)
            let mine = try #require(try await client.send(.get, "/api/v1/buyer/orders", headers: buyer.auth).json["data"] as? [[String: Any]])
            #expect(mine.map { $0["id"] as? String } == [order])
            // The buyer's view does not say who brought the order.
            #expect(mine.first?["promoter_id"] is NSNull && ((mine.first?["attribution"] as? [String: Any])?["level_one"] as? [Any])?.isEmpty == true)
            _ = try await client.send(.post, "/api/v1/orders/\(order)/shipments", body: #"{"carrier":"顺丰","tracking_number":"SF777"}"#)
            let received = try await client.send(.post, "/api/v1/orders/\(order)/receipt", headers: buyer.auth)
            #expect(received.json["fulfilment_status"] as? String == "received", "\(received.text)")
            let asked = try await client.send(.post, "/api/v1/orders/\(order)/after-sales", headers: buyer.auth,
                                              body: #"{"type":"return","amount":9900,"reason":"颜色不喜欢"}"#)
            #expect(asked.status == .created, "\(asked.text)")
            let id = try #require(asked.json["id"] as? String)
            #expect((try await client.send(.get, "/api/v1/after-sales", headers: buyer.auth).json["data"] as? [Any])?.count == 1)
            // "My orders" carries the order's after-sales.
            let withAfterSales = try #require(try await client.send(.get, "/api/v1/buyer/orders", headers: buyer.auth).json["data"] as? [[String: Any]])
            #expect((withAfterSales.first?["after_sales"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
            #expect(try await client.send(.get, "/api/v1/orders/\(order)").json["after_sales"] == nil)

            // Another buyer: none of it is theirs; a buyer's token opens no admin or promoter route.
            let other = try await client.signInBuyer("13900139000")
            expectError(try await client.send(.post, "/api/v1/orders/\(order)/receipt", headers: other.auth), .notFound, "not_found")
            expectError(try await client.send(.get, "/api/v1/after-sales/\(id)", headers: other.auth), .notFound, "not_found")
            expectError(try await client.send(.post, "/api/v1/after-sales/\(id)/cancel", headers: other.auth), .notFound, "not_found")
            #expect((try await client.send(.get, "/api/v1/after-sales", headers: other.auth).json["data"] as? [Any])?.isEmpty == true)
            expectError(try await client.send(.post, "/api/v1/after-sales/\(id)/approve", headers: buyer.auth), .forbidden, "forbidden")
            expectError(try await client.send(.get, "/api/v1/commissions", headers: buyer.auth), .forbidden, "forbidden")
            expectError(try await client.send(.get, "/api/v1/orders/\(order)", headers: buyer.auth), .forbidden, "forbidden")
            expectError(try await client.send(.get, "/api/v1/buyer/me"), .forbidden, "forbidden")

            // The buyer withdraws it, then signs out: the token stops working.
            #expect(try await client.send(.post, "/api/v1/after-sales/\(id)/cancel", headers: buyer.auth).json["status"] as? String == "cancelled")
            #expect(try await client.send(.delete, "/api/v1/buyer/sessions", headers: buyer.auth).status == .noContent)
            try await Task.sleep(for: .seconds(6))
            expectError(try await client.send(.get, "/api/v1/buyer/me", headers: buyer.auth), .unauthorized, "invalid_token")
        }
    }

    /// Fifty requests at once for one phone send one code; forty phones at once from one address
    /// get twenty (the per-address limit), on PostgreSQL too.
    @Test(arguments: TestDatabase.available)
    func concurrentCodeRequestsCannotPassTheLimits(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let one = try await OrdersAPITests.atOnce(50) { _ in
                try await client.send(.post, "/api/v1/buyer/sms-codes", headers: jsonOnly, body: #"{"phone":"13600136000"}"#).status
            }
            #expect(one.filter { $0 == .accepted }.count == 1 && one.filter { $0 == .tooManyRequests }.count == 49)
            let many = try await OrdersAPITests.atOnce(40) { n in
                try await client.send(.post, "/api/v1/buyer/sms-codes", headers: jsonOnly, body: #"{"phone":"1350013\#(String(format: "%04d", n))"}"#).status
            }
            #expect(many.filter { $0 == .accepted }.count == 19 && many.filter { $0 == .tooManyRequests }.count == 21, "\(many)")
        }
    }

    /// Codes are single-use, expire after five minutes, allow five wrong tries, and a phone gets
    /// one a minute.
    @Test(arguments: TestDatabase.available)
    func codesExpireAreUsedOnceAndAreRateLimited(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let phone = "13700137000"
            let sent = try await client.send(.post, "/api/v1/buyer/sms-codes", headers: jsonOnly, body: #"{"phone":"\#(phone)"}"#)
            let code = try #require(sent.json["sandbox_code"] as? String)
            expectError(try await client.send(.post, "/api/v1/buyer/sms-codes", headers: jsonOnly, body: #"{"phone":"\#(phone)"}"#), .tooManyRequests, "rate_limited")
            expectError(try await client.send(.post, "/api/v1/buyer/sms-codes", headers: jsonOnly, body: #"{"phone":"12345"}"#), .unprocessableContent, "validation_failed")
            let wrong = code == "000000" ? "111111" : "000000"
            // 50 sign-ins at once with the right code: one session.
            let results = try await OrdersAPITests.atOnce(50) { _ in
                try await client.send(.post, "/api/v1/buyer/sessions", headers: jsonOnly, body: #"{"phone":"\#(phone)","code":"\#(code)"}"#).status
            }
            #expect(results.filter { $0 == .created }.count == 1)
            expectError(try await client.send(.post, "/api/v1/buyer/sessions", headers: jsonOnly, body: #"{"phone":"\#(phone)","code":"\#(code)"}"#),
                        .unprocessableContent, "invalid_code")

            try await client.advance(seconds: 61)
            let second = try #require(try await client.send(.post, "/api/v1/buyer/sms-codes", headers: jsonOnly, body: #"{"phone":"\#(phone)"}"#)
                .json["sandbox_code"] as? String)
            for _ in 0..<5 {
                expectError(try await client.send(.post, "/api/v1/buyer/sessions", headers: jsonOnly, body: #"{"phone":"\#(phone)","code":"\#(wrong)"}"#),
                            .unprocessableContent, "invalid_code")
            }
            // Five wrong tries lock the code, even the right one.
            expectError(try await client.send(.post, "/api/v1/buyer/sessions", headers: jsonOnly, body: #"{"phone":"\#(phone)","code":"\#(second)"}"#),
                        .unprocessableContent, "invalid_code")

            try await client.advance(seconds: 61)
            let third = try #require(try await client.send(.post, "/api/v1/buyer/sms-codes", headers: jsonOnly, body: #"{"phone":"\#(phone)"}"#)
                .json["sandbox_code"] as? String)
            try await client.advance(seconds: 301)
            expectError(try await client.send(.post, "/api/v1/buyer/sessions", headers: jsonOnly, body: #"{"phone":"\#(phone)","code":"\#(third)"}"#),
                        .unprocessableContent, "invalid_code")
            let sms = try #require(tuike.messaging.sms as? SandboxMessageProvider)
            #expect(sms.messages.filter { $0.to == phone && $0.template == "login_code" }.count == 3)
        }
    }

    /// The account page offers an after-sale for each physical line of an order, and the form's
    /// line is the one asked about.
    @Test(arguments: TestDatabase.available)
    func theAccountPageAsksAboutEachLine(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await GoodsWorld.make(client)
            let buyer = try await client.signInBuyer()
            let created = try await client.send(.post, "/api/v1/orders", body: """
                {"buyer_id":"\(buyer.id)","items":[{"product_id":"\(world.product)","quantity":1,"sku":"TS-W-L"},
                 {"product_id":"\(world.product)","quantity":1,"sku":"TS-B-M"}],"shipping_address":\(GoodsWorld.address)}
                """)
            let order = try #require(created.json["id"] as? String, "\(created.text)")
            _ = try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"pay-two-lines"}"#)
            let lines = try #require(created.json["items"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            #expect(lines.count == 2)

            let page = try await client.send(.get, "/account", headers: [.cookie: "\(BuyerPages.cookieName)=\(buyer.token)"])
            #expect(page.status == .ok)
            for line in lines { #expect(page.text.contains(#"<option value="\#(line)">"#), "\(line)") }
            let csrf = try #require(page.headers[values: .setCookie].first { $0.hasPrefix("tk_csrf=") }?.split(separator: ";").first?.dropFirst(8))
            let form = try #require(page.text.range(of: "data-after-sale").map { String(page.text[$0.upperBound...]) })
            let nonce = try #require(form.firstMatch(of: /name="_nonce" value="([^"]+)"/)?.1)
            let asked = try await client.send(.post, "/account/orders/\(order)/after-sales",
                                              headers: [.cookie: "\(BuyerPages.cookieName)=\(buyer.token); tk_csrf=\(csrf)",
                                                        .contentType: "application/x-www-form-urlencoded"],
                                              body: "_csrf=\(csrf)&_nonce=\(nonce)&type=refund&item_id=\(lines[1])&amount=109.00&reason=size")
            #expect(asked.status == .seeOther, "\(asked.text)")
            let afterSales = try #require(try await client.send(.get, "/api/v1/after-sales?order_id=\(order)").json["data"] as? [[String: Any]])
            #expect(afterSales.map { $0["item_id"] as? String } == [lines[1]], "\(afterSales)")
        }
    }
}
