import Testing
@testable import TuikeCore

@Suite struct SettlementPeriodTests {
    /// Monday 00:00 in Shanghai is Sunday 16:00 UTC; the boundary itself is not "after" itself.
    @Test func weeksStartMondayInTheProgramZone() throws {
        let sunday = try #require(Instant(rfc3339: "2026-11-22T10:00:00Z"))
        let monday = try SettlementPeriod.nextBoundary(after: sunday, cycle: .weekly, timeZone: "Asia/Shanghai")
        #expect(monday.rfc3339 == "2026-11-22T16:00:00Z")
        #expect(try SettlementPeriod.nextBoundary(after: monday, cycle: .weekly, timeZone: "Asia/Shanghai").rfc3339 == "2026-11-29T16:00:00Z")
        #expect(try SettlementPeriod.nextBoundary(after: monday.adding(milliseconds: -1), cycle: .weekly, timeZone: "Asia/Shanghai") == monday)
        #expect(try SettlementPeriod.nextBoundary(after: sunday, cycle: .weekly, timeZone: "UTC").rfc3339 == "2026-11-23T00:00:00Z")
    }

    @Test func monthsStartOnTheFirst() throws {
        let late = try #require(Instant(rfc3339: "2026-12-31T15:59:59Z"))
        #expect(try SettlementPeriod.nextBoundary(after: late, cycle: .monthly, timeZone: "Asia/Shanghai").rfc3339 == "2026-12-31T16:00:00Z")
        #expect(try SettlementPeriod.nextMonth(after: late, timeZone: "Asia/Shanghai").rfc3339 == "2026-12-31T16:00:00Z")
        #expect(try SettlementPeriod.nextMonth(after: late.adding(seconds: 1), timeZone: "Asia/Shanghai").rfc3339 == "2027-01-31T16:00:00Z")
        // New York's DST: November starts at 04:00 UTC, December at 05:00 UTC.
        let october = try #require(Instant(rfc3339: "2026-10-15T12:00:00Z"))
        #expect(try SettlementPeriod.nextBoundary(after: october, cycle: .monthly, timeZone: "America/New_York").rfc3339 == "2026-11-01T04:00:00Z")
        #expect(throws: TuikeError.self) { try SettlementPeriod.nextMonth(after: october, timeZone: "Mars/Olympus") }
    }

    @Test func statementLinesWithholdTaxOnTheirGross() {
        let line = StatementLine(promoterID: "p", gross: 100_000, commissionCount: 3, taxMode: .prcLabor)
        #expect(line.tax == 4_000 && line.net == 96_000)
        #expect(StatementLine(promoterID: "p", gross: 100_000, commissionCount: 3, taxMode: .none).net == 100_000)
    }
}

@Suite struct WithdrawalPolicyTests {
    @Test func minimumFeeAndChannels() throws {
        let rules = ProgramSettings.Withdrawal(minAmount: 10_000, feeBps: 60, channels: [.wallet, .bank])
        #expect(try WithdrawalPolicy.fee(amount: 10_000, channel: .bank, settings: rules) == 60)
        #expect(try WithdrawalPolicy.fee(amount: 10_083, channel: .wallet, settings: rules) == 60)   // 60.498 → 60
        #expect(try WithdrawalPolicy.fee(amount: 10_084, channel: .wallet, settings: rules) == 61)   // 60.504 → 61
        #expect(throws: TuikeError.self) { try WithdrawalPolicy.fee(amount: 9_999, channel: .bank, settings: rules) }
        #expect(throws: TuikeError.self) { try WithdrawalPolicy.fee(amount: 10_000, channel: .alipay, settings: rules) }
        let greedy = ProgramSettings.Withdrawal(minAmount: 1, feeBps: 10_000, channels: [.bank])
        #expect(throws: TuikeError.self) { try WithdrawalPolicy.fee(amount: 100, channel: .bank, settings: greedy) }
    }

    @Test func onlyRequestedAndApprovedAreOpen() {
        #expect(WithdrawalStatus.allCases.filter { !$0.isFinal } == [.requested, .approved])
    }
}

@Suite struct CSVTests {
    @Test func excelReadyQuotingAndFormulaGuard() {
        let text = CSV.document(header: ["name", "amount", "note"], rows: [
            [.text("推客小王"), .number(-1_500), .text("says \"hi\", twice")],
            [.text("=HYPERLINK(\"x\")"), .number(0), .text("line\r\nbreak")],
            [.text(nil), .number(42), .text("+86 138")],
        ])
        #expect(text.hasPrefix("\u{FEFF}name,amount,note\r\n"))
        let lines = text.dropFirst().components(separatedBy: "\r\n")
        #expect(lines[1] == #"推客小王,-1500,"says ""hi"", twice""#)
        #expect(lines[2] == #""'=HYPERLINK(""x"")",0,"line"#)
        #expect(text.contains(#",42,'+86 138"#))
    }
}

/// A settlement plan's totals are its lines' totals, each line withholds the tax its mode says,
/// and one entry per promoter moves its gross out of pending.
@Suite struct SettlementPlanTests {
    @Test func totalsAndEntriesFollowTheLines() throws {
        let settled: [(promoterID: String, gross: Int64, commissions: Int64)] = [("prm_a", 100_000, 3), ("prm_b", 50, 1), ("prm_c", 4_000_000, 40)]
        for mode in ProgramSettings.TaxMode.allCases {
            let plan = try SettlementPlan(id: "stl_1", periodEnd: Instant(milliseconds: 0), trigger: .manual, taxMode: mode, settled: settled,
                                          now: Instant(milliseconds: 1))
            #expect(plan.lines.map(\.promoterID) == ["prm_a", "prm_b", "prm_c"])
            #expect(plan.batch.gross == 4_100_050 && plan.batch.commissionCount == 44 && plan.batch.promoterCount == 3)
            #expect(plan.batch.tax == plan.lines.map(\.tax).reduce(0, +) && plan.batch.net == plan.batch.gross - plan.batch.tax)
            #expect(plan.lines.allSatisfy { $0.tax == LabourTax.withheld(gross: $0.gross, mode: mode) })
            #expect(plan.entries.count == 3 && plan.entries.allSatisfy { $0.reference == "stl_1" })
            #expect(plan.event.type == "settlement.created" && plan.event.subject == "stl_1")
        }
    }
}
