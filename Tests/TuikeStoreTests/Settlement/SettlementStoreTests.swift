import Testing
import TuikeCore
import TuikeBench
import TuikeStore
import TuikeTestSupport

@Suite struct SettlementStoreTests {
    /// Runners settle the same period at the same moment, several times each: one batch, every
    /// commission settled once, every promoter credited once. On PostgreSQL they run on two pools
    /// (two app instances); SQLite is one instance by design, so its runners share one writer.
    @Test(arguments: TestDatabase.available)
    func racingRunnersMakeOneBatch(database kind: TestDatabase) async throws {
        try await kind.withInstances(kind == .postgres ? 2 : 1) { instances async throws in
            let now = Instant(milliseconds: 1_800_000_000_000)
            try await BenchmarkSeed.pendingCommissions(promoters: 50, commissions: 2_000, eligibleAt: now.adding(seconds: -60), now: now.adding(seconds: -3_600),
                                                       database: instances[0])
            let period = now.adding(seconds: -1)
            let results = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
                for index in 0..<8 {
                    let repository = SettlementRepository(database: instances[index % instances.count])
                    group.addTask {
                        let (batch, created) = try await repository.settle(periodEnd: period, trigger: .scheduled, settings: ProgramSettings(), at: now)
                        return (batch.id, created)
                    }
                }
                return try await group.reduce(into: [(String, Bool)]()) { $0.append($1) }
            }
            #expect(Set(results.map(\.0)).count == 1)
            #expect(results.filter(\.1).count == 1)
            let batch = try #require(try await SettlementRepository(database: instances.last!).find(results[0].0))
            #expect(batch.commissionCount == 2_000 && batch.promoterCount == 50)
            let credited = try await instances.last!.read { db in
                try await db.first("""
                    SELECT CAST(SUM(credits) - SUM(debits) AS BIGINT) AS total, COUNT(*) AS n FROM account_balances WHERE account LIKE 'promoter:%:available' AND account NOT LIKE 'promoter:*:%'
                    """)!
            }
            #expect(try credited.decode(column: "total", as: Int64.self) == batch.net)
            #expect(try credited.decode(column: "n", as: Int64.self) == 50)
            let report = try await ReconciliationQuery(database: instances[0]).report(from: Instant(milliseconds: 0), to: now.adding(seconds: 1))
            #expect(report.consistent, "\(report.checks)")
        }
    }

    /// A batch of 100,000 commissions settles in one transaction. On SQLite its update outgrows the
    /// in-memory statement journal and spills to a temporary file; a spill size of 128 KiB or more
    /// made that spill write nothing and the settlement fail with "database or disk is full".
    @Test(arguments: TestDatabase.available)
    func aLargeBatchSettles(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database in
            let now = Instant(milliseconds: 1_800_000_000_000)
            try await BenchmarkSeed.pendingCommissions(promoters: 1_000, commissions: 100_000, eligibleAt: now.adding(seconds: -60),
                                                       now: now.adding(seconds: -3_600), database: database)
            let (batch, created) = try await SettlementRepository(database: database)
                .settle(periodEnd: now.adding(seconds: -1), trigger: .manual, settings: ProgramSettings(), at: now)
            #expect(created && batch.commissionCount == 100_000 && batch.promoterCount == 1_000)
            let pending = try await database.read { db in
                try await db.first("SELECT COUNT(*) AS n FROM commissions WHERE status = 'pending'")?.decode(column: "n", as: Int64.self)
            }
            #expect(pending == 0)
            let report = try await ReconciliationQuery(database: database).report(from: Instant(milliseconds: 0), to: now.adding(seconds: 1))
            #expect(report.consistent, "\(report.checks)")
        }
    }

    /// A batch that fails after it has marked the commissions settled (here: its statement lines
    /// cannot be written) leaves nothing behind: no batch, every commission still pending, no balance.
    @Test(arguments: TestDatabase.available)
    func aFailedBatchChangesNothing(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database in
            let now = Instant(milliseconds: 1_800_000_000_000)
            try await BenchmarkSeed.pendingCommissions(promoters: 20, commissions: 2_000, eligibleAt: now.adding(seconds: -60),
                                                       now: now.adding(seconds: -3_600), database: database)
            try await database.write { db in try await db.execute("ALTER TABLE settlement_lines RENAME TO settlement_lines_away") }
            await #expect(throws: (any Error).self) {
                try await SettlementRepository(database: database).settle(periodEnd: now.adding(seconds: -1), trigger: .manual,
                                                                          settings: ProgramSettings(), at: now)
            }
            let counts = try await database.read { db in
                try await db.first("""
                    SELECT (SELECT COUNT(*) FROM commissions WHERE status = 'pending' AND settlement_id IS NULL) AS pending,
                           (SELECT COUNT(*) FROM settlements) AS batches, (SELECT COUNT(*) FROM account_balances WHERE account LIKE '%:available') AS balances
                    """)
            }
            #expect(try counts?.decode(column: "pending", as: Int64.self) == 2_000)
            #expect(try counts?.decode(column: "batches", as: Int64.self) == 0)
            #expect(try counts?.decode(column: "balances", as: Int64.self) == 0)
        }
    }
}
