/// The risk signals Tuike knows (docs/rules.md §16), each with a code that outside tools see.
public enum RiskCode: String, CaseIterable, Codable, Sendable {
    case selfPurchaseIP = "self_purchase_ip"
    case selfPurchaseDevice = "self_purchase_device"
    case clickFlood = "click_flood"
    case conversionAnomaly = "conversion_anomaly"
    case refundAbuse = "refund_abuse"
    case sharedDeviceGroup = "shared_device_group"
    case sharedPayoutAccount = "shared_payout_account"
    case newPromoterBurst = "new_promoter_burst"
}

/// What a rule does when its signal fires: nothing, record it only, or hold the commissions
/// concerned for review.
public enum RiskMode: String, CaseIterable, Codable, Sendable {
    case off, shadow, hold
}

/// One row of the owner's risk rules: a signal's mode, its threshold (in the signal's own unit)
/// and its weight (how much it counts towards a case's score, 0–100).
public struct RiskRule: Equatable, Sendable {
    public let code: RiskCode
    public var mode: RiskMode
    public var threshold: Int64
    public var weight: Int64
    public var version: Int64

    public init(code: RiskCode, mode: RiskMode, threshold: Int64, weight: Int64, version: Int64 = 0) {
        self.code = code
        self.mode = mode
        self.threshold = threshold
        self.weight = weight
        self.version = version
    }

    public static let weights: ClosedRange<Int64> = 0...100

    /// What the threshold means for each signal, and its allowed range.
    public static func thresholdRange(_ code: RiskCode) -> ClosedRange<Int64> {
        switch code {
        case .selfPurchaseIP, .selfPurchaseDevice: 1...720  // hours
        case .clickFlood: 2...10_000  // clicks on one link per minute from one address, device or cookie-less user agent
        case .conversionAnomaly: 2...100  // times the program's conversion rate
        case .refundAbuse: 1...10_000  // refund rate in basis points
        case .sharedDeviceGroup: 2...100  // buyers of one group behind one device or address
        case .sharedPayoutAccount: 2...100  // promoters sharing one payout account
        case .newPromoterBurst: 1...100_000  // paid orders in a new promoter's first day
        }
    }

    /// The defaults a new program starts with: the self-purchase rules hold (the rules of
    /// attribution say such an order is held, not dropped), the rest record only until the owner
    /// has seen what they catch.
    public static let defaults: [RiskRule] = [
        RiskRule(code: .selfPurchaseIP, mode: .hold, threshold: 24, weight: 60),
        RiskRule(code: .selfPurchaseDevice, mode: .hold, threshold: 24, weight: 80),
        RiskRule(code: .clickFlood, mode: .shadow, threshold: 30, weight: 20),
        RiskRule(code: .conversionAnomaly, mode: .shadow, threshold: 3, weight: 30),
        RiskRule(code: .refundAbuse, mode: .shadow, threshold: 5_000, weight: 40),
        RiskRule(code: .sharedDeviceGroup, mode: .shadow, threshold: 2, weight: 50),
        RiskRule(code: .sharedPayoutAccount, mode: .shadow, threshold: 2, weight: 50),
        RiskRule(code: .newPromoterBurst, mode: .shadow, threshold: 20, weight: 20),
    ]

    public static func defaultRule(_ code: RiskCode) -> RiskRule {
        defaults.first { $0.code == code } ?? RiskRule(code: code, mode: .off, threshold: thresholdRange(code).lowerBound, weight: 0)
    }

    /// A change as the API sends it, checked against the ranges.
    public func changed(mode: RiskMode?, threshold: Int64?, weight: Int64?) throws(TuikeError) -> RiskRule {
        var next = self
        if let mode { next.mode = mode }
        if let threshold {
            let range = Self.thresholdRange(code)
            guard range.contains(threshold) else {
                throw .validation("threshold of \(code.rawValue) must be between \(range.lowerBound) and \(range.upperBound)")
            }
            next.threshold = threshold
        }
        if let weight {
            guard Self.weights.contains(weight) else { throw .validation("weight must be between 0 and 100") }
            next.weight = weight
        }
        return next
    }
}

/// A signal that fired: its code, a reason a person can read (shown to admins and, without the
/// evidence, to the promoter), and the evidence behind it (admins only).
public struct RiskSignal: Equatable, Sendable, Codable {
    public let code: RiskCode
    public let reason: String
    public let evidence: [String: String]

    public init(code: RiskCode, reason: String, evidence: [String: String] = [:]) {
        self.code = code
        self.reason = reason
        self.evidence = evidence
    }
}
