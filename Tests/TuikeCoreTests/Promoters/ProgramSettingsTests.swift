import Foundation
import Testing
@testable import TuikeCore

@Suite struct ProgramSettingsTests {
    @Test func defaultsAreThoseOfTheRulesAndValid() throws {
        let settings = ProgramSettings.defaults
        #expect(settings.levels == [2000, 500])
        #expect(settings.maxTotalBps == 5000)
        #expect(settings.windowDays == 30 && settings.bindingDays == 30 && settings.freezeDays == 7)
        #expect(settings.timeZone == "Asia/Shanghai")
        #expect(settings.withdrawal.minAmount == 10_000)
        try settings.validate()
    }

    @Test func encodesTheFieldsOfTheAPI() throws {
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ProgramSettings.defaults)) as! [String: Any]
        #expect(Set(object.keys) == ProgramSettings.fieldNames)
        #expect(object["attribution_model"] as? String == "first_click")
        #expect(Set((object["withdrawal"] as! [String: Any]).keys) == ProgramSettings.withdrawalFieldNames)
    }

    @Test func aFourthLevelIsAComplianceViolation() {
        var settings = ProgramSettings.defaults
        settings.levels = [1000, 500, 300, 100]
        #expect(throws: TuikeError.compliance("at most 3 commission levels are allowed, got 4")) { try settings.validate() }
    }

    @Test func ratesAboveTheCapAreAComplianceViolation() {
        var settings = ProgramSettings.defaults
        settings.levels = [3000, 1500, 501]
        #expect(throws: TuikeError.compliance("level rates add up to 5001 bps, above max_total_bps 5000")) { try settings.validate() }
        settings.levels = [3000, 1500, 500]
        #expect(throws: Never.self) { try settings.validate() }
    }

    @Test func fixedRulesAreNotMeasuredInBasisPoints() throws {
        var settings = ProgramSettings.defaults
        settings.ruleType = .fixed
        settings.levels = [10_000, 5_000]
        try settings.validate()
    }

    static func broken(_ name: String) -> ProgramSettings {
        var s = ProgramSettings.defaults
        switch name {
        case "window_days=0": s.windowDays = 0
        case "window_days=366": s.windowDays = 366
        case "binding_days=-2": s.bindingDays = -2
        case "freeze_days=-1": s.freezeDays = -1
        case "time_zone": s.timeZone = "Mars/Olympus"
        case "levels=[]": s.levels = []
        case "levels=[-1]": s.levels = [-1]
        case "max_total_bps": s.maxTotalBps = 10_001
        case "withdrawal.fee_bps": s.withdrawal.feeBps = -5
        case "withdrawal.min_amount": s.withdrawal.minAmount = 0
        case "withdrawal.channels=[]": s.withdrawal.channels = []
        case "withdrawal.channels=dup": s.withdrawal.channels = [.bank, .bank]
        default: Issue.record("unknown case \(name)")
        }
        return s
    }

    @Test(arguments: ["window_days=0", "window_days=366", "binding_days=-2", "freeze_days=-1", "time_zone", "levels=[]",
                      "levels=[-1]", "max_total_bps", "withdrawal.fee_bps", "withdrawal.min_amount",
                      "withdrawal.channels=[]", "withdrawal.channels=dup"])
    func invalidValuesAreValidationFailures(name: String) {
        let field = String(name.prefix { $0 != "=" })
        do {
            try Self.broken(name).validate()
            Issue.record("\(name) passed validation")
        } catch {
            #expect(error.code == "validation_failed")
            #expect(error.message.contains(field))
        }
    }

    @Test func bindingMayBePermanentOrOff() throws {
        var settings = ProgramSettings.defaults
        settings.bindingDays = -1
        try settings.validate()
        settings.bindingDays = 0
        try settings.validate()
    }
}
