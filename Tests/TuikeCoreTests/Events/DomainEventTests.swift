import Testing
import TuikeCore

/// Every event the domain can raise has a type webhooks may subscribe to, and its subject is in
/// its payload.
@Suite struct DomainEventTests {
    static let samples: [DomainEvent] = [
        .orderCreated(orderID: "ord_1", buyerID: "b", amount: 100, promoterID: nil),
        .orderPaid(orderID: "ord_1", paymentID: "p", provider: "sandbox", amount: 100),
        .orderCancelled(orderID: "ord_1"),
        .refundCreated(refundID: "rfd_1", orderID: "ord_1", amount: 50, orderStatus: .partiallyRefunded),
        .commissionCreated(commissionID: "com_1", orderID: "ord_1", promoterID: "prm_1", level: 1, amount: 10, kind: "tier_adjustment"),
        .commissionReversed(commissionID: "com_1", promoterID: "prm_1", amount: 5, remaining: 5, status: .pending),
        .commissionClawedBack(commissionID: "com_1", promoterID: "prm_1", amount: 5, remaining: 0, status: .settled),
        .adjustmentCreated(adjustmentID: "adj_1", promoterID: "prm_1", amount: -5, reason: "r"),
        .settlementCreated(settlementID: "stl_1", periodEnd: Instant(milliseconds: 0), gross: 1, tax: 0, net: 1, promoters: 1, commissions: 1),
        .appealCreated(appealID: "apl_1", commissionID: "com_1", promoterID: "prm_1"),
        .appealAnswered(appealID: "apl_1", promoterID: "prm_1", adjustment: nil),
        .orderShipped(orderID: "ord_1", buyerID: "b", carrier: "顺丰", trackingNumber: "SF1"),
        .orderReceived(orderID: "ord_1", buyerID: "b", automatic: true),
    ] + AfterSale.Status.allCases.map { .afterSale($0, afterSaleID: "as_1", orderID: "ord_1", buyerID: "b", amount: 100) } + WithdrawalStatus.allCases.map { .withdrawal($0, withdrawalID: "wdr_1", promoterID: "prm_1", amount: 100) }
        + RiskCase.Status.allCases.map { .riskCase($0, caseID: "rsk_1", promoterID: "prm_1", orderID: "ord_1", codes: ["self_purchase_ip"]) }
        + GroupEvent.Kind.allCases.map { .group($0, groupID: "grp_1", seq: 1, members: 1, reserved: 0, size: 2, status: .forming) }

    @Test func everyEventHasAKnownTypeAndNamesItsSubject() {
        #expect(Set(DomainEvent.types).count == DomainEvent.types.count)
        #expect(Set(Self.samples.map(\.type)) == Set(DomainEvent.types))
        for event in Self.samples {
            #expect(event.payload.values.contains(.string(event.subject)), "\(event.type)")
        }
        #expect(DomainEvent.commissionCreated(commissionID: "c", orderID: "o", promoterID: "p", level: 1, amount: 1, kind: nil).payload["kind"] == nil)
    }
}
