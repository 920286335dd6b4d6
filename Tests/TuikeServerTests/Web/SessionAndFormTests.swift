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

@Suite struct SessionAndFormTests {
    /// A promoter with 200.00 available logged in to the portal; its session cookie and CSRF token.
    static func portalSession(_ client: any TestClientProtocol) async throws -> (promoter: String, browser: ConsoleBrowser) {
        let promoter = try await client.createPromoter("推客小李", phone: "13911113333")["id"] as! String
        _ = try await client.send(.post, "/api/v1/adjustments", body: #"{"promoter_id":"\#(promoter)","amount":20000,"reason":"bonus"}"#)
        #expect(try await client.send(.put, "/api/v1/promoters/\(promoter)/password", body: #"{"password":"secret-123"}"#).status == .noContent)
        return (promoter, try await ConsoleBrowser.portal(client, phone: "13911113333", password: "secret-123"))
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
            // Another form of the same page (same nonce, same fields, another path) is another order.
            let other = try await client.send(.post, "/api/v1/products", body: #"{"title":"另一门课","price":100}"#).json["id"] as! String
            let second = try await browser.post("/p/\(other)/buy", [:], nonce: "buy-nonce-0123456789")
            #expect(second.status == .seeOther && second.headers[.location] != first.headers[.location], "\(second.text)")
            #expect(try await OrdersAPITests.count("orders", in: tuike.database) == 2)
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
            portal = try await ConsoleBrowser.portal(client, phone: "13911113333", password: "secret-123")
            #expect(try await portal.get("/me").status == .ok)
            #expect(try await client.send(.post, "/api/v1/promoters/\(promoter)/suspend", body: #"{"reason":"review"}"#).status == .ok)
            #expect(try await portal.get("/me").headers[.location] == "/me/login", "suspension signs the promoter out")

            _ = try await client.send(.post, "/api/v1/promoters/\(promoter)/reactivate", body: #"{"reason":"cleared"}"#)
            portal = try await ConsoleBrowser.portal(client, phone: "13911113333", password: "secret-123")
            #expect(try await portal.get("/me").status == .ok)
            #expect(try await client.send(.post, "/api/v1/promoters/\(promoter)/terminate", body: #"{"reason":"left"}"#).status == .ok)
            #expect(try await portal.get("/me").headers[.location] == "/me/login", "termination signs the promoter out")
        }
    }

    /// A console user whose role or password changes, or who is removed, is signed out at once.
    @Test(arguments: TestDatabase.available)
    func consoleSessionsEndWhenAccessChanges(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let created = try await client.send(.post, "/api/v1/admin-users", body: #"{"username":"finance-user","password":"console-pass","role":"finance"}"#)
            let finance = try #require(created.json["id"] as? String)
            let (firstCookie, firstCSRF) = try await ConsoleTests.login(client, "finance-user")
            var console = ConsoleBrowser(client: client, cookie: firstCookie, csrf: firstCSRF)
            #expect(try await console.get("/admin").status == .ok)
            let users = try await client.send(.post, "/api/v1/admin-users", body: #"{"username":"other-user","password":"console-pass","role":"operator"}"#)
            let other = try #require(users.json["id"] as? String)

            let lowered = try await client.send(.patch, "/api/v1/admin-users/\(finance)", body: #"{"role":"operator"}"#)
            #expect(lowered.status == .ok && lowered.json["role"] as? String == "operator", "\(lowered.text)")
            #expect(try await console.get("/admin").headers[.location] == "/admin/login", "a changed role signs the user out")

            let (cookie, csrf) = try await ConsoleTests.login(client, "finance-user")
            console = ConsoleBrowser(client: client, cookie: cookie, csrf: csrf)
            #expect(try await console.get("/admin").status == .ok)
            #expect(try await client.send(.patch, "/api/v1/admin-users/\(finance)", body: #"{"password":"another-pass"}"#).status == .ok)
            #expect(try await console.get("/admin").headers[.location] == "/admin/login", "a new password signs the user out")

            #expect(try await client.send(.delete, "/api/v1/admin-users/\(other)").status == .noContent)
            #expect(try await client.send(.delete, "/api/v1/admin-users/\(other)").status == .notFound)
            #expect(try await client.send(.patch, "/api/v1/admin-users/\(other)", body: #"{"role":"owner"}"#).status == .notFound)
            #expect(try await client.send(.patch, "/api/v1/admin-users/\(finance)", body: #"{"role":"root"}"#).status == .unprocessableContent)
            #expect(try await client.send(.patch, "/api/v1/admin-users/\(finance)", body: "{}").status == .unprocessableContent)
            // The username is free again once its user is removed.
            #expect(try await client.send(.post, "/api/v1/admin-users", body: #"{"username":"other-user","password":"console-pass","role":"operator"}"#).status == .created)
        }
    }
}
