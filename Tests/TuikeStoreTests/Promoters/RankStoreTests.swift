import Testing
import TuikeCore
@testable import TuikeStore
import TuikeTestSupport

/// Rank recomputation scans outside the write and writes only changes that still hold.
@Suite struct RankStoreTests {
    static func rank(_ name: String, bonus: Int64) -> Rank {
        Rank(id: Identifier.make("rnk", at: World.start), name: name, metric: .paidOrders, threshold: 0, bonusBps: bonus)
    }

    static func rankIDs(_ database: any Database) async throws -> [String?] {
        try await database.read { db in
            try await db.rows("SELECT rank_id FROM promoters ORDER BY id").map { try $0.decode(column: "rank_id", as: String?.self) }
        }
    }

    @Test(arguments: TestDatabase.available)
    func aChangeThatNoLongerHoldsIsNotWritten(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            _ = try await World(database)
            let ranks = RankRepository(database: database)
            let now = World.start.adding(seconds: 86_400)
            let base = Self.rank("普通", bonus: 0)
            try await ranks.create(base, at: now)
            let scanned = try await database.read { db in try await RankRepository.changes(since: World.start, until: now, in: db) }
            #expect(scanned.count == 4 && scanned.allSatisfy { $0.from == nil && $0.to == base.id })

            // A recompute overtakes the scanned one; then a better rank arrives.
            #expect(try await ranks.recompute(at: now) == 4)
            let gold = Self.rank("金牌", bonus: 500)
            try await ranks.create(gold, at: now)
            let later = try await database.read { db in try await RankRepository.changes(since: World.start, until: now, in: db) }
            #expect(later.count == 4 && later.allSatisfy { $0.from == base.id && $0.to == gold.id })

            // The older scan's changes no longer hold: nobody goes back to the base rank.
            #expect(try await database.write { db in try await RankRepository.apply(scanned, in: db) } == 0)
            #expect(try await Self.rankIDs(database) == Array(repeating: base.id, count: 4))

            // The gold rank is deleted after the scan: nobody is given it, and nothing fails.
            #expect(try await ranks.delete(gold.id))
            #expect(try await database.write { db in try await RankRepository.apply(later, in: db) } == 0)
            #expect(try await Self.rankIDs(database) == Array(repeating: base.id, count: 4))
            #expect(try await ranks.recompute(at: now) == 0)
        }
    }
}
