import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

@Suite struct SandboxPaymentsTests {
    static let signatureHeader = HTTPField.Name(Signature.header)!

    static func order(_ client: any TestClientProtocol) async throws -> String {
        let (product, _, _, visitor) = try await OrdersAPITests.world(client)
        return try await client.send(.post, "/api/v1/orders",
                                     body: #"{"buyer_id":"b1","items":[{"product_id":"\#(product)","quantity":1}],"visitor_id":"\#(visitor)"}"#).json["id"] as! String
    }

    static func callback(_ client: any TestClientProtocol, tuike: TuikeApp, body: String, secret: String? = nil, at: Instant? = nil) async throws -> TestResponse {
        let signature = Signature.sign(body: Data(body.utf8), secret: secret ?? tuike.sandboxPaymentSecret!, at: at ?? tuike.clock.now())
        return try await client.send(.post, "/api/v1/payments/sandbox/callback", headers: [.contentType: "application/json", signatureHeader: signature], body: body)
    }

    @Test(arguments: TestDatabase.available)
    func signedCallbacksPayOnceAndBadOnesChangeNothing(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let order = try await Self.order(client)
            let body = #"{"type":"payment.succeeded","order_id":"\#(order)","payment_id":"sbx_1","amount":50000}"#
            expectError(try await Self.callback(client, tuike: tuike, body: body, secret: "wrong"), .badRequest, "invalid_signature")
            expectError(try await Self.callback(client, tuike: tuike, body: body, at: tuike.clock.now().adding(seconds: -301)), .badRequest, "invalid_signature")
            expectError(try await client.send(.post, "/api/v1/payments/sandbox/callback", headers: jsonOnly, body: body), .badRequest, "invalid_signature")
            // Timestamps at Int64's ends are refused, not trapped on (now - t overflowed and ended the process).
            for t in [Int64.min, Int64.max, -1] {
                let forged: HTTPFields = [.contentType: "application/json", Self.signatureHeader: "t=\(t),v1=00"]
                expectError(try await client.send(.post, "/api/v1/payments/sandbox/callback", headers: forged, body: body), .badRequest, "invalid_signature")
            }
            expectError(try await Self.callback(client, tuike: tuike, body: #"{"type":"payment.succeeded","order_id":"\#(order)","payment_id":"sbx_1","amount":1}"#),
                        .unprocessableContent, "amount_mismatch")
            #expect(try await client.send(.get, "/api/v1/orders/\(order)").json["status"] as? String == "pending_payment")

            let first = try await Self.callback(client, tuike: tuike, body: body)
            #expect(first.status == .ok && first.json["order_status"] as? String == "paid", "\(first.text)")
            let duplicate = try await Self.callback(client, tuike: tuike, body: body)
            #expect(duplicate.status == .ok)
            let fetched = try await client.send(.get, "/api/v1/orders/\(order)")
            #expect((fetched.json["payments"] as? [[String: Any]])?.map { $0["provider"] as? String } == ["sandbox"])
            #expect((try await client.send(.get, "/api/v1/commissions?order_id=\(order)").json["data"] as? [Any])?.count == 2)
        }
    }

    @Test(arguments: TestDatabase.available)
    func theCheckoutPagePaysThroughTheProvider(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let order = try await Self.order(client)
            let page = try await client.send(.get, "/pay/\(order)", headers: [:])
            #expect(page.status == .ok && page.text.contains("¥500.00") && page.text.contains("<form method=\"post\"") && page.text.contains("收银台"))
            let english = try await client.send(.get, "/pay/\(order)?lang=en", headers: [:])
            #expect(english.text.contains("Checkout") && english.text.contains("Pay (sandbox) ¥500.00"), "\(english.text)")
            let paid = try await client.payInSandbox(order)
            #expect(paid.status == .seeOther && paid.headers[.location] == "/pay/\(order)")
            #expect(try await client.send(.get, "/pay/\(order)", headers: [:]).text.contains("已支付"))
            #expect(try await client.send(.get, "/api/v1/orders/\(order)").json["status"] as? String == "paid")
            #expect(try await client.send(.get, "/pay/ord_missing", headers: [:]).status == .notFound)

            // An order that can no longer be paid says so, in words, with no pay button.
            let lapsed = try await Self.order(client)
            _ = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":86400}"#)
            let cancelled = try await client.send(.get, "/pay/\(lapsed)", headers: [:])
            #expect(cancelled.text.contains("已取消") && !cancelled.text.contains("<form method=\"post\""), "\(cancelled.text)")
        }
    }

    @Test(arguments: TestDatabase.available)
    func withoutTheSandboxThereIsNoSandboxProvider(database kind: TestDatabase) async throws {
        try await withTestApp(kind, sandbox: false) { client, tuike async throws in
            #expect(tuike.sandboxPaymentSecret == nil)
            expectError(try await client.send(.post, "/api/v1/payments/sandbox/callback", body: "{}"), .notFound, "not_found")
            #expect(try await client.send(.get, "/pay/ord_x", headers: [:]).status == .notFound)
        }
    }
}

@Suite struct ProviderRefundTests {
    @Test(arguments: TestDatabase.available)
    func sandboxPaymentsAreRefundedThroughTheProvider(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let order = try await SandboxPaymentsTests.order(client)
            #expect(try await client.payInSandbox(order).status == .seeOther)
            let provider = try #require(tuike.paymentProviders["sandbox"] as? SandboxPaymentProvider)
            provider.refuseRefunds(true)
            expectError(try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":10000}"#), .conflict, "provider_refused")
            #expect(try await client.send(.get, "/api/v1/orders/\(order)").json["refunded"] as? Int == 0)
            provider.refuseRefunds(false)
            let refunded = try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":10000}"#)
            #expect(refunded.status == .created)
            // Booked under the number the provider was asked with, so a retry is the same refund.
            #expect((refunded.json["refund"] as? [String: Any])?["refund_id"] as? String == "\(order)-0-10000")
        }
    }
}
