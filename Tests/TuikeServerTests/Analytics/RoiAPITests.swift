import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

@Suite struct RoiAPITests {
    /// Over a random history: every grouping adds up to the total, and the total is what the rows
    /// say (payments, refunds of their lines, commissions less reversals); as CSV too.
    @Test(arguments: TestDatabase.available)
    func everyGroupingAddsUpToTheRows(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, app async throws in
            let (paid, _) = try await SimulationAPITests.history(client, seed: 31)
            let window = SimulationAPITests.window
            let expected = try await app.database.read { db in
                try await db.one("""
                    SELECT (SELECT CAST(SUM(amount) AS BIGINT) FROM payments) AS gmv,
                        (SELECT CAST(COALESCE(SUM(refunded), 0) AS BIGINT) FROM orders WHERE paid_at IS NOT NULL) AS refunded,
                        (SELECT CAST(COALESCE(SUM(amount - reversed), 0) AS BIGINT) FROM commissions WHERE kind = 'order') AS commission
                    """)
            }
            var totals: [String: [String: Any]] = [:]
            for grouping in ["product", "promoter", "campaign"] {
                let response = try await client.send(.get, "/api/v1/reports/roi?by=\(grouping)&from=\(window.from)&to=\(window.to)")
                #expect(response.status == .ok, "\(response.text)")
                let total = try #require(response.json["total"] as? [String: Any])
                totals[grouping] = total
                let rows = try #require(response.json["data"] as? [[String: Any]])
                let sum = { (field: String) in rows.reduce(0) { $0 + ($1[field] as? Int ?? 0) } }
                if grouping == "campaign" {
                    #expect(rows.allSatisfy { ($0["key"] as? String)?.hasPrefix("campaign:") == true })
                    continue
                }
                for field in ["gmv", "refunded", "commission"] { #expect(sum(field) == total[field] as? Int, "\(grouping) \(field)") }
                #expect(rows.map { $0["gmv"] as? Int ?? 0 } == rows.map { $0["gmv"] as? Int ?? 0 }.sorted(by: >))
            }
            let total = try #require(totals["product"])
            let gmv = try expected.decode(column: "gmv", as: Int.self)
            #expect(total["orders"] as? Int == paid && total["gmv"] as? Int == gmv)
            #expect(total["refunded"] as? Int == (try expected.decode(column: "refunded", as: Int.self)))
            #expect(total["commission"] as? Int == (try expected.decode(column: "commission", as: Int.self)))
            #expect((total["promoter_share_bps"] as? Int).map { $0 > 0 && $0 <= 10_000 } == true && total["cost_per_order"] is Int)

            let csv = try await client.send(.get, "/api/v1/reports/roi?by=promoter&format=csv&from=\(window.from)&to=\(window.to)")
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8" && csv.text.hasPrefix("\u{FEFF}key,name,orders,gmv"))
            #expect(csv.text.contains("(total),(total),\(paid),"))
            let board = try await client.send(.get, "/api/v1/leaderboards/month?format=csv")
            #expect(board.status == .ok && board.text.hasPrefix("\u{FEFF}rank,promoter_id,name,value\r\n1,"), "\(board.text)")
            let funnel = try await client.send(.get, "/api/v1/reports/funnel?format=csv")
            #expect(funnel.status == .ok && funnel.text.components(separatedBy: "\r\n").count == 3)
            // The groups of greatest GMV only, with how many there are; the CSV has them all.
            let all = try await client.send(.get, "/api/v1/reports/roi?by=promoter&from=\(window.from)&to=\(window.to)").json
            let top = try await client.send(.get, "/api/v1/reports/roi?by=promoter&limit=1&from=\(window.from)&to=\(window.to)").json
            let groups = (all["data"] as? [[String: Any]])?.count ?? 0
            #expect(groups > 1 && all["groups"] as? Int == groups && top["groups"] as? Int == groups)
            #expect((top["data"] as? [[String: Any]])?.map { $0["key"] as? String } == [(all["data"] as? [[String: Any]])?.first?["key"] as? String])
            #expect((top["total"] as? [String: Any])?["gmv"] as? Int == (all["total"] as? [String: Any])?["gmv"] as? Int)
            #expect(csv.text.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == groups + 2, "header, every group, the total")
            for bad in ["0", "1001", "x"] {
                expectError(try await client.send(.get, "/api/v1/reports/roi?limit=\(bad)"), .unprocessableContent, "validation_failed")
            }
            expectError(try await client.send(.get, "/api/v1/reports/roi?by=video"), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.get, "/api/v1/reports/roi?format=xml"), .unprocessableContent, "validation_failed")
        }
    }
}
