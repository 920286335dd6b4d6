import SQLKit
import TuikeCore

/// The plan simulator's reads (`PlanSimulation`): the orders paid in a span, page by page, with
/// the inputs their payments kept and the commissions they booked. Reads only.
public struct SimulationQuery: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    /// Orders read per round: a page of lines and their commissions in three statements.
    static let pageSize = 500

    /// Replays every order paid in `[from, to)` under `draft`; `program` is today's default rule
    /// and `timeZone` the program's (for the month a draft ladder counts in).
    public func run(from: Instant, to: Instant, draft: PlanDraft, program: CommissionRule, timeZone: String) async throws -> PlanSimulation {
        var simulation = PlanSimulation()
        var after: String?
        var seen: Set<String> = []
        var months = MonthCounts(timeZone: timeZone)
        let dialect = database.dialect
        let closed = try await ClosedMonths.spanned(from: from, to: to, timeZone: timeZone, database: database)
        simulation.ladderMonths = closed.months.count
        while true {
            let cursor = after
            let page = try await database.read { db in try await Self.page(from: from, to: to, after: cursor, dialect: dialect, in: db) }
            guard let last = page.payments.last else { break }
            after = last.rowID
            for payment in page.payments where seen.insert(payment.orderID).inserted {
                guard let order = page.orders[payment.orderID] else { continue }
                let inputs = payment.inputs.flatMap(CommissionInputs.init(text:))
                var count: Int64?
                if let first = order.promoterID, PlanSimulation.needsMonthCount(order, inputs: inputs ?? CommissionInputs(active: [first: 0], monthOrderNumber: nil),
                                                                              draft: draft, program: program) {
                    count = try await months.number(promoterID: first, paidAt: payment.at, database: database)
                }
                simulation.add(order, inputs: inputs, booked: page.booked[order.id] ?? [], draft: draft, program: program, monthCount: count,
                               ladderMonth: order.paidAt.flatMap(closed.month(of:)))
            }
            if page.payments.count < Self.pageSize { break }
            // A month of the large school is seconds of replay: other reports sharing the report
            // thread get their turn between pages instead of after the whole run.
            await Task.yield()
        }
        try await closed.addAdjustments(to: &simulation, months: &months, database: database)
        return simulation
    }

    struct PaidOrder: Sendable {
        let rowID: String
        let orderID: String
        let inputs: String?
        let at: Instant
    }

    struct Page: Sendable {
        let payments: [PaidOrder]
        let orders: [String: Order]
        let booked: [String: [PlanSimulation.Booked]]
    }

    static func page(from: Instant, to: Instant, after: String?, dialect: Dialect, in db: any SQLDatabase) async throws -> Page {
        let within = MadeWithin(start: from, end: to, dialect: dialect)
        let next: SQLQueryString = after.map { "p.id > \(bind: $0)" } ?? "1 = 1"
        let payments = try await db.rows("""
            SELECT p.id, p.order_id, p.commission_inputs, p.created_at FROM payments p
            WHERE \(within("p", prefix: "pay")) AND \(next) ORDER BY p.id LIMIT \(bind: pageSize)
            """).map { row in
            PaidOrder(rowID: try row.decode(column: "id", as: String.self), orderID: try row.decode(column: "order_id", as: String.self),
                      inputs: try row.decode(column: "commission_inputs", as: String?.self), at: try row.decodeInstant(column: "created_at"))
        }
        guard !payments.isEmpty else { return Page(payments: [], orders: [:], booked: [:]) }
        let orderIDs: [String] = Array(Set(payments.map { $0.orderID })).sorted()
        let ids = SQLList(orderIDs.map { SQLBind($0) })
        let orders = try OrderRepository.decodeOrders(try await db.rows("""
            SELECT \(unsafeRaw: OrderRepository.withLines) WHERE o.id IN (\(ids)) ORDER BY o.id, i.position
            """))
        var booked: [String: [PlanSimulation.Booked]] = [:]
        for row in try await db.rows("""
            SELECT order_id, order_item_id, promoter_id, level, amount FROM commissions WHERE order_id IN (\(ids)) AND kind = 'order' ORDER BY id
            """) {
            booked[try row.decode(column: "order_id", as: String.self), default: []].append(PlanSimulation.Booked(
                itemID: try row.decode(column: "order_item_id", as: String.self), promoterID: try row.decode(column: "promoter_id", as: String.self),
                level: try row.decode(column: "level", as: Int64.self), amount: try row.decode(column: "amount", as: Int64.self)))
        }
        return Page(payments: payments, orders: Dictionary(orders.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }), booked: booked)
    }

    /// A promoter's place in its month for a draft ladder on orders whose payment counted
    /// nothing: the counted orders (`CountedOrders`) of that month paid up to the order, as they
    /// stand now (an order refunded since no longer counts). Each promoter's month is read once.
    struct MonthCounts {
        let timeZone: String
        var paid: [String: [Int64]] = [:]

        init(timeZone: String) { self.timeZone = timeZone }

        mutating func number(promoterID: String, paidAt: Instant, database: any Database) async throws -> Int64 {
            let start = try CalendarMonth.start(of: paidAt, timeZone: timeZone)
            let end = try SettlementPeriod.nextMonth(after: paidAt, timeZone: timeZone)
            let key = "\(promoterID)|\(start.milliseconds)"
            if paid[key] == nil {
                paid[key] = try await database.read { db in
                    try await db.rows("""
                        SELECT paid_at FROM orders WHERE promoter_id = \(bind: promoterID)
                            AND \(CountedOrders.condition(from: start, through: end.adding(milliseconds: -1)))
                        """).map { try $0.decode(column: "paid_at", as: Int64.self) }
                }
            }
            let count = Int64(paid[key, default: []].filter { $0 <= paidAt.milliseconds }.count)
            return max(count, 1)
        }
    }
}
