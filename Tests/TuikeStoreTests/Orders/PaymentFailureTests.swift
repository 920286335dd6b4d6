import SQLKit
import Synchronization
import Testing
import TuikeCore
@testable import TuikeStore
import TuikeTestSupport

/// A payment whose write fails for a reason of the database's own (not a refusal) looks up whether
/// another order took its payment_id; when even that lookup fails (the database went away), the
/// caller hears the write's error, not the lookup's.
@Suite struct PaymentFailureTests {
    struct WriteFailed: Error {}
    struct Unreadable: Error {}

    /// The reads ahead of `recordPayment`'s write succeed; the write, and every read after it, fail.
    final class FailsOnceWritten: Database {
        let base: any Database
        let wrote = Atomic(false)
        var dialect: Dialect { base.dialect }

        init(_ base: any Database) { self.base = base }

        func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
            guard !wrote.load(ordering: .relaxed) else { throw Unreadable() }
            return try await base.read(body)
        }

        func write<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
            wrote.store(true, ordering: .relaxed)
            throw WriteFailed()
        }

        func writeStatement<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
            try await write(body)
        }

        func shutdown() async throws {}
    }

    @Test(arguments: TestDatabase.available)
    func theWritesErrorIsReportedWhenTheOwnerCannotBeRead(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            try await OrderExpiryTests.stockedProduct(5, in: database)
            let id = try await OrderExpiryTests.order(1, expiresAt: OrderExpiryTests.start.adding(seconds: 1_800), in: database)
            let failing = OrderRepository(database: FailsOnceWritten(database))
            await #expect(throws: WriteFailed.self) {
                _ = try await failing.recordPayment(id, paymentID: "pay-1", provider: "test", at: OrderExpiryTests.start)
            }
            #expect(try await OrderRepository(database: database).find(id)?.status == .pendingPayment)
        }
    }
}
