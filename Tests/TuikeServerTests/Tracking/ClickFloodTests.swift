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
