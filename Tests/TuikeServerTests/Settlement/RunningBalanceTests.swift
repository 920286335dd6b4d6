import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

/// Running balances (`AccountBalances`) against the journal they summarise.
@Suite struct RunningBalanceTests {
    /// Random rounds of every money operation, several of each round at once: payments, partial
    /// and full refunds (clawbacks once settled), adjustments either way, settlements, withdrawals
    /// approved, paid, failed and rejected. After each round every account's running balance equals
    /// the sum of its postings, and every promoter's balance read from them equals the journal's.
    @Test(arguments: TestDatabase.available)
    func runningBalancesFollowTheJournal(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, app async throws in
            let world = try await OrdersAPITests.world(client)
            var random = SplitMix(seed: 2026)
            var orders: [String] = []
            var next = 0
            for round in 0..<6 {
                // Payments.
                let paid = try await OrdersAPITests.atOnce(6) { n in
                    try await client.paidOrder(world, buyer: "buyer-\(round)-\(n)", payment: "pay-\(round)-\(n)")
                }
                orders += paid
                // Refunds of earlier orders, partial or whole, and adjustments, at once.
                let refunded = (0..<4).map { _ in orders[random.next(orders.count)] }
                let amounts = (0..<4).map { _ in Int64(1 + random.next(50_000)) }
                let adjustments = (0..<3).map { _ in Int64(random.next(20_000)) - 5_000 }
                next += 1
                let tag = next
                _ = try await OrdersAPITests.atOnce(7) { n in
                    if n < 4 {
                        return try await client.send(.post, "/api/v1/orders/\(refunded[n])/refunds",
                                                     body: #"{"amount":\#(amounts[n]),"refund_id":"rf-\#(tag)-\#(n)"}"#).status
                    }
                    let amount = adjustments[n - 4] == 0 ? 1 : adjustments[n - 4]
                    return try await client.send(.post, "/api/v1/adjustments",
                                                 body: #"{"promoter_id":"\#(n % 2 == 0 ? world.a : world.b)","amount":\#(amount),"reason":"round \#(tag)"}"#).status
                }
                // Eight days later a settlement has run; withdrawals race for the available money.
                try await client.advance(seconds: 8 * 86_400)
                _ = try await client.send(.post, "/api/v1/settlements", body: #"{"period_end":"\#(try await client.advance(seconds: 1))"}"#)
                let withdrawals = try await OrdersAPITests.atOnce(5) { n in
                    try await client.send(.post, "/api/v1/withdrawals",
                                          body: #"{"promoter_id":"\#(n % 2 == 0 ? world.a : world.b)","amount":\#(10_000 + n * 700),"channel":"bank"}"#)
                }
                for (n, created) in withdrawals.enumerated() where created.status == .created {
                    guard let id = created.json["id"] as? String else { continue }
                    _ = try await client.send(.post, "/api/v1/withdrawals/\(id)/\(n % 3 == 0 ? "reject" : "approve")", body: #"{"reason":"round"}"#)
                }
                try await client.expectBalanced()
                for promoter in [world.a, world.b] {
                    let journal = try await Self.owedFromPostings(promoter, database: app.database)
                    let read = try await client.balance(promoter)
                    #expect(read["pending"] == journal.pending && read["available"] == journal.available && read["withdrawing"] == journal.withdrawing,
                            "\(read) against \(journal)")
                }
            }
        }
    }

    /// A running balance changed behind the journal's back is found by the check, named with both
    /// figures, and the reconciliation report stops calling the books consistent.
    @Test(arguments: TestDatabase.available)
    func aCorruptedTotalIsReported(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, app async throws in
            let world = try await OrdersAPITests.world(client)
            _ = try await client.paidOrder(world)
            try await client.expectBalanced()
            let account = "promoter:\(world.b):pending"
            try await app.database.write { db in
                try await db.execute("UPDATE account_balances SET credits = credits + 7 WHERE account = \(bind: account)")
            }
            let check = try await client.send(.post, "/api/v1/ledger/checks")
            #expect(check.json["consistent"] as? Bool == false)
            let differences = check.json["differences"] as? [[String: Any]] ?? []
            #expect(differences.count == 1 && differences.first?["account"] as? String == account, "\(check.text)")
            if let line = differences.first, let journal = line["journal"] as? Int, let running = line["running"] as? Int {
                #expect(running == journal - 7)
            }
            let latest = try await client.send(.get, "/api/v1/ledger/checks/latest")
            #expect(latest.json["consistent"] as? Bool == false)
            let report = try await client.send(.get, "/api/v1/reports/reconciliation?from=2000-01-01&to=2100-01-01")
            #expect(report.json["consistent"] as? Bool == false, "\(report.text)")

            // Put right, then the control account of every promoter's pending commissions, which
            // the trial balance shows in their place, is the one found wrong.
            try await app.database.write { db in
                try await db.execute("UPDATE account_balances SET credits = credits - 7 WHERE account = \(bind: account)")
            }
            #expect(try await client.send(.post, "/api/v1/ledger/checks").json["consistent"] as? Bool == true)
            let trial = try await client.send(.get, "/api/v1/ledger/trial-balance")
            #expect(trial.text.contains("promoter:*:pending") && !trial.text.contains(account), "\(trial.text)")
            let detailed = try await client.send(.get, "/api/v1/ledger/trial-balance?detail=promoters")
            #expect(detailed.text.contains(account) && !detailed.text.contains("promoter:*:"), "\(detailed.text)")
            try await app.database.write { db in
                try await db.execute("UPDATE account_balances SET debits = debits + 5 WHERE account = 'promoter:*:pending'")
            }
            let control = try await client.send(.post, "/api/v1/ledger/checks")
            #expect(control.json["consistent"] as? Bool == false)
            let named = (control.json["differences"] as? [[String: Any]] ?? []).compactMap { $0["account"] as? String }
            #expect(named == ["promoter:*:pending"], "\(control.text)")
        }
    }

    static func owedFromPostings(_ promoter: String, database: any Database) async throws -> (pending: Int, available: Int, withdrawing: Int) {
        try await database.read { db in
            var owed: [String: Int] = [:]
            for row in try await db.rows("""
                SELECT account, CAST(SUM(amount) AS BIGINT) AS balance FROM journal_postings WHERE account LIKE \(bind: "promoter:\(promoter):%") GROUP BY account
                """) {
                owed[try row.decode(column: "account", as: String.self)] = -(try row.decode(column: "balance", as: Int.self))
            }
            return (owed["promoter:\(promoter):pending"] ?? 0, owed["promoter:\(promoter):available"] ?? 0, owed["promoter:\(promoter):withdrawing"] ?? 0)
        }
    }
}
