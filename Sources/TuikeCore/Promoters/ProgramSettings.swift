import Foundation

/// The merchant's program settings (docs/api.md "Program settings"). Defaults are those of docs/rules.md.
public struct ProgramSettings: Codable, Equatable, Sendable {
    public enum RuleType: String, Codable, Sendable, CaseIterable { case percent, fixed }
    public enum AttributionModel: String, Codable, Sendable, CaseIterable {
        case firstClick = "first_click", lastClick = "last_click", linear
    }
    public enum SettlementCycle: String, Codable, Sendable, CaseIterable { case weekly, monthly }
    public enum TaxMode: String, Codable, Sendable, CaseIterable { case none, prcLabor = "prc_labor" }
    public enum Channel: String, Codable, Sendable, CaseIterable { case wallet, bank, wechat, alipay }

    public struct Withdrawal: Codable, Equatable, Sendable {
        public var minAmount: Int64
        public var feeBps: Int64
        public var channels: [Channel]

        public init(minAmount: Int64 = 10_000, feeBps: Int64 = 0, channels: [Channel] = Channel.allCases) {
            self.minAmount = minAmount
            self.feeBps = feeBps
            self.channels = channels
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case minAmount = "min_amount", feeBps = "fee_bps", channels
        }
    }

    public var levels: [Int64]
    public var ruleType: RuleType
    public var maxTotalBps: Int64
    public var attributionModel: AttributionModel
    public var windowDays: Int64
    public var bindingDays: Int64
    public var freezeDays: Int64
    public var settlementCycle: SettlementCycle
    public var timeZone: String
    public var taxMode: TaxMode
    public var withdrawal: Withdrawal
    public var autoApprovePromoters: Bool
    /// Unpaid orders are cancelled this long after creation (and their stock returned).
    public var orderTimeoutSeconds: Int64
    /// Hosts a link may send visitors to besides the server's own public host: `shop.example.com`,
    /// or `*.example.com` for every subdomain. Anything else is refused, so `/r/…` is no open
    /// redirect on the merchant's domain.
    public var linkHosts: [String]
    /// Whether webhook endpoints may be on loopback, private or link-local addresses (a merchant
    /// whose receiver runs beside Tuike). Off, such an endpoint is refused and not delivered to.
    public var webhooksAllowPrivate: Bool
    /// A shipped order counts as received this many days after its last parcel (自动确认收货).
    public var autoReceiveDays: Int64
    /// The after-sale window after receipt; a physical line's commission waits for it to close.
    public var afterSaleDays: Int64
    /// How long a risk case may wait for its review before the queue shows it overdue. An overdue
    /// case stays held: nothing is ever released because nobody looked.
    public var riskReviewHours: Int64

    public init(
        levels: [Int64] = [2000, 500],
        ruleType: RuleType = .percent,
        maxTotalBps: Int64 = 5000,
        attributionModel: AttributionModel = .firstClick,
        windowDays: Int64 = 30,
        bindingDays: Int64 = 30,
        freezeDays: Int64 = 7,
        settlementCycle: SettlementCycle = .weekly,
        timeZone: String = "Asia/Shanghai",
        taxMode: TaxMode = .none,
        withdrawal: Withdrawal = Withdrawal(),
        autoApprovePromoters: Bool = false,
        orderTimeoutSeconds: Int64 = 1_800,
        linkHosts: [String] = [],
        webhooksAllowPrivate: Bool = false,
        autoReceiveDays: Int64 = 10,
        afterSaleDays: Int64 = 7,
        riskReviewHours: Int64 = 72
    ) {
        self.riskReviewHours = riskReviewHours
        self.autoReceiveDays = autoReceiveDays
        self.afterSaleDays = afterSaleDays
        self.linkHosts = linkHosts
        self.webhooksAllowPrivate = webhooksAllowPrivate
        self.levels = levels
        self.ruleType = ruleType
        self.maxTotalBps = maxTotalBps
        self.attributionModel = attributionModel
        self.windowDays = windowDays
        self.bindingDays = bindingDays
        self.freezeDays = freezeDays
        self.settlementCycle = settlementCycle
        self.timeZone = timeZone
        self.taxMode = taxMode
        self.withdrawal = withdrawal
        self.autoApprovePromoters = autoApprovePromoters
        self.orderTimeoutSeconds = orderTimeoutSeconds
    }

    /// Settings stored by an older version lack the newer fields: those take their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        levels = try c.decode([Int64].self, forKey: .levels)
        ruleType = try c.decode(RuleType.self, forKey: .ruleType)
        maxTotalBps = try c.decode(Int64.self, forKey: .maxTotalBps)
        attributionModel = try c.decode(AttributionModel.self, forKey: .attributionModel)
        windowDays = try c.decode(Int64.self, forKey: .windowDays)
        bindingDays = try c.decode(Int64.self, forKey: .bindingDays)
        freezeDays = try c.decode(Int64.self, forKey: .freezeDays)
        settlementCycle = try c.decode(SettlementCycle.self, forKey: .settlementCycle)
        timeZone = try c.decode(String.self, forKey: .timeZone)
        taxMode = try c.decode(TaxMode.self, forKey: .taxMode)
        withdrawal = try c.decode(Withdrawal.self, forKey: .withdrawal)
        autoApprovePromoters = try c.decode(Bool.self, forKey: .autoApprovePromoters)
        orderTimeoutSeconds = try c.decodeIfPresent(Int64.self, forKey: .orderTimeoutSeconds) ?? ProgramSettings.defaults.orderTimeoutSeconds
        linkHosts = try c.decodeIfPresent([String].self, forKey: .linkHosts) ?? []
        webhooksAllowPrivate = try c.decodeIfPresent(Bool.self, forKey: .webhooksAllowPrivate) ?? false
        autoReceiveDays = try c.decodeIfPresent(Int64.self, forKey: .autoReceiveDays) ?? ProgramSettings.defaults.autoReceiveDays
        afterSaleDays = try c.decodeIfPresent(Int64.self, forKey: .afterSaleDays) ?? ProgramSettings.defaults.afterSaleDays
        riskReviewHours = try c.decodeIfPresent(Int64.self, forKey: .riskReviewHours) ?? ProgramSettings.defaults.riskReviewHours
    }

    public static let defaults = ProgramSettings()

    /// The most levels a program may pay (docs/rules.md §2, 三级分销 is the legal limit).
    public static let maxLevels = 3

    enum CodingKeys: String, CodingKey, CaseIterable {
        case levels
        case ruleType = "rule_type"
        case maxTotalBps = "max_total_bps"
        case attributionModel = "attribution_model"
        case windowDays = "window_days"
        case bindingDays = "binding_days"
        case freezeDays = "freeze_days"
        case settlementCycle = "settlement_cycle"
        case timeZone = "time_zone"
        case taxMode = "tax_mode"
        case withdrawal
        case autoApprovePromoters = "auto_approve_promoters"
        case orderTimeoutSeconds = "order_timeout_seconds"
        case linkHosts = "link_hosts"
        case webhooksAllowPrivate = "webhooks_allow_private"
        case autoReceiveDays = "auto_receive_days"
        case afterSaleDays = "after_sale_days"
        case riskReviewHours = "risk_review_hours"
    }

    public static let maxLinkHosts = 50

    /// Whether a link may send visitors to `host` (lower-cased), given the server's own public host.
    public func allowsLinkHost(_ host: String, publicHost: String?) -> Bool {
        let host = host.lowercased()
        if host == publicHost?.lowercased() { return true }
        return linkHosts.contains { allowed in
            let allowed = allowed.lowercased()
            if allowed.hasPrefix("*.") { return host.hasSuffix(allowed.dropFirst(1)) }
            return host == allowed
        }
    }

    /// The JSON keys a client may send, for rejecting misspelt fields instead of ignoring them.
    public static let fieldNames = Set(CodingKeys.allCases.map(\.rawValue))
    public static let withdrawalFieldNames = Set(Withdrawal.CodingKeys.allCases.map(\.rawValue))

    /// Checks every field. Shape errors (`validation_failed`) are reported before legal limits
    /// (`compliance_violation`), all problems of the winning kind in one message.
    public func validate() throws(TuikeError) {
        var invalid: [String] = []
        if levels.contains(where: { $0 < 0 }) { invalid.append("levels must not be negative") }
        if levels.isEmpty { invalid.append("levels needs at least one level") }
        if let problem = CommissionRule.rateProblem(levels, type: ruleType == .percent ? .percent : .fixed, what: "level") { invalid.append(problem) }
        if !(1...Money.fullRate).contains(maxTotalBps) { invalid.append("max_total_bps must be between 1 and 10000") }
        if !(1...365).contains(windowDays) { invalid.append("window_days must be between 1 and 365") }
        if !(bindingDays == -1 || (0...3650).contains(bindingDays)) {
            invalid.append("binding_days must be -1 (permanent), 0 (none) or up to 3650")
        }
        if !(0...365).contains(freezeDays) { invalid.append("freeze_days must be between 0 and 365") }
        if !(1...60).contains(autoReceiveDays) { invalid.append("auto_receive_days must be between 1 and 60") }
        if !(0...90).contains(afterSaleDays) { invalid.append("after_sale_days must be between 0 and 90") }
        if !(1...720).contains(riskReviewHours) { invalid.append("risk_review_hours must be between 1 and 720") }
        if !(60...604_800).contains(orderTimeoutSeconds) { invalid.append("order_timeout_seconds must be between 60 and 604800") }
        if linkHosts.count > Self.maxLinkHosts { invalid.append("link_hosts has at most \(Self.maxLinkHosts) hosts") }
        let hostCharacters = Set("abcdefghijklmnopqrstuvwxyz0123456789-.")
        for host in linkHosts {
            let name = host.hasPrefix("*.") ? String(host.dropFirst(2)) : host
            if !(1...253).contains(name.count) || !name.lowercased().allSatisfy(hostCharacters.contains) || name.hasPrefix(".") || name.hasSuffix(".") || !name.contains(".") {
                invalid.append("link_hosts: \(host) is not a host name like shop.example.com or *.example.com")
            }
        }
        if TimeZone(identifier: timeZone) == nil { invalid.append("time_zone \(timeZone) is not an IANA time zone") }
        if !(1...Money.maxAmount).contains(withdrawal.minAmount) { invalid.append("withdrawal.min_amount must be between 1 and \(Money.maxAmount)") }
        if !(0...Money.fullRate).contains(withdrawal.feeBps) { invalid.append("withdrawal.fee_bps must be between 0 and 10000") }
        if withdrawal.channels.isEmpty { invalid.append("withdrawal.channels needs at least one channel") }
        if Set(withdrawal.channels).count != withdrawal.channels.count { invalid.append("withdrawal.channels has duplicates") }
        if !invalid.isEmpty { throw .validation(invalid.joined(separator: "; ")) }

        var violations: [String] = []
        if levels.count > Self.maxLevels {
            violations.append("at most \(Self.maxLevels) commission levels are allowed, got \(levels.count)")
        }
        let total = Money.total(levels)
        if ruleType == .percent, total > maxTotalBps {
            violations.append("level rates add up to \(total) bps, above max_total_bps \(maxTotalBps)")
        }
        if !violations.isEmpty { throw .compliance(violations.joined(separator: "; ")) }
    }
}
