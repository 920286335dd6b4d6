import Testing
import TuikeCore
@testable import TuikeStore
import TuikeTestSupport

@Suite struct IdempotencyRepositoryTests {
    @Test(arguments: TestDatabase.available)
    func claimCompleteReplayMismatch(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let keys = IdempotencyRepository(database: database)
            let now = Instant(milliseconds: 1_000_000)
            #expect(try await keys.claim(scope: "admin", key: "k1", method: "POST", path: "/p", requestHash: "h", at: now) == .proceed)
            #expect(try await keys.claim(scope: "admin", key: "k1", method: "POST", path: "/p", requestHash: "h", at: now) == .inProgress)
            #expect(try await keys.claim(scope: "promoter:1", key: "k1", method: "POST", path: "/p", requestHash: "h", at: now) == .proceed)
            try await keys.complete(scope: "admin", key: "k1", status: 201, contentType: "application/json", body: "{}", at: now)
            #expect(try await keys.claim(scope: "admin", key: "k1", method: "POST", path: "/p", requestHash: "h", at: now)
                    == .replay(status: 201, contentType: "application/json", body: "{}"))
            #expect(try await keys.claim(scope: "admin", key: "k1", method: "POST", path: "/p", requestHash: "other", at: now) == .mismatch)
            #expect(try await keys.claim(scope: "admin", key: "k1", method: "POST", path: "/q", requestHash: "h", at: now) == .mismatch)
        }
    }

    @Test(arguments: TestDatabase.available)
    func anAbandonedClaimCanBeRetried(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let keys = IdempotencyRepository(database: database)
            let now = Instant(milliseconds: 1_000_000)
            #expect(try await keys.claim(scope: "admin", key: "k", method: "POST", path: "/p", requestHash: "h", at: now) == .proceed)
            try await keys.release(scope: "admin", key: "k")
            #expect(try await keys.claim(scope: "admin", key: "k", method: "POST", path: "/p", requestHash: "h", at: now) == .proceed)
            #expect(try await keys.claim(scope: "admin", key: "k", method: "POST", path: "/p", requestHash: "h", at: now.adding(seconds: 61)) == .proceed)
        }
    }

    @Test(arguments: TestDatabase.available)
    func concurrentClaimsOfOneKeyLetOneProceed(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let keys = IdempotencyRepository(database: database)
            let claims = try await withThrowingTaskGroup(of: IdempotencyRepository.Claim.self) { group in
                for _ in 0..<100 {
                    group.addTask { try await keys.claim(scope: "admin", key: "race", method: "POST", path: "/p", requestHash: "h", at: Instant(milliseconds: 5)) }
                }
                return try await group.reduce(into: [IdempotencyRepository.Claim]()) { $0.append($1) }
            }
            #expect(claims.filter { $0 == .proceed }.count == 1)
            #expect(claims.filter { $0 == .inProgress }.count == 99)
        }
    }

    @Test(arguments: TestDatabase.available)
    func purgeForgetsOldKeys(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let keys = IdempotencyRepository(database: database)
            _ = try await keys.claim(scope: "admin", key: "old", method: "POST", path: "/p", requestHash: "h", at: Instant(milliseconds: 1))
            _ = try await keys.claim(scope: "admin", key: "new", method: "POST", path: "/p", requestHash: "h", at: Instant(milliseconds: 100))
            #expect(try await keys.purge(olderThan: Instant(milliseconds: 50)) == 1)
        }
    }

    /// Old keys go in chunks, oldest first, until none is left; newer keys stay.
    @Test(arguments: TestDatabase.available)
    func purgeGoesInChunks(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let keys = IdempotencyRepository(database: database)
            for index in 0..<12 {
                _ = try await keys.claim(scope: "admin", key: "old-\(index)", method: "POST", path: "/p", requestHash: "h", at: Instant(milliseconds: Int64(index)))
            }
            for scope in ["admin", "promoter:p1"] {
                _ = try await keys.claim(scope: scope, key: "new", method: "POST", path: "/p", requestHash: "h", at: Instant(milliseconds: 100))
            }
            #expect(try await keys.purge(olderThan: Instant(milliseconds: 50), chunk: 5) == 12)
            #expect(try await keys.purge(olderThan: Instant(milliseconds: 50), chunk: 5) == 0)
            let left = try await database.read { db in
                try await db.rows("SELECT principal FROM idempotency_keys ORDER BY principal").map { try $0.decode(column: "principal", as: String.self) }
            }
            #expect(left == ["admin", "promoter:p1"])
        }
    }
}
