import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

@Suite struct AnalyticsPagesTests {
    /// The console's analytics: charts beside their tables, CSV downloads, the referral tree, and
    /// the simulator (owner only) showing a draft's cost and its verdict before anything changes.
    @Test(arguments: TestDatabase.available)
    func theConsoleShowsReportsTreeAndSimulation(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            _ = try await SimulationAPITests.history(client, seed: 41)
            let browsers = try await ConsoleBrowser.everyRole(client)
            let owner = try #require(browsers["owner"]), finance = try #require(browsers["finance"])
            let page = try await owner.get("/admin/analytics?lang=en")
            #expect(page.status == .ok)
            #expect(page.text.components(separatedBy: "<figure class=\"chart\"><svg").count == 4, "\(page.text)")
            #expect(page.text.contains("Return on commission by product") && page.text.contains("id=\"leaderboard\""))
            #expect(page.text.contains("href=\"/admin/analytics/exports/roi.csv?by=product\""))
            let csv = try await finance.get("/admin/analytics/exports/roi.csv?by=promoter")
            #expect(csv.status == .ok && csv.text.hasPrefix("\u{FEFF}key,name,orders"), "\(csv.text)")
            #expect(try await finance.get("/admin/analytics/exports/secrets.csv").status == .notFound)
            #expect(try await client.send(.get, "/admin/analytics/exports/roi.csv", headers: [:]).headers[.location] == "/admin/login")

            let tree = try await owner.get("/admin/analytics/spread")
            #expect(tree.status == .ok && tree.text.contains("<circle") && tree.text.contains("data-row"))

            // The draft is shown, not applied: the program keeps its levels.
            let before = try await client.send(.get, "/api/v1/program").json["levels"] as? [Int]
            let simulated = try await owner.get("/admin/analytics/simulate?levels=4000,2000&rule_type=percent&lang=en")
            #expect(simulated.status == .ok && simulated.text.contains("id=\"result\"") && simulated.text.contains("✗"), "\(simulated.text)")
            #expect(try await client.send(.get, "/api/v1/program").json["levels"] as? [Int] == before)
            let fine = try await owner.get("/admin/analytics/simulate?levels=1000,200&rule_type=percent")
            #expect(fine.text.contains("✓") && fine.text.contains("id=\"promoters\""))
            let bad = try await owner.get("/admin/analytics/simulate?levels=ten")
            #expect(bad.text.contains("data-error"))
            // A campaign alone, over the period: a richer one is judged; an unknown product is an error.
            let campaign = try await owner.get("/admin/analytics/simulate?campaign_levels=6000&rule_type=percent&lang=en")
            #expect(campaign.status == .ok && campaign.text.contains("id=\"result\"") && campaign.text.contains("campaign draft-001"), "\(campaign.text)")
            let unknown = try await owner.get("/admin/analytics/simulate?campaign_levels=1000&campaign_product=prd_nope")
            #expect(unknown.text.contains("data-error") && unknown.text.contains("prd_nope"))
            #expect(try await finance.get("/admin/analytics/simulate").status == .forbidden)
        }
    }
}
