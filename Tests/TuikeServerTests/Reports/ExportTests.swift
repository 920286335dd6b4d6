import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
@testable import TuikeStore
import TuikeTestSupport

/// CSV exports are written page by page (`CSVExport`: 100 rows, then twice as many each page up
/// to 1,000). Across the page boundaries every row comes once, newest first, as the list shows it.
@Suite struct ExportTests {
    @Test(arguments: TestDatabase.available)
    func exportsCrossTheirPagesWithEveryRowOnce(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await OrdersAPITests.world(client)
            // 170 orders, two commission levels each: 340 commissions, four pages (100, 200, 40).
            for index in 0..<170 {
                _ = try await client.paidOrder(world, buyer: "buyer-\(index)", payment: "pay-\(index)")
            }
            let csv = try await client.send(.get, "/api/v1/exports/commissions.csv")
            #expect(csv.status == .ok && csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            // A byte-order mark first (for spreadsheets), CRLF line ends (one Character in Swift).
            let lines = csv.text.replacingOccurrences(of: CSV.byteOrderMark, with: "").split(whereSeparator: \.isNewline).map(String.init)
            let ids = lines.dropFirst().compactMap { $0.split(separator: ",").first.map(String.init) }
            #expect(lines.first?.hasPrefix("commission_id,") == true)
            #expect(ids.count == 340 && Set(ids).count == 340, "\(ids.count) rows, \(Set(ids).count) distinct")
            #expect(ids == ids.sorted(by: >), "newest first")
        }
    }
}
