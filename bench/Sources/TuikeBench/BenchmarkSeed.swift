import SQLKit
import TuikeStore
import TuikeCore

/// Bulk data for `bench/settle.sh` and the settlement race tests: `promoters` active promoters
/// and `commissions` pending commissions spread over them (all eligible at `eligibleAt`), with the
/// journal accrual that keeps the ledger balanced. Rows are generated inside the database by a
/// recursive CTE, which both SQLite and PostgreSQL run, so a million rows take seconds.
public enum BenchmarkSeed {
    public static func pendingCommissions(promoters: Int, commissions: Int, eligibleAt: Instant, now: Instant, database: any Database) async throws {
        precondition(promoters > 0 && commissions >= promoters)
        let at = now.milliseconds
        try await database.write { db in
            try await db.execute("""
                INSERT INTO products (id, title, kind, price, status, created_at, updated_at)
                VALUES ('prd_bench', 'bench course', 'course', 10000, 'active', \(bind: at), \(bind: at))
                """)
            try await db.execute("""
                INSERT INTO orders (id, buyer_id, status, amount, attribution_rule, created_at, paid_at)
                VALUES ('ord_bench', 'bench-buyer', 'paid', 0, 'none', \(bind: at), \(bind: at))
                """)
            try await db.execute("""
                INSERT INTO order_items (id, order_id, position, product_id, title, kind, unit_price, quantity, paid, rule, rule_source)
                VALUES ('itm_bench', 'ord_bench', 0, 'prd_bench', 'bench course', 'course', 0, 1, 0, '{}', 'bench')
                """)
            try await db.execute("""
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(bind: Int64(promoters - 1)))
                INSERT INTO promoters (id, name, status, invite_code, created_at, updated_at)
                SELECT 'prm_bench_' || i, 'bench ' || i, 'active', 'BENCH' || i, \(bind: at), \(bind: at) FROM n
                """)
            try await db.execute("""
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(bind: Int64(commissions - 1)))
                INSERT INTO commissions (id, order_id, order_item_id, promoter_id, level, amount, status, rule_source, basis, eligible_at, created_at)
                SELECT 'com_bench_' || i, 'ord_bench', 'itm_bench', 'prm_bench_' || (i % \(bind: Int64(promoters))), 1, 100 + (i % 7), 'pending',
                    'bench', 'bench', \(bind: eligibleAt.milliseconds), \(bind: at) FROM n
                """)
            try await db.execute("""
                INSERT INTO journal_entries (id, kind, reference, created_at) VALUES ('jrn_bench', 'commission_accrual', 'ord_bench', \(bind: at))
                """)
            try await db.execute("""
                INSERT INTO journal_postings (entry_id, account, amount)
                SELECT 'jrn_bench', 'promoter:' || promoter_id || ':pending', -SUM(amount) FROM commissions WHERE rule_source = 'bench' GROUP BY promoter_id
                """)
            try await db.execute("""
                INSERT INTO journal_postings (entry_id, account, amount)
                SELECT 'jrn_bench', 'merchant:commission_expense', SUM(amount) FROM commissions WHERE rule_source = 'bench'
                """)
        }
    }
}
