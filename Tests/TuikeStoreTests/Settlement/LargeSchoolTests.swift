import Foundation
import Testing
import TuikeBench
import TuikeCore
@testable import TuikeStore
import TuikeTestSupport

/// The benchmark's school, written by bulk statements rather than Tuike's own paths (on
/// PostgreSQL with the running-balance trigger off), must still be books Tuike would keep:
/// running balances and control accounts that the ledger check finds equal to the journal, a
/// zero trial balance, and open positions that agree.
@Suite struct LargeSchoolTests {
    @Test(arguments: TestDatabase.available)
    func aSmallSchoolIsConsistentBooks(_ kind: TestDatabase) async throws {
        try await kind.withDatabase { database in
            let now = Instant(milliseconds: 1_796_000_000_000)
            let report = try await LargeSchool.seed(promoters: 40, clicks: 2_000, orders: 600, now: now, database: database)
            #expect(report.consistent, "\(report)")
            let check = try await LedgerCheck.run(database: database, at: now)
            #expect(check.consistent, "\(check)")
            let trial = try await JournalRepository.trialBalance(database: database)
            #expect(trial.reduce(Int64(0)) { $0 + $1.balance } == 0 && trial.contains { $0.account == "promoter:*:available" }, "\(trial)")
        }
    }
}
