import Foundation
import SQLKit
import TuikeCore
import TuikeStore

/// A year of a large online school, for the read benchmarks (`bench/reads.sh`): twenty products,
/// `promoters` active promoters in three-level teams with a link each, `clicks` clicks and
/// `orders` paid orders over the last 365 days (about 3 % of the orders refunded in full), monthly
/// settlement batches of every commission that became eligible, and withdrawals paid from them.
///
/// Every row is what the product itself would have written: the orders with their line, payment,
/// commissions on up to three levels and course access; per order the `payment` and
/// `commission_accrual` journal entries, per refund the `refund` entry and one
/// `commission_reversal` per commission; per settlement line a `settlement` entry; per withdrawal
/// `withdrawal_requested` and `withdrawal_paid`. So the trial balance is zero and the
/// reconciliation report agrees over any range. Not written: outbox events and
/// webhook deliveries, jobs, audit entries, agreements, login material (the promoters have no
/// phone or password).
///
/// The bulk is generated inside the database by recursive CTEs and arithmetic on the row number
/// (`||`, `CAST`, `CASE`, integer `/` and `%`, `substr`), so SQLite and PostgreSQL run the same
/// statements, chunked so that no statement holds more than a million rows. Ids are deterministic:
/// promoters `prm_s_<i>` with the link `s<i>` (`lnk_s_<i>`), products `prod_s_<k>`; everything else
/// has the product's id format, prefix, 8 base-62 characters of the creation millisecond, then
/// 12 characters, so ids sort by time as the product's do. Times grow with the row number (more of
/// them in recent months), so rows arrive in id order and the indexes fill at their ends.
/// Promoter `prm_s_0` gets by far the most clicks and orders.
public enum LargeSchool {
    public struct Report: Sendable, CustomStringConvertible {
        public struct Phase: Sendable {
            public let name: String
            public let seconds: Double
        }

        public struct Table: Sendable {
            public let name: String
            public let rows: Int64
        }

        public var phases: [Phase] = []
        public var tables: [Table] = []
        public var busiestPromoter = "prm_s_0"
        public var busiestLink = "s0"
        public var busiestClicks: Int64 = 0
        public var busiestOrders: Int64 = 0
        /// The sum of every posting: zero when the journal balances.
        public var journalTotal: Int64 = 0
        /// What the journal owes promoters as pending, and the pending commissions behind it.
        public var pendingInJournal: Int64 = 0
        public var pendingCommissions: Int64 = 0
        /// What the journal holds as withdrawing, and the withdrawals still in flight.
        public var withdrawingInJournal: Int64 = 0
        public var withdrawalsInFlight: Int64 = 0

        public var consistent: Bool {
            journalTotal == 0 && pendingInJournal == pendingCommissions && withdrawingInJournal == withdrawalsInFlight
        }

        public var seconds: Double { phases.reduce(0) { $0 + $1.seconds } }

        mutating func record(_ name: String, since start: ContinuousClock.Instant) {
            let (seconds, attoseconds) = (ContinuousClock.now - start).components
            phases.append(Phase(name: name, seconds: Double(seconds) + Double(attoseconds) / 1e18))
        }

        public var description: String {
            func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
            var lines = ["phase                              seconds"]
            for phase in phases { lines.append(pad(phase.name, 32) + String(format: "%9.1f", phase.seconds)) }
            lines.append(pad("total", 32) + String(format: "%9.1f", seconds))
            lines.append("")
            lines.append("table                                 rows")
            for table in tables { lines.append(pad(table.name, 28) + String(format: "%14lld", table.rows)) }
            lines.append("")
            lines.append("busiest promoter \(busiestPromoter) (link \(busiestLink)): \(busiestClicks) clicks, \(busiestOrders) orders")
            lines.append("journal total \(journalTotal); pending owed \(pendingInJournal), pending commissions \(pendingCommissions); "
                + "withdrawing \(withdrawingInJournal), withdrawals in flight \(withdrawalsInFlight): \(consistent ? "consistent" : "INCONSISTENT")")
            return lines.joined(separator: "\n")
        }
    }

    public struct SeedError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The catalogue: seventeen courses and three physical products, prices in whole yuan so that
    /// every commission rate in whole percent gives whole fen. Courses come first.
    static let catalogue: [(title: String, kind: Product.Kind, price: Int64)] = [
        ("Python 数据分析实战", .course, 39_900), ("考研数学全程班", .course, 129_900), ("雅思 7 分冲刺营", .course, 199_900),
        ("Excel 职场效率课", .course, 9_900), ("PPT 设计进阶", .course, 19_900), ("Java 后端工程师", .course, 299_900),
        ("前端 React 实战", .course, 159_900), ("手机摄影入门", .course, 29_900), ("零基础吉他", .course, 19_900),
        ("少儿编程启蒙", .course, 99_900), ("产品经理训练营", .course, 249_900), ("UI 设计系统课", .course, 189_900),
        ("短视频运营", .course, 59_900), ("日语 N2 备考", .course, 89_900), ("公务员行测精讲", .course, 69_900),
        ("注册会计师财务", .course, 159_900), ("机器学习入门", .course, 199_900),
        ("考研数学真题集（纸质版）", .physical, 8_900), ("雅思词汇书", .physical, 5_900), ("编程学习套装", .physical, 39_900),
    ]

    /// Rows per statement.
    static let clickChunk: Int64 = 1_000_000
    static let orderChunk: Int64 = 200_000
    static let promoterChunk: Int64 = 1_000_000
    static let rowsPerInsert = 200

    /// The program the school runs: three levels (20 %, 5 %, 3 %), monthly settlement, no tax
    /// withheld, a 0.6 % payout fee; the other settings are the defaults.
    public static var settings: ProgramSettings {
        var settings = ProgramSettings.defaults
        settings.levels = [2_000, 500, 300]
        settings.settlementCycle = .monthly
        settings.taxMode = .none
        settings.withdrawal.feeBps = 60
        return settings
    }

    public static func seed(promoters: Int, clicks: Int, orders: Int, now: Instant, database: any Database) async throws -> Report {
        guard promoters > 0, clicks > 0, orders >= 0 else { throw SeedError(description: "need promoters > 0, clicks > 0 and orders >= 0") }
        let existing = try await database.read { db in
            try await db.one("SELECT COUNT(*) AS n FROM promoters").decode(column: "n", as: Int64.self)
        }
        guard existing == 0 else { throw SeedError(description: "the database has \(existing) promoters already: seed an empty one") }
        let settings = Self.settings
        var random = SplitMix(seed: 0x5C4_001)
        let plan = try Plan(promoters: Int64(promoters), clicks: Int64(clicks), orders: Int64(orders), now: now.milliseconds,
                            settings: settings, random: &random)
        // On PostgreSQL a trigger may keep running balances per posting: a million postings to one
        // merchant account in one transaction would rewrite one row a million times. The balances
        // are computed once at the end instead.
        let postgres = database.dialect.kind == .postgres
        if postgres { try await execute(["ALTER TABLE journal_postings DISABLE TRIGGER USER"], on: database) }
        var report: Report
        do {
            report = try await fill(plan, settings: settings, random: &random, database: database)
        } catch {
            if postgres { try? await execute(["ALTER TABLE journal_postings ENABLE TRIGGER USER"], on: database) }
            throw error
        }
        let started = ContinuousClock.now
        if postgres {
            try await execute(["ALTER TABLE journal_postings ENABLE TRIGGER USER"], on: database)
            if try await tableExists("account_balances", in: database) {
                try await execute([
                    "DELETE FROM account_balances",
                    """
                    INSERT INTO account_balances (account, shard, debits, credits)
                    SELECT account, 0, CAST(SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS BIGINT),
                        CAST(SUM(CASE WHEN amount < 0 THEN 0 - amount ELSE 0 END) AS BIGINT)
                    FROM journal_postings GROUP BY account
                    """,
                    ControlAccounts.fill,
                ], on: database)
            }
        }
        // Schemas that keep each promoter's available balance in a table of its own.
        if try await tableExists("promoter_balances", in: database) {
            try await execute(["""
                INSERT INTO promoter_balances (promoter_id, available)
                SELECT substr(account, 10, length(account) - 19), CAST(0 - SUM(amount) AS BIGINT) FROM journal_postings
                WHERE account LIKE 'promoter:%:available' GROUP BY account
                """], on: database)
        }
        // A database a year old has been vacuumed and analysed; a fresh bulk load has not.
        if postgres { try await database.writeStatement { db in try await db.execute("VACUUM ANALYZE") } }
        report.record("running balances", since: started)
        try await summarise(into: &report, database: database)
        return report
    }

    private static func fill(_ plan: Plan, settings: ProgramSettings, random: inout SplitMix, database: any Database) async throws -> Report {
        var report = Report()
        var started = ContinuousClock.now
        try await ProgramRepository(database: database).save(settings, at: Instant(milliseconds: plan.start - 2 * 86_400_000))
        try await execute(plan.productStatements, on: database)
        report.record("settings and catalogue", since: started)

        started = ContinuousClock.now
        for (first, end) in plan.promoterLevels where end > first {
            for lo in stride(from: first, to: end, by: Int(promoterChunk)) {
                try await execute([plan.promotersStatement(lo, min(lo + promoterChunk, end))], on: database)
            }
        }
        for lo in stride(from: Int64(0), to: plan.promoters, by: Int(promoterChunk)) {
            try await execute([plan.linksStatement(lo, min(lo + promoterChunk, plan.promoters))], on: database)
        }
        report.record("promoters and links", since: started)

        started = ContinuousClock.now
        for lo in stride(from: Int64(0), to: plan.clicks, by: Int(clickChunk)) {
            try await execute([plan.clicksStatement(lo, min(lo + clickChunk, plan.clicks))], on: database)
        }
        report.record("clicks", since: started)

        // Table by table, each chunk of orders in a transaction of its own, parents before children.
        let orderPhases: [(String, [String])] = [
            ("orders, lines, payments, access", ["orders", "order_items", "payments", "entitlements"]),
            ("commissions", ["commissions"]),
            ("refunds", ["refunds"]),
            ("journal: payments", ["payment_entries", "payment_postings"]),
            ("journal: accruals", ["accrual_entries", "accrual_expense", "accrual_pending"]),
            ("journal: refunds", ["refund_entries", "refund_postings", "reversal_entries", "reversal_postings"]),
        ]
        for (name, statements) in orderPhases where plan.orders > 0 {
            started = ContinuousClock.now
            for lo in stride(from: Int64(0), to: plan.orders, by: Int(orderChunk)) {
                let hi = min(lo + orderChunk, plan.orders)
                try await execute(statements.map { plan.orderStatement($0, lo, hi) }, on: database)
            }
            report.record(name, since: started)
        }

        started = ContinuousClock.now
        try await settle(plan, settings: settings, database: database)
        report.record("settlements", since: started)

        started = ContinuousClock.now
        try await payOut(plan, settings: settings, random: &random, database: database)
        report.record("withdrawals", since: started)

        started = ContinuousClock.now
        try await closeMonths(plan, settings: settings, database: database)
        if settings.bindingDays != 0 {
            let expiry = settings.bindingDays < 0 ? "NULL" : "o.paid_at + \(settings.bindingDays * 86_400_000)"
            // Each buyer bound to the promoter of its latest order, from its payment.
            try await execute(["""
                INSERT INTO bindings (buyer_id, promoter_id, bound_at, expires_at)
                SELECT o.buyer_id, o.promoter_id, o.paid_at, \(expiry) FROM orders o
                WHERE o.promoter_id IS NOT NULL AND o.id = (SELECT MAX(o2.id) FROM orders o2 WHERE o2.buyer_id = o.buyer_id)
                """], on: database)
        }
        report.record("closed months and bindings", since: started)
        return report
    }

    /// The monthly batches: each settles the commissions that became eligible since the one
    /// before (the commissions were stored with their batch), with one line and one journal entry
    /// per promoter.
    private static func settle(_ plan: Plan, settings: ProgramSettings, database: any Database) async throws {
        guard !plan.batches.isEmpty else { return }
        let totals = try await database.read { db in
            try await db.rows("""
                SELECT settlement_id, CAST(SUM(amount - reversed) AS BIGINT) AS gross, COUNT(DISTINCT promoter_id) AS promoters, COUNT(*) AS n
                FROM commissions WHERE settlement_id IS NOT NULL GROUP BY settlement_id
                """).map { row in
                BatchTotal(id: try row.decode(column: "settlement_id", as: String.self), gross: try row.decode(column: "gross", as: Int64.self),
                           promoters: try row.decode(column: "promoters", as: Int64.self), commissions: try row.decode(column: "n", as: Int64.self))
            }
        }
        let byID = Dictionary(totals.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let batches = plan.batches, taxMode = settings.taxMode.rawValue
        try await database.write { db in
            for batch in batches {
                let total = byID[batch.id]
                let gross = total?.gross ?? 0
                // No tax is withheld (tax mode `none`): net is gross.
                try await db.execute("""
                    INSERT INTO settlements (id, period_end, trigger, tax_mode, gross, tax, net, promoter_count, commission_count, created_at)
                    VALUES (\(bind: batch.id), \(bind: batch.periodEnd), 'scheduled', \(bind: taxMode), \(bind: gross), 0, \(bind: gross),
                            \(bind: total?.promoters ?? 0), \(bind: total?.commissions ?? 0), \(bind: batch.createdAt))
                    """)
            }
        }
        let entryID = Plan.id("jrn", time: "s.created_at", sequence: "CAST(substr(l.promoter_id, 7) AS BIGINT)", tag: "000001")
        try await execute([
            """
            INSERT INTO settlement_lines (settlement_id, promoter_id, gross, tax, net, commission_count)
            SELECT settlement_id, promoter_id, CAST(SUM(amount - reversed) AS BIGINT), 0, CAST(SUM(amount - reversed) AS BIGINT), COUNT(*)
            FROM commissions WHERE settlement_id IS NOT NULL GROUP BY settlement_id, promoter_id
            """,
            """
            INSERT INTO journal_entries (id, kind, reference, created_at)
            SELECT \(entryID), 'settlement', l.settlement_id, s.created_at FROM settlement_lines l JOIN settlements s ON s.id = l.settlement_id
            """,
            // The gross leaves pending, the net becomes available, the tax (if any) is withheld.
            """
            INSERT INTO journal_postings (entry_id, account, amount)
            SELECT \(entryID),
                CASE sd.side WHEN 1 THEN 'promoter:' || l.promoter_id || ':pending' WHEN 2 THEN 'promoter:' || l.promoter_id || ':available'
                    ELSE 'tax:withheld' END,
                CASE sd.side WHEN 1 THEN l.gross WHEN 2 THEN 0 - l.net ELSE 0 - l.tax END
            FROM settlement_lines l JOIN settlements s ON s.id = l.settlement_id
                CROSS JOIN (SELECT 1 AS side UNION ALL SELECT 2 UNION ALL SELECT 3) sd
            WHERE sd.side < 3 OR l.tax > 0
            """,
        ], on: database)
    }

    /// Withdrawals from the statements: most promoters take out everything available a day or
    /// so after each batch once it reaches the minimum; one in five never withdraws, one in five
    /// leaves the last batch's money available, and one in five has the last batch's withdrawal
    /// still waiting for approval. Each paid withdrawal takes all that was available, so the
    /// statements it covers are exactly those up to its batch, whose commissions become
    /// `withdrawn` as the product marks them.
    private static func payOut(_ plan: Plan, settings: ProgramSettings, random: inout SplitMix, database: any Database) async throws {
        guard !plan.batches.isEmpty else { return }
        let lines = try await database.read { db in
            try await db.rows("SELECT settlement_id, promoter_id, net FROM settlement_lines ORDER BY promoter_id, settlement_id").map { row in
                StatementLine(settlementID: try row.decode(column: "settlement_id", as: String.self),
                              promoterID: try row.decode(column: "promoter_id", as: String.self), net: try row.decode(column: "net", as: Int64.self))
            }
        }
        let position = Dictionary(uniqueKeysWithValues: plan.batches.enumerated().map { ($0.element.id, $0.offset) })
        let channels = settings.withdrawal.channels
        guard !channels.isEmpty else { return }
        let latest = plan.now - 60_000
        var withdrawals: [WithdrawalRow] = []
        var entries: [EntryRow] = []
        var start = 0
        while start < lines.count {
            let promoterID = lines[start].promoterID
            var end = start
            while end < lines.count && lines[end].promoterID == promoterID { end += 1 }
            defer { start = end }
            let x = Int64(promoterID.dropFirst(6)) ?? 0
            var available: Int64 = 0
            for line in lines[start..<end] {
                available += line.net
                guard let batchIndex = position[line.settlementID] else { continue }
                let last = batchIndex == plan.batches.count - 1
                if x % 5 == 4 || (x % 5 == 3 && last) || available < settings.withdrawal.minAmount { continue }
                let requestedAt = plan.batches[batchIndex].createdAt + 3_600_000 + (x * 7_919) % 259_200_000
                guard requestedAt <= latest else { continue }
                let decidedAt = requestedAt + 7_200_000, completedAt = decidedAt + 1_500
                let paid = !(x % 5 == 2 && last) && completedAt <= latest
                let channel = channels[Int(x % Int64(channels.count))]
                let fee = try WithdrawalPolicy.fee(amount: available, channel: channel, settings: settings.withdrawal)
                let id = Identifier.make("wdr", at: Instant(milliseconds: requestedAt), using: &random)
                let account: String? = switch channel {
                case .wallet: nil
                case .bank: "6222 **** **** \(String(1_000 + x % 9_000))"
                case .wechat: "wxid_s\(x)"
                case .alipay: "s\(x)@alipay.example"
                }
                withdrawals.append(WithdrawalRow(
                    id: id, promoterID: promoterID, amount: available, fee: fee, channel: channel.rawValue, account: account,
                    status: paid ? "paid" : "requested", provider: paid ? "sandbox" : nil,
                    providerReference: paid ? "sbx_po_" + random.base62(length: 12) : nil, requestedBy: "promoter:\(promoterID)",
                    decidedBy: paid ? "admin:finance" : nil, requestedAt: requestedAt, decidedAt: paid ? decidedAt : nil,
                    completedAt: paid ? completedAt : nil))
                entries.append(EntryRow(try .withdrawalRequested(promoterID: promoterID, amount: available),
                                        id: Identifier.make("jrn", at: Instant(milliseconds: requestedAt), using: &random), reference: id, at: requestedAt))
                if paid {
                    entries.append(EntryRow(try .withdrawalPaid(promoterID: promoterID, amount: available, fee: fee),
                                            id: Identifier.make("jrn", at: Instant(milliseconds: completedAt), using: &random), reference: id, at: completedAt))
                }
                available = 0
            }
        }
        for chunk in stride(from: 0, to: withdrawals.count, by: rowsPerInsert).map({ Array(withdrawals[$0..<min($0 + rowsPerInsert, withdrawals.count)]) }) {
            try await database.write { db in
                var query: SQLQueryString = """
                    INSERT INTO withdrawals (id, promoter_id, amount, fee, channel, account, status, provider, provider_reference, requested_by,
                        decided_by, requested_at, decided_at, completed_at) VALUES 
                    """
                for (index, w) in chunk.enumerated() {
                    if index > 0 { query += ", " }
                    query += """
                        (\(bind: w.id), \(bind: w.promoterID), \(bind: w.amount), \(bind: w.fee), \(bind: w.channel), \(bind: w.account), \(bind: w.status),
                         \(bind: w.provider), \(bind: w.providerReference), \(bind: w.requestedBy), \(bind: w.decidedBy), \(bind: w.requestedAt),
                         \(bind: w.decidedAt), \(bind: w.completedAt))
                        """
                }
                try await db.execute(query)
            }
        }
        for chunk in stride(from: 0, to: entries.count, by: rowsPerInsert).map({ Array(entries[$0..<min($0 + rowsPerInsert, entries.count)]) }) {
            try await database.write { db in
                var entryRows: SQLQueryString = "INSERT INTO journal_entries (id, kind, reference, created_at) VALUES "
                var postingRows: SQLQueryString = "INSERT INTO journal_postings (entry_id, account, amount) VALUES "
                var first = true
                for (index, entry) in chunk.enumerated() {
                    if index > 0 { entryRows += ", " }
                    entryRows += "(\(bind: entry.id), \(bind: entry.kind), \(bind: entry.reference), \(bind: entry.at))"
                    for posting in entry.postings {
                        if !first { postingRows += ", " }
                        first = false
                        postingRows += "(\(bind: entry.id), \(bind: posting.account), \(bind: posting.amount))"
                    }
                }
                try await db.execute(entryRows)
                try await db.execute(postingRows)
            }
        }
        // Statements count as withdrawn once paid withdrawals cover them, oldest first.
        for batch in plan.batches {
            let (id, createdAt) = (batch.id, batch.createdAt)
            try await database.write { db in
                try await db.execute("""
                    UPDATE commissions SET status = 'withdrawn'
                    WHERE settlement_id = \(bind: id) AND status = 'settled'
                        AND promoter_id IN (SELECT promoter_id FROM withdrawals WHERE status = 'paid' AND requested_at > \(bind: createdAt))
                    """)
            }
        }
    }

    /// The calendar months each batch closed (retroactive tier ladders; this program has none),
    /// as the product's month close records them: from the month of the first commission, every
    /// month that ended by the batch's period end, once.
    private static func closeMonths(_ plan: Plan, settings: ProgramSettings, database: any Database) async throws {
        let first = try await database.read { db in
            try await db.one("SELECT MIN(created_at) AS m FROM commissions").decode(column: "m", as: Int64?.self)
        }
        guard let first else { return }
        var month = try CalendarMonth.start(of: Instant(milliseconds: first), timeZone: settings.timeZone)
        var closed: [(month: Int64, at: Int64)] = []
        for batch in plan.batches where batch.createdAt > first {
            while true {
                let next = try SettlementPeriod.nextMonth(after: month, timeZone: settings.timeZone)
                guard next.milliseconds <= batch.periodEnd else { break }
                closed.append((month.milliseconds, batch.createdAt))
                month = next
            }
        }
        let rows = closed.map { ClosedMonth(start: $0.month, closedAt: $0.at) }
        guard !rows.isEmpty else { return }
        try await database.write { db in
            for row in rows {
                try await db.execute("INSERT INTO closed_months (month_start, closed_at) VALUES (\(bind: row.start), \(bind: row.closedAt))")
            }
        }
    }

    private static func summarise(into report: inout Report, database: any Database) async throws {
        let started = ContinuousClock.now
        let names = ["products", "promoters", "links", "clicks", "orders", "order_items", "payments", "entitlements", "refunds", "commissions",
                     "settlements", "settlement_lines", "withdrawals", "journal_entries", "journal_postings", "bindings", "closed_months"]
        let counts = try await database.read { db in
            let row = try await db.one(SQLQueryString("SELECT " + names.map { "(SELECT COUNT(*) FROM \($0)) AS \($0)" }.joined(separator: ", ")))
            return try names.map { Report.Table(name: $0, rows: try row.decode(column: $0, as: Int64.self)) }
        }
        report.tables = counts
        let (clicks, orders) = try await database.read { db in
            (try await db.one("SELECT COUNT(*) AS n FROM clicks WHERE link_id = 'lnk_s_0'").decode(column: "n", as: Int64.self),
             try await db.one("SELECT COUNT(*) AS n FROM orders WHERE promoter_id = 'prm_s_0'").decode(column: "n", as: Int64.self))
        }
        report.busiestClicks = clicks
        report.busiestOrders = orders
        let (total, pending, withdrawing) = try await database.read { db in
            let row = try await db.one("""
                SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total,
                    CAST(COALESCE(SUM(CASE WHEN account LIKE 'promoter:%:pending' THEN amount ELSE 0 END), 0) AS BIGINT) AS pending,
                    CAST(COALESCE(SUM(CASE WHEN account LIKE 'promoter:%:withdrawing' THEN amount ELSE 0 END), 0) AS BIGINT) AS withdrawing
                FROM journal_postings
                """)
            return (try row.decode(column: "total", as: Int64.self), try row.decode(column: "pending", as: Int64.self),
                    try row.decode(column: "withdrawing", as: Int64.self))
        }
        // Credits to promoters are negative in the journal: what is owed is their opposite.
        report.journalTotal = total
        report.pendingInJournal = -pending
        report.withdrawingInJournal = -withdrawing
        report.pendingCommissions = try await database.read { db in
            try await db.one("SELECT CAST(COALESCE(SUM(amount - reversed), 0) AS BIGINT) AS v FROM commissions WHERE status IN ('pending', 'held')")
                .decode(column: "v", as: Int64.self)
        }
        report.withdrawalsInFlight = try await database.read { db in
            try await db.one("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS v FROM withdrawals WHERE status IN ('requested', 'approved')")
                .decode(column: "v", as: Int64.self)
        }
        report.record("counts and checks", since: started)
    }

    static func execute(_ statements: [String], on database: any Database) async throws {
        try await database.write { db in
            for statement in statements { try await db.execute(SQLQueryString(statement)) }
        }
    }

    static func tableExists(_ name: String, in database: any Database) async throws -> Bool {
        let postgres = database.dialect.kind == .postgres
        return try await database.read { db in
            let query: SQLQueryString = postgres
                ? "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = \(bind: name)"
                : "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = \(bind: name)"
            return try await db.one(query).decode(column: "n", as: Int64.self) > 0
        }
    }

    struct BatchTotal: Sendable {
        let id: String
        let gross: Int64
        let promoters: Int64
        let commissions: Int64
    }

    struct StatementLine: Sendable {
        let settlementID: String
        let promoterID: String
        let net: Int64
    }

    struct ClosedMonth: Sendable {
        let start: Int64
        let closedAt: Int64
    }

    struct WithdrawalRow: Sendable {
        let id: String
        let promoterID: String
        let amount: Int64
        let fee: Int64
        let channel: String
        let account: String?
        let status: String
        let provider: String?
        let providerReference: String?
        let requestedBy: String
        let decidedBy: String?
        let requestedAt: Int64
        let decidedAt: Int64?
        let completedAt: Int64?
    }

    struct EntryRow: Sendable {
        struct PostingRow: Sendable {
            let account: String
            let amount: Int64
        }

        let id: String
        let kind: String
        let reference: String
        let at: Int64
        let postings: [PostingRow]

        init(_ entry: JournalEntry, id: String, reference: String, at: Int64) {
            self.id = id
            kind = entry.kind
            self.reference = reference
            self.at = at
            postings = entry.postings.map { PostingRow(account: $0.account.description, amount: $0.amount) }
        }
    }
}

/// The random part of the ids the seed makes in Swift, the same on every run.
extension SplitMix {
    mutating func base62(length: Int) -> String {
        let alphabet = Array(LargeSchool.Plan.alphabet)
        return String((0..<length).map { _ in alphabet[Int(next() % 62)] })
    }
}

extension LargeSchool {
    /// One settlement batch, at a month boundary of the program's time zone.
    struct Batch: Sendable {
        let id: String
        let periodEnd: Int64
        let createdAt: Int64
    }

    /// A stretch of the year holding the rows numbered `first..<end`, evenly spaced.
    struct Segment: Sendable {
        let first: Int64
        let end: Int64
        let base: Int64
        let length: Int64
    }

    /// The school's sizes and the SQL that generates its rows. Row `x` of a kind gets its time from
    /// `time(x, along:)`, increasing with `x`.
    ///
    /// Click `x`: half the clicks go round every promoter in turn, the other half to promoter
    /// `⌊P · u³⌋` for a `u` spread over [0, 1) (so promoter 0 gets a few percent of all clicks);
    /// visitor `x mod (clicks / 3)`; every 33rd click a bot.
    ///
    /// Order `i`: attributed (first click) to a human click `j` shortly before its time, whose
    /// promoter is level 1 and whose visitor buys; the product is mostly the link's; paid at its
    /// time (at least a minute after the click), created one to five minutes before. Every 33rd
    /// order is refunded in full one to 72 hours after payment, before its commissions become
    /// eligible. Commissions are eligible `freeze_days` after payment and settled by the first
    /// batch at or after that.
    struct Plan: Sendable {
        static let alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        static let year: Int64 = 365 * 86_400_000

        let now: Int64
        /// The year runs from `start` to ten minutes before `now`.
        let start: Int64
        let promoters: Int64
        let clicks: Int64
        let orders: Int64
        /// Promoters `0..<roots` have no upline, `roots..<roots + middle` are under a root, the rest
        /// under one of the middle level.
        let roots: Int64
        let middle: Int64
        let visitors: Int64
        /// How many clicks before its time an order's click may be.
        let window: Int64
        let freeze: Int64
        let rates: [Int64]
        let rule: String
        let batches: [Batch]
        let clickCurve: [Segment]
        let orderCurve: [Segment]

        init(promoters: Int64, clicks: Int64, orders: Int64, now: Int64, settings: ProgramSettings, random: inout SplitMix) throws {
            precondition(settings.taxMode == .none, "settlement lines are written without tax")
            self.now = now
            let end = now - 600_000
            start = end - Self.year
            self.promoters = promoters
            self.clicks = clicks
            self.orders = orders
            roots = max(1, promoters / 20)
            let rest = promoters - roots
            middle = rest == 0 ? 0 : max(1, rest / 4)
            visitors = max(1, clicks / 3)
            window = max(1, clicks / 200)
            freeze = settings.freezeDays * 86_400_000
            rates = Array(settings.levels.prefix(ProgramSettings.maxLevels))
            rule = String(decoding: try JSONEncoder().encode(CommissionRule.programDefault(settings)), as: UTF8.self)
            clickCurve = Self.curve(count: clicks, from: start)
            orderCurve = Self.curve(count: orders, from: start)
            // A scheduled batch at every month boundary of the year, a minute after it.
            var batches: [Batch] = []
            var boundary = try SettlementPeriod.nextBoundary(after: Instant(milliseconds: start), cycle: .monthly, timeZone: settings.timeZone)
            while boundary.milliseconds + 60_000 <= now {
                let created = boundary.adding(milliseconds: 60_000)
                batches.append(Batch(id: Identifier.make("stl", at: created, using: &random), periodEnd: boundary.milliseconds,
                                     createdAt: created.milliseconds))
                boundary = try SettlementPeriod.nextBoundary(after: boundary, cycle: .monthly, timeZone: settings.timeZone)
            }
            self.batches = batches
        }

        /// Twelve months, month `m` holding a share of the rows growing with `m` (6 : 17 from the
        /// first to the last): a school that grew over its year.
        static func curve(count: Int64, from start: Int64) -> [Segment] {
            let weights: [Int64] = (0..<12).map { 6 + Int64($0) }
            let total = weights.reduce(0, +), length = year / 12
            var segments: [Segment] = []
            var before: Int64 = 0
            for (month, weight) in weights.enumerated() {
                let first = count * before / total
                before += weight
                let end = count * before / total
                if end > first { segments.append(Segment(first: first, end: end, base: start + Int64(month) * length, length: length)) }
            }
            return segments
        }

        /// The time of row `x`: spread evenly over its month, with a jitter smaller than the spacing,
        /// so that it increases with `x`.
        static func time(_ x: String, along segments: [Segment]) -> String {
            func at(_ segment: Segment) -> String {
                let count = segment.end - segment.first
                return "\(segment.base) + ((\(x)) - \(segment.first)) * \(segment.length) / \(count) + ((\(x)) * 7919) % \(max(1, segment.length / count))"
            }
            guard let last = segments.last else { return "0" }
            guard segments.count > 1 else { return "(\(at(last)))" }
            var sql = "(CASE"
            for segment in segments.dropLast() { sql += " WHEN (\(x)) < \(segment.end) THEN \(at(segment))" }
            return sql + " ELSE \(at(last)) END)"
        }

        /// `expression` as `digits` base-62 characters, most significant first, in the alphabet of
        /// `Identifier`: the text sorts like the number.
        static func base62(_ expression: String, digits: Int) -> String {
            var divisor: Int64 = 1
            var characters: [String] = []
            for _ in 0..<digits {
                characters.append("substr('\(alphabet)', CAST((\(expression)) / \(divisor) % 62 AS INTEGER) + 1, 1)")
                divisor *= 62
            }
            return characters.reversed().joined(separator: " || ")
        }

        /// An id in the product's format: `prefix_`, the millisecond `time` in 8 characters, then 12
        /// characters: `tag` (6) and `sequence` (6), which keep ids of one millisecond apart.
        static func id(_ prefix: String, time: String, sequence: String, tag: String = "000000") -> String {
            "'\(prefix)_' || \(base62(time, digits: 8)) || '\(tag)' || \(base62(sequence, digits: 6))"
        }

        static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

        var productCount: Int64 { Int64(LargeSchool.catalogue.count) }
        var courseCount: Int64 { Int64(LargeSchool.catalogue.filter { $0.kind == .course }.count) }

        /// `CASE k WHEN 0 THEN … END` over the catalogue.
        func catalogueCase(_ k: String, _ value: ((title: String, kind: Product.Kind, price: Int64)) -> String) -> String {
            "(CASE \(k) " + LargeSchool.catalogue.enumerated().map { "WHEN \($0.offset) THEN \(value($0.element))" }.joined(separator: " ") + " END)"
        }

        var productStatements: [String] {
            let created = start - 2 * 86_400_000
            return LargeSchool.catalogue.enumerated().map { index, course in
                """
                INSERT INTO products (id, title, description, kind, price, currency, stock, status, created_at, updated_at)
                VALUES ('prod_s_\(index)', \(Self.quoted(course.title)), '', '\(course.kind.rawValue)', \(course.price), 'CNY', NULL, 'active',
                        \(created + Int64(index) * 1_000), \(created + Int64(index) * 1_000))
                """
            }
        }

        /// The promoters of each level, as `first..<end`: a level's upline exists before it is written.
        var promoterLevels: [(Int64, Int64)] {
            [(0, roots), (roots, roots + middle), (roots + middle, promoters)]
        }

        /// The upline of promoter `p` (NULL for a root) and the upline's upline (NULL above the third level).
        func parent(_ p: String) -> String {
            "(CASE WHEN \(p) < \(roots) THEN NULL WHEN \(p) < \(roots + middle) THEN (\(p) - \(roots)) % \(roots) "
                + "ELSE \(roots) + (\(p) - \(roots + middle)) % \(max(middle, 1)) END)"
        }

        func grandparent(_ p: String) -> String {
            "(CASE WHEN \(p) < \(roots + middle) THEN NULL ELSE ((\(p) - \(roots + middle)) % \(max(middle, 1))) % \(roots) END)"
        }

        func promoterCreated(_ x: String) -> String { "\(start - 86_400_000) + (\(x)) * 10" }

        func promotersStatement(_ lo: Int64, _ hi: Int64) -> String {
            """
            WITH RECURSIVE n(x) AS (SELECT CAST(\(lo) AS BIGINT) UNION ALL SELECT x + 1 FROM n WHERE x < \(hi - 1))
            INSERT INTO promoters (id, name, status, parent_id, invite_code, created_at, updated_at)
            SELECT 'prm_s_' || (x), '推客' || (x), 'active', 'prm_s_' || \(parent("x")), 'S' || (x), \(promoterCreated("x")), \(promoterCreated("x"))
            FROM n
            """
        }

        func linksStatement(_ lo: Int64, _ hi: Int64) -> String {
            """
            WITH RECURSIVE n(x) AS (SELECT CAST(\(lo) AS BIGINT) UNION ALL SELECT x + 1 FROM n WHERE x < \(hi - 1))
            INSERT INTO links (id, code, promoter_id, product_id, target_url, status, created_at)
            SELECT 'lnk_s_' || (x), 's' || (x), 'prm_s_' || (x), 'prod_s_' || (x % \(productCount)), NULL, 'active', \(promoterCreated("x")) + 1000
            FROM n
            """
        }

        /// The promoter of click `x`.
        func promoterOfClick(_ x: String) -> String {
            let u = "((((\(x)) / 2) * 5761 + 17) % 10000)"
            return "(CASE WHEN (\(x)) % 2 = 0 THEN ((\(x)) / 2) % \(promoters) ELSE (\(u) * \(u) / 10000 * \(u) / 10000) * \(promoters) / 10000 END)"
        }

        static let agents = [
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49",
            "Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.49",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
        ]
        static let bot = "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"

        func clicksStatement(_ lo: Int64, _ hi: Int64) -> String {
            """
            WITH RECURSIVE n(x) AS (SELECT CAST(\(lo) AS BIGINT) UNION ALL SELECT x + 1 FROM n WHERE x < \(hi - 1)),
            c AS MATERIALIZED (SELECT x, \(Self.time("x", along: clickCurve)) AS clicked, \(promoterOfClick("x")) AS p, x % \(visitors) AS v FROM n)
            INSERT INTO clicks (id, link_id, promoter_id, product_id, visitor_id, at, ip, user_agent, referrer, is_bot)
            SELECT \(Self.id("clk", time: "clicked", sequence: "x")), 'lnk_s_' || (p), 'prm_s_' || (p), 'prod_s_' || (p % \(productCount)), 'v' || (v), clicked,
                '10.' || (v / 65536 % 256) || '.' || (v / 256 % 256) || '.' || (v % 256),
                CASE WHEN x % 33 = 5 THEN \(Self.quoted(Self.bot)) WHEN x % 3 = 0 THEN \(Self.quoted(Self.agents[0]))
                    WHEN x % 3 = 1 THEN \(Self.quoted(Self.agents[1])) ELSE \(Self.quoted(Self.agents[2])) END,
                CASE WHEN x % 4 = 0 THEN 'https://mp.weixin.qq.com/' ELSE NULL END,
                CASE WHEN x % 33 = 5 THEN 1 ELSE 0 END
            FROM c
            """
        }

        /// The orders `lo..<hi` as the CTE `src` (with `lv`, the commission levels and rates, and
        /// `sd`, two rows for the two sides of an entry).
        func orderSource(_ lo: Int64, _ hi: Int64) -> String {
            let levels = rates.enumerated().map { "SELECT \($0.offset + 1), \($0.element)" }.joined(separator: " UNION ALL ")
            return """
                WITH RECURSIVE n(i) AS (SELECT CAST(\(lo) AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < \(hi - 1)),
                a0 AS MATERIALIZED (SELECT i, (i * \(clicks)) / \(orders) AS jc, \(Self.time("i", along: orderCurve)) AS t FROM n),
                a AS MATERIALIZED (SELECT i, t, CASE WHEN jc - 1 - (i * 7919) % \(window) < 0 THEN jc ELSE jc - 1 - (i * 7919) % \(window) END AS j1
                    FROM a0),
                b AS MATERIALIZED (SELECT i, t, CASE WHEN j1 % 33 = 5 THEN j1 - 1 ELSE j1 END AS j FROM a),
                c AS MATERIALIZED (SELECT i, j, t, \(Self.time("j", along: clickCurve)) AS ct, \(promoterOfClick("j")) AS p FROM b),
                d AS MATERIALIZED (SELECT i, j, ct, p, CASE WHEN t >= ct + 60000 THEN t ELSE ct + 60000 + i % 1000 END AS paid_at,
                    \(parent("p")) AS p2, \(grandparent("p")) AS p3,
                    CASE WHEN i % 4 = 0 THEN (i / 4 * 7) % \(productCount) ELSE p % \(productCount) END AS k,
                    CASE WHEN i % 33 = 7 THEN 1 ELSE 0 END AS refunded, 3600000 + (i * 104729) % 255600000 AS delay FROM c),
                src AS MATERIALIZED (SELECT i, j, ct, p, p2, p3, k, refunded, paid_at, paid_at - 60000 - (i % 240) * 1000 AS created_at,
                    paid_at + \(freeze) AS eligible_at, \(catalogueCase("k") { "\($0.price)" }) AS price,
                    CASE WHEN paid_at + delay > \(now - 60_000) THEN (paid_at + \(now)) / 2 ELSE paid_at + delay END AS refund_at FROM d),
                lv(level, rate) AS (\(levels)),
                sd(side) AS (SELECT 1 UNION ALL SELECT 2)
                """
        }

        var orderID: String { Self.id("ord", time: "created_at", sequence: "i") }
        var itemID: String { Self.id("itm", time: "created_at", sequence: "i") }
        var clickID: String { Self.id("clk", time: "ct", sequence: "j") }
        var refundID: String { Self.id("rfd", time: "refund_at", sequence: "i") }
        func entryID(_ time: String, _ number: String) -> String { Self.id("jrn", time: time, sequence: "i * 8 + \(number)") }
        /// Which level rows of `lv` an order pays: level 1 always, 2 and 3 when that upline exists.
        let levelJoin = "lv.level = 1 OR (lv.level = 2 AND p2 IS NOT NULL) OR (lv.level = 3 AND p3 IS NOT NULL)"
        let levelPromoter = "'prm_s_' || (CASE lv.level WHEN 1 THEN p WHEN 2 THEN p2 ELSE p3 END)"
        /// `Money.rate`: the rate in basis points of the price, rounded half up.
        let amount = "((price * lv.rate + 5000) / 10000)"

        /// Each commission's sum on an order, the accrual's expense.
        var accrued: String {
            rates.enumerated().map { index, rate in
                let share = "((price * \(rate) + 5000) / 10000)"
                switch index {
                case 0: return share
                case 1: return "CASE WHEN p2 IS NOT NULL THEN \(share) ELSE 0 END"
                default: return "CASE WHEN p3 IS NOT NULL THEN \(share) ELSE 0 END"
                }
            }.map { "(\($0))" }.joined(separator: " + ")
        }

        /// The batch that settles a commission eligible at `eligible`, if one has run since.
        var settlement: String {
            guard !batches.isEmpty else { return "NULL" }
            return "CASE WHEN refunded = 1 THEN NULL " + batches.map { "WHEN eligible_at <= \($0.periodEnd) THEN '\($0.id)'" }.joined(separator: " ")
                + " ELSE NULL END"
        }

        var commissionStatus: String {
            guard let last = batches.last else { return "CASE WHEN refunded = 1 THEN 'reversed' ELSE 'pending' END" }
            return "CASE WHEN refunded = 1 THEN 'reversed' WHEN eligible_at <= \(last.periodEnd) THEN 'settled' ELSE 'pending' END"
        }

        func orderStatement(_ name: String, _ lo: Int64, _ hi: Int64) -> String {
            orderSource(lo, hi) + "\n" + orderInsert(name)
        }

        func orderInsert(_ name: String) -> String {
            switch name {
            case "orders":
                return """
                    INSERT INTO orders (id, buyer_id, status, currency, amount, discount, refunded, visitor_id, click_id, promoter_id, level_one,
                        level_two, level_three, attribution_rule, attribution_click_id, self_referral, created_at, paid_at, expires_at)
                    SELECT \(orderID), 'u' || (j % \(visitors)), CASE WHEN refunded = 1 THEN 'refunded' ELSE 'paid' END, 'CNY', price, 0,
                        refunded * price, 'v' || (j % \(visitors)), \(clickID), 'prm_s_' || (p), 'prm_s_' || (p), 'prm_s_' || (p2), 'prm_s_' || (p3),
                        'first_click', \(clickID), 0, created_at, paid_at, created_at + 1800000
                    FROM src
                    """
            case "order_items":
                return """
                    INSERT INTO order_items (id, order_id, position, product_id, title, kind, unit_price, quantity, discount, paid, refunded, rule,
                        rule_source, retroactive)
                    SELECT \(itemID), \(orderID), 0, 'prod_s_' || (k), \(catalogueCase("k") { Self.quoted($0.title) }),
                        \(catalogueCase("k") { "'\($0.kind.rawValue)'" }), price, 1, 0, price, refunded * price, \(Self.quoted(rule)), 'program', 0
                    FROM src
                    """
            case "payments":
                return """
                    INSERT INTO payments (id, order_id, payment_id, provider, amount, created_at)
                    SELECT \(Self.id("pay", time: "paid_at", sequence: "i")), \(orderID), 'sbx_s' || (i), 'sandbox', price, paid_at FROM src
                    """
            case "entitlements":
                return """
                    INSERT INTO entitlements (buyer_id, product_id, order_id, granted_at, revoked_at)
                    SELECT 'u' || (j % \(visitors)), 'prod_s_' || (k), \(orderID), paid_at, CASE WHEN refunded = 1 THEN refund_at ELSE NULL END
                    FROM src WHERE k < \(courseCount)
                    """
            case "commissions":
                return """
                    INSERT INTO commissions (id, order_id, order_item_id, promoter_id, level, amount, reversed, status, rule_source, basis, eligible_at,
                        created_at, kind, settlement_id)
                    SELECT \(Self.id("com", time: "paid_at", sequence: "i * 3 + lv.level - 1")), \(orderID), \(itemID), \(levelPromoter), lv.level,
                        \(amount), refunded * \(amount), \(commissionStatus), 'program',
                        CAST(lv.rate AS TEXT) || ' bps of ' || CAST(price AS TEXT), eligible_at, paid_at, 'order', \(settlement)
                    FROM src JOIN lv ON \(levelJoin)
                    """
            case "refunds":
                return """
                    INSERT INTO refunds (id, order_id, refund_id, amount, reason, created_at)
                    SELECT \(refundID), \(orderID), NULL, price, '学员申请退款', refund_at FROM src WHERE refunded = 1
                    """
            case "payment_entries":
                return """
                    INSERT INTO journal_entries (id, kind, reference, created_at)
                    SELECT \(entryID("paid_at", "0")), 'payment', \(orderID), paid_at FROM src
                    """
            case "payment_postings":
                return """
                    INSERT INTO journal_postings (entry_id, account, amount)
                    SELECT \(entryID("paid_at", "0")), CASE sd.side WHEN 1 THEN 'payments:received' ELSE 'merchant:revenue' END,
                        CASE sd.side WHEN 1 THEN price ELSE 0 - price END
                    FROM src CROSS JOIN sd
                    """
            case "accrual_entries":
                return """
                    INSERT INTO journal_entries (id, kind, reference, created_at)
                    SELECT \(entryID("paid_at", "1")), 'commission_accrual', \(orderID), paid_at FROM src
                    """
            case "accrual_expense":
                return """
                    INSERT INTO journal_postings (entry_id, account, amount)
                    SELECT \(entryID("paid_at", "1")), 'merchant:commission_expense', \(accrued) FROM src
                    """
            case "accrual_pending":
                return """
                    INSERT INTO journal_postings (entry_id, account, amount)
                    SELECT \(entryID("paid_at", "1")), 'promoter:' || \(levelPromoter) || ':pending', 0 - \(amount)
                    FROM src JOIN lv ON \(levelJoin)
                    """
            case "refund_entries":
                return """
                    INSERT INTO journal_entries (id, kind, reference, created_at)
                    SELECT \(entryID("refund_at", "2")), 'refund', \(refundID), refund_at FROM src WHERE refunded = 1
                    """
            case "refund_postings":
                return """
                    INSERT INTO journal_postings (entry_id, account, amount)
                    SELECT \(entryID("refund_at", "2")), CASE sd.side WHEN 1 THEN 'buyer:refunds' ELSE 'payments:received' END,
                        CASE sd.side WHEN 1 THEN price ELSE 0 - price END
                    FROM src CROSS JOIN sd WHERE refunded = 1
                    """
            case "reversal_entries":
                return """
                    INSERT INTO journal_entries (id, kind, reference, created_at)
                    SELECT \(entryID("refund_at", "2 + lv.level")), 'commission_reversal', \(refundID), refund_at
                    FROM src JOIN lv ON \(levelJoin) WHERE refunded = 1
                    """
            case "reversal_postings":
                return """
                    INSERT INTO journal_postings (entry_id, account, amount)
                    SELECT \(entryID("refund_at", "2 + lv.level")),
                        CASE sd.side WHEN 1 THEN 'promoter:' || \(levelPromoter) || ':pending' ELSE 'merchant:commission_expense' END,
                        CASE sd.side WHEN 1 THEN \(amount) ELSE 0 - \(amount) END
                    FROM src JOIN lv ON \(levelJoin) CROSS JOIN sd WHERE refunded = 1
                    """
            default:
                preconditionFailure("no statement \(name)")
            }
        }
    }
}
