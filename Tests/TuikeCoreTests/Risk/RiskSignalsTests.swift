import Testing
@testable import TuikeCore

@Suite struct RiskSignalsTests {
    let now = Instant(milliseconds: 3_000_000_000_000)

    func seen(_ kind: RiskSignals.Sighting.Kind, _ hash: String, hoursAgo: Int64, source: String = "login") -> RiskSignals.Sighting {
        RiskSignals.Sighting(kind: kind, valueHash: hash, source: source, seenAt: now.adding(seconds: -hoursAgo * 3_600))
    }

    @Test func selfPurchaseMatchesWithinTheWindowOnly() {
        let sightings = [seen(.ip, "h1", hoursAgo: 24), seen(.device, "d1", hoursAgo: 2, source: "api")]
        // Exactly 24 h before the order is inside; a millisecond more is out.
        #expect(RiskSignals.selfPurchase(.ip, orderValueHash: "h1", sightings: sightings, orderAt: now, hours: 24)?.code == .selfPurchaseIP)
        let late = now.adding(milliseconds: 1)
        #expect(RiskSignals.selfPurchase(.ip, orderValueHash: "h1", sightings: sightings, orderAt: late, hours: 24) == nil)
        #expect(RiskSignals.selfPurchase(.ip, orderValueHash: "h2", sightings: sightings, orderAt: now, hours: 24) == nil)
        #expect(RiskSignals.selfPurchase(.ip, orderValueHash: nil, sightings: sightings, orderAt: now, hours: 24) == nil)
        // A device hash never matches an address with the same digest text.
        #expect(RiskSignals.selfPurchase(.ip, orderValueHash: "d1", sightings: sightings, orderAt: now, hours: 24) == nil)
        let device = RiskSignals.selfPurchase(.device, orderValueHash: "d1", sightings: sightings, orderAt: now, hours: 1)
        #expect(device == nil)
        let within = RiskSignals.selfPurchase(.device, orderValueHash: "d1", sightings: sightings, orderAt: now, hours: 2)
        #expect(within?.code == .selfPurchaseDevice && within?.evidence["source"] == "api")
        // A sighting after the order (clock skew between instances) does not count.
        #expect(RiskSignals.selfPurchase(.ip, orderValueHash: "h1", sightings: [seen(.ip, "h1", hoursAgo: -1)], orderAt: now, hours: 24) == nil)
    }

    @Test func floodsAnomaliesAndRefundsFireAtTheirThresholds() {
        #expect(RiskSignals.clickFlood(clicksInMinute: 29, threshold: 30) == nil)
        #expect(RiskSignals.clickFlood(clicksInMinute: 30, threshold: 30)?.code == .clickFlood)
        // 10 orders from 20 clicks (50 %) against a program at 10 %: 5× fires at 5, not at 6.
        #expect(RiskSignals.conversionAnomaly(clicks: 20, orders: 10, programClicks: 1_000, programOrders: 100, factor: 5)?.code == .conversionAnomaly)
        #expect(RiskSignals.conversionAnomaly(clicks: 20, orders: 10, programClicks: 1_000, programOrders: 100, factor: 6) == nil)
        #expect(RiskSignals.conversionAnomaly(clicks: 2, orders: 9, programClicks: 1_000, programOrders: 100, factor: 5) == nil)  // too few orders
        #expect(RiskSignals.conversionAnomaly(clicks: 0, orders: 10, programClicks: 0, programOrders: 0, factor: 5) == nil)
        #expect(RiskSignals.conversionAnomaly(clicks: .max, orders: .max, programClicks: .max, programOrders: .max, factor: 100) == nil)
        #expect(RiskSignals.refundAbuse(paidOrders: 10, refundedOrders: 5, thresholdBps: 5_000)?.code == .refundAbuse)
        #expect(RiskSignals.refundAbuse(paidOrders: 10, refundedOrders: 4, thresholdBps: 5_000) == nil)
        #expect(RiskSignals.refundAbuse(paidOrders: 4, refundedOrders: 4, thresholdBps: 5_000) == nil)
        #expect(RiskSignals.sharedDeviceGroup(buyersBehindOne: 2, threshold: 2)?.code == .sharedDeviceGroup)
        #expect(RiskSignals.sharedDeviceGroup(buyersBehindOne: 1, threshold: 2) == nil)
        #expect(RiskSignals.sharedPayoutAccount(promoters: 2, threshold: 2)?.code == .sharedPayoutAccount)
        #expect(RiskSignals.newPromoterBurst(joinedAt: now.adding(seconds: -86_399), ordersSinceJoining: 20, now: now, threshold: 20)?.code == .newPromoterBurst)
        #expect(RiskSignals.newPromoterBurst(joinedAt: now.adding(seconds: -86_400), ordersSinceJoining: 20, now: now, threshold: 20) == nil)
    }

    @Test func theVerdictFollowsModesExclusionsAndWeights() {
        let ip = RiskSignal(code: .selfPurchaseIP, reason: "r"), flood = RiskSignal(code: .clickFlood, reason: "r")
        let rules = RiskRule.defaults
        #expect(RiskCase.verdict([], rules: rules, excluded: []) == nil)
        #expect(RiskCase.verdict([ip, flood], rules: rules, excluded: [])?.status == .open)
        #expect(RiskCase.verdict([ip, flood], rules: rules, excluded: [])?.score == 80)
        #expect(RiskCase.verdict([ip, flood], rules: rules, excluded: [.selfPurchaseIP])?.status == .recorded)
        #expect(RiskCase.verdict([ip], rules: rules, excluded: [.selfPurchaseIP]) == nil)
        let off = rules.map { rule -> RiskRule in var copy = rule; copy.mode = .off; return copy }
        #expect(RiskCase.verdict([ip, flood], rules: off, excluded: []) == nil)
        let heavy = rules.map { rule -> RiskRule in var copy = rule; copy.weight = 100; return copy }
        #expect(RiskCase.verdict([ip, flood], rules: heavy, excluded: [])?.score == 100)
    }

    @Test func ruleChangesStayInRange() throws {
        let rule = RiskRule.defaultRule(.refundAbuse)
        #expect(try rule.changed(mode: .hold, threshold: 10_000, weight: 0).threshold == 10_000)
        #expect(throws: TuikeError.self) { try rule.changed(mode: nil, threshold: 10_001, weight: nil) }
        #expect(throws: TuikeError.self) { try rule.changed(mode: nil, threshold: 0, weight: nil) }
        #expect(throws: TuikeError.self) { try rule.changed(mode: nil, threshold: nil, weight: -1) }
        #expect(throws: TuikeError.self) { try RiskCase.checkedResolution(" \n ") }
        #expect(throws: TuikeError.self) { try RiskCase.checkedResolution(String(repeating: "x", count: 501)) }
        #expect(try RiskCase.checkedResolution(" ok ") == "ok")
        for code in RiskCode.allCases { #expect(RiskRule.thresholdRange(code).contains(RiskRule.defaultRule(code).threshold)) }
    }
}
