import Testing
@testable import TuikeCore

@Suite struct JournalTests {
    @Test func unbalancedEntriesAreRefused() {
        #expect(throws: TuikeError.self) { try JournalEntry(kind: "x", postings: [Posting(.merchantRevenue, 1)]) }
        #expect(throws: TuikeError.self) { try JournalEntry(kind: "x", postings: [Posting(.merchantRevenue, 0)]) }
    }

    /// The life of one commission, docs/rules.md §4–§7: paid → partial refund → settled with tax →
    /// refund after settlement (clawback) → withdrawal paid. The trial balance stays zero and the
    /// promoter's buckets read as the rules say.
    @Test func aCommissionsLifeBalancesAtEveryStep() throws {
        var ledger = Ledger()
        let steps: [JournalEntry] = [
            try .payment(50_000),
            try .accrual([("B", 10_000), ("A", 2_500)]),
            try .refund(20_000),
            try .reversal(promoterID: "B", amount: 4_000),
            try .reversal(promoterID: "A", amount: 1_000),
            try .settlement(promoterID: "B", gross: 6_000, tax: 0),
            try .refund(10_000),
            try .clawback(promoterID: "B", amount: 2_000),
            try .withdrawalRequested(promoterID: "B", amount: 3_000),
            try .withdrawalPaid(promoterID: "B", amount: 3_000, fee: 30),
        ]
        for entry in steps {
            ledger.post(entry)
            #expect(ledger.isBalanced, "\(entry.kind)")
        }
        #expect(ledger.owed(to: "B") == (pending: 0, available: 1_000, withdrawing: 0))
        #expect(ledger.owed(to: "A") == (pending: 1_500, available: 0, withdrawing: 0))
        #expect(ledger.balances[.payoutClearing] == -2_970)
        #expect(ledger.balances[.payoutFees] == -30)
    }

    @Test func accountNamesAreThoseOfTheRules() {
        #expect(Account.promoterPending("prm_1").description == "promoter:prm_1:pending")
        #expect(Account.commissionExpense.description == "merchant:commission_expense")
        #expect(Account.taxWithheld.description == "tax:withheld")
    }
}
