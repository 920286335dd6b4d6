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
