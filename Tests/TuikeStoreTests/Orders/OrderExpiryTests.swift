import Testing
import TuikeCore
@testable import TuikeStore
import TuikeTestSupport

/// Unpaid orders are cancelled at their timeout by `OrderRepository.expireDue`, a sweep over the
/// unpaid orders, not by a job per order.
@Suite struct OrderExpiryTests {
    static let start = Instant(milliseconds: 1_000_000)

    /// A product with `stock` units, and an order of one unit expiring at `expiresAt`.
    static func order(_ index: Int, expiresAt: Instant, in database: any Database) async throws -> String {
        let id = "ord_expiry_\(index)"
        let item = Order.Item(id: "itm_expiry_\(index)", productID: "prd_stocked", title: "真题集", kind: .physical, unitPrice: 100, quantity: 1,
                              paid: 100, rule: CommissionRule(type: .percent, levels: [1_000]), ruleSource: "program")
        let order = Order(id: id, buyerID: "buyer-\(index)", externalID: nil, status: .pendingPayment, amount: 100, visitorID: nil, clickID: nil,
                          coupon: nil, levelOne: [], levelTwo: nil, levelThree: nil, attributionRule: .none, attributionClickID: nil,
                          selfReferral: false, createdAt: start, items: [item])
        _ = try await OrderRepository(database: database).create(order, expiresAt: expiresAt)
        return id
    }

    static func stockedProduct(_ stock: Int64, in database: any Database) async throws {
        try await ProductRepository(database: database).create(
            Product(id: "prd_stocked", title: "真题集", kind: .physical, price: 100, stock: stock, createdAt: start, updatedAt: start))
    }

    static func status(_ id: String, in database: any Database) async throws -> Order.Status? {
        try await OrderRepository(database: database).find(id)?.status
    }

    static func stock(_ database: any Database) async throws -> Int64? {
        try await ProductRepository(database: database).find("prd_stocked")?.stock
    }

    static func cancelledEvents(_ database: any Database) async throws -> Int {
        try await EventRepository(database: database).list(type: "order.cancelled", subjectID: nil, limit: 1_000, before: nil).count
    }

    @Test(arguments: TestDatabase.available)
    func aSweepCancelsOrdersFromTheirTimeoutOnAndStoresNoJob(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            try await Self.stockedProduct(10, in: database)
            let timeout = Self.start.adding(seconds: 1_800)
            let early = try await Self.order(1, expiresAt: timeout, in: database)
            let alsoEarly = try await Self.order(2, expiresAt: timeout, in: database)
            let later = try await Self.order(3, expiresAt: timeout.adding(milliseconds: 1), in: database)
            let paid = try await Self.order(4, expiresAt: timeout, in: database)
            _ = try await OrderRepository(database: database).markPaid(paid, paymentID: "pay-4", provider: "test", at: Self.start)
            #expect(try await JobQueue(database: database).counts() == JobQueue.Counts())
            #expect(try await Self.stock(database) == 6)

            let orders = OrderRepository(database: database)
            #expect(try await orders.expireDue(at: timeout.adding(milliseconds: -1)) == 0)
            #expect(try await orders.expireDue(at: timeout) == 2)
            #expect(try await Self.status(early, in: database) == .cancelled)
            #expect(try await Self.status(alsoEarly, in: database) == .cancelled)
            #expect(try await Self.status(later, in: database) == .pendingPayment)
            #expect(try await Self.status(paid, in: database) == .paid)
            #expect(try await Self.stock(database) == 8)
            #expect(try await orders.expireDue(at: timeout) == 0)
            #expect(try await orders.expireDue(at: timeout.adding(seconds: 1)) == 1)
            #expect(try await Self.stock(database) == 9)
            #expect(try await Self.cancelledEvents(database) == 3)
        }
    }

    /// More orders due than one round takes: the sweep goes on until none is left.
    @Test(arguments: TestDatabase.available)
    func aSweepTakesRoundAfterRound(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            try await Self.stockedProduct(30, in: database)
            for index in 0..<25 { _ = try await Self.order(index, expiresAt: Self.start, in: database) }
            #expect(try await OrderRepository(database: database).expireDue(at: Self.start, limit: 10) == 25)
            #expect(try await Self.stock(database) == 30)
        }
    }

    /// One due order whose cancellation fails (a trigger refuses it here) holds up no other: the
    /// sweep cancels the rest, then throws; the refused order stays unpaid and is cancelled by a
    /// later sweep once the cause is gone. (On SQLite the failing write shares a batch with the
    /// others, which exercises the writer's replay.)
    @Test(arguments: TestDatabase.available)
    func oneFailingCancellationHoldsUpNoOther(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            try await Self.stockedProduct(5, in: database)
            let ids = [try await Self.order(1, expiresAt: Self.start, in: database), try await Self.order(2, expiresAt: Self.start, in: database),
                       try await Self.order(3, expiresAt: Self.start, in: database)]
            try await database.write { db in
                if database.dialect.kind == .postgres {
                    try await db.execute("CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql")
                    try await db.execute("""
                        CREATE TRIGGER refuse BEFORE UPDATE ON orders FOR EACH ROW WHEN (OLD.id = 'ord_expiry_2') EXECUTE FUNCTION refuse()
                        """)
                } else {
                    try await db.execute("CREATE TRIGGER refuse BEFORE UPDATE ON orders WHEN OLD.id = 'ord_expiry_2' BEGIN SELECT RAISE(ABORT, 'refused'); END")
                }
            }
            let orders = OrderRepository(database: database)
            await #expect(throws: (any Error).self) { try await orders.expireDue(at: Self.start) }
            #expect(try await Self.status(ids[0], in: database) == .cancelled)
            #expect(try await Self.status(ids[1], in: database) == .pendingPayment)
            #expect(try await Self.status(ids[2], in: database) == .cancelled)
            #expect(try await Self.stock(database) == 4)
            try await database.write { db in try await db.execute("DROP TRIGGER refuse\(unsafeRaw: database.dialect.kind == .postgres ? " ON orders" : "")") }
            #expect(try await orders.expireDue(at: Self.start) == 1)
            #expect(try await Self.stock(database) == 5)
            #expect(try await Self.cancelledEvents(database) == 3)
        }
    }

    /// Orders stored before the sweep have no `expires_at` and a job each; the job still cancels
    /// them and the sweep leaves them alone.
    @Test(arguments: TestDatabase.available)
    func ordersStoredWithAJobAreStillCancelledByIt(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            try await Self.stockedProduct(5, in: database)
            let old = try await Self.order(1, expiresAt: Self.start, in: database)
            try await database.write { db in try await db.execute("UPDATE orders SET expires_at = NULL WHERE id = \(bind: old)") }
            try await JobQueue(database: database).schedule(kind: OrderRepository.expireJob, at: Self.start, payload: old,
                                                             dedupeKey: "\(OrderRepository.expireJob):\(old)", now: Self.start)
            #expect(try await OrderRepository(database: database).expireDue(at: Self.start.adding(seconds: 86_400)) == 0)
            let runner = JobRunner(database: database, clock: FixedClock(Self.start),
                                   handlers: [OrderRepository.expireJob: { try await OrderRepository(database: database).expire($0) }],
                                   logger: TestDatabase.logger)
            #expect(try await runner.runDue() == 1)
            #expect(try await Self.status(old, in: database) == .cancelled)
            #expect(try await Self.stock(database) == 5)
        }
    }

    /// Two instances sweep the same due orders at once, several times: each order is cancelled
    /// once, its stock given back once, one event each.
    @Test(arguments: TestDatabase.available)
    func instancesSweepingAtOnceCancelEachOrderOnce(database kind: TestDatabase) async throws {
        try await kind.withInstances(2) { instances async throws in
            try await Self.stockedProduct(60, in: instances[0])
            for index in 0..<60 { _ = try await Self.order(index, expiresAt: Self.start, in: instances[0]) }
            #expect(try await Self.stock(instances[0]) == 0)
            let cancelled = try await withThrowingTaskGroup(of: Int.self) { group in
                for round in 0..<6 {
                    group.addTask { try await OrderRepository(database: instances[round % 2]).expireDue(at: Self.start, limit: 20) }
                }
                return try await group.reduce(0, +)
            }
            #expect(cancelled == 60)
            #expect(try await Self.stock(instances[1]) == 60)
            #expect(try await Self.cancelledEvents(instances[1]) == 60)
        }
    }
}
