/// What a payment's commissions depended on beyond the order's own snapshot: which of its
/// promoters were active, with the rank bonus each held, and the level-1 promoter's order number
/// of the month when a tier ladder needed it. Kept with the payment, so that a plan can later be
/// replayed on the order exactly as the live engine saw it (`PlanSimulation`).
public struct CommissionInputs: Sendable, Equatable {
    /// Each active promoter of the order, with its rank bonus in bps.
    public var active: [String: Int64]
    /// The order's place among the promoter's counted orders of the month; nil when no line had
    /// a ladder, so nothing counted it.
    public var monthOrderNumber: Int64?

    public init(active: [String: Int64], monthOrderNumber: Int64?) {
        self.active = active
        self.monthOrderNumber = monthOrderNumber
    }

    public init(_ snapshot: PaymentPlan.Snapshot) {
        active = snapshot.active
        monthOrderNumber = PaymentPlan.needsMonthOrderNumber(snapshot.order) ? snapshot.monthOrderNumber : nil
    }

    /// `n=<number or empty>;<id>=<bps>,<id>=<bps>`, promoters sorted: short, and stable for tests.
    /// Promoter ids are identifiers (`Identifier`), which never hold `;`, `,` or `=`.
    public var text: String {
        let promoters = active.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return "n=\(monthOrderNumber.map(String.init) ?? "");\(promoters)"
    }

    public init?(text: String) {
        let parts = text.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].hasPrefix("n=") else { return nil }
        let number = parts[0].dropFirst(2)
        if number.isEmpty {
            monthOrderNumber = nil
        } else {
            guard let value = Int64(number), value > 0 else { return nil }
            monthOrderNumber = value
        }
        var active: [String: Int64] = [:]
        for pair in parts[1].split(separator: ",") {
            let sides = pair.split(separator: "=", omittingEmptySubsequences: false)
            guard sides.count == 2, !sides[0].isEmpty, let bonus = Int64(sides[1]) else { return nil }
            active[String(sides[0])] = bonus
        }
        self.active = active
    }
}
