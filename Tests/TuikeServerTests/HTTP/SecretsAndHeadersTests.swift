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
