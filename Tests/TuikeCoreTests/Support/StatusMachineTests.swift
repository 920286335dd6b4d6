import Testing
import TuikeCore

/// The status machines: every status is reachable from the first, the final ones have no way
/// out, and the domain's own questions agree with the moves.
@Suite struct StatusMachineTests {
    static func reachable<S: StatusMachine>(from start: S) -> Set<S> {
        var seen: Set<S> = [start]
        var queue = [start]
        while let status = queue.popLast() {
            for next in status.next where seen.insert(next).inserted { queue.append(next) }
        }
        return seen
    }

    static func check<S: StatusMachine>(_ start: S, finals: Set<S>, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reachable(from: start) == Set(S.allCases), "\(S.self): unreachable \(Set(S.allCases).subtracting(reachable(from: start)))",
                sourceLocation: sourceLocation)
        #expect(Set(S.allCases.filter(\.isFinal)) == finals, "\(S.self)", sourceLocation: sourceLocation)
        for status in S.allCases {
            for target in S.allCases {
                #expect(status.canMove(to: target) == S.sources(of: target).contains(status), sourceLocation: sourceLocation)
            }
        }
    }

    @Test func everyMachineIsConnectedAndEnds() {
        Self.check(Order.Status.pendingPayment, finals: [.refunded])
        Self.check(Promoter.Status.applied, finals: [.terminated])
        Self.check(Commission.Status.pending, finals: [.withdrawn, .reversed, .rejected])
        Self.check(Appeal.Status.open, finals: [.answered])
        Self.check(WithdrawalStatus.requested, finals: [.paid, .failed, .rejected])
        Self.check(GroupStatus.pending, finals: [.succeeded, .failed, .cancelled])
        Self.check(GroupMember.Status.reserved, finals: [.refunded])
    }

    @Test func ordersAreRefundedOnlyWhenPaidAndWithinWhatIsLeft() {
        func order(_ status: Order.Status, amount: Int64 = 1_000, refunded: Int64 = 0) -> Order {
            Order(id: "ord_1", buyerID: "b", externalID: nil, status: status, amount: amount, refunded: refunded, visitorID: nil, clickID: nil, coupon: nil,
                  levelOne: [], levelTwo: nil, levelThree: nil, attributionRule: .none, attributionClickID: nil, selfReferral: false,
                  createdAt: Instant(milliseconds: 0), items: [])
        }
        for status in Order.Status.allCases {
            #expect(status.isRefundable == (status.canMove(to: .refunded)), "\(status)")
        }
        #expect(order(.paid).refundRefusal(1_000) == nil)
        #expect(order(.partiallyRefunded, refunded: 400).refundable == 600)
        #expect(order(.partiallyRefunded, refunded: 400).refundRefusal(601)?.code == "validation_failed")
        #expect(order(.paid).refundRefusal(0)?.code == "validation_failed")
        #expect(order(.pendingPayment).refundRefusal(1)?.code == "not_paid")
        #expect(order(.cancelled).refundRefusal(1)?.code == "not_paid")
        #expect(order(.refunded, refunded: 1_000).refundRefusal(1)?.code == "already_refunded")
    }

    @Test func ordersCountForTheirPromoterWhenPaidAndNotRefundedInFull() {
        func order(_ status: Order.Status, levelOne: [String] = ["prm_1"], selfReferral: Bool = false) -> Order {
            Order(id: "ord_1", buyerID: "b", externalID: nil, status: status, amount: 1_000, visitorID: nil, clickID: nil, coupon: nil,
                  levelOne: levelOne, levelTwo: nil, levelThree: nil, attributionRule: .none, attributionClickID: nil, selfReferral: selfReferral,
                  createdAt: Instant(milliseconds: 0), items: [])
        }
        #expect(order(.paid).counts && order(.partiallyRefunded).counts)
        #expect(!order(.refunded).counts && !order(.pendingPayment).counts && !order(.cancelled).counts)
        #expect(!order(.paid, selfReferral: true).counts && !order(.paid, levelOne: []).counts)
    }

    @Test func aPayoutIsTheAmountLessTheFee() {
        let withdrawal = Withdrawal(id: "wdr_1", promoterID: "p", amount: 10_000, fee: 60, channel: "bank", account: nil, status: .paid, reason: nil,
                                    provider: nil, providerReference: nil, requestedBy: "p", decidedBy: nil, requestedAt: Instant(milliseconds: 0),
                                    decidedAt: nil, completedAt: nil)
        #expect(withdrawal.payout == 9_940)
        #expect(Withdrawal.payout(amount: 30_000, fee: 180) == 29_820)
    }
}
