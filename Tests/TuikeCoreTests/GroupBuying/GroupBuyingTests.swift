import Testing
@testable import TuikeCore

@Suite struct GroupBuyingTests {
    static let start = Instant(milliseconds: 1_800_000_000_000)

    static func campaign(_ change: (inout GroupCampaign) -> Void = { _ in }) -> GroupCampaign {
        var campaign = GroupCampaign(id: "gcp", productID: "prod", groupPrice: 9_900, groupSize: 3, startsAt: start, endsAt: start.adding(seconds: 86_400))
        change(&campaign)
        return campaign
    }

    @Test func sensibleCampaignsPass() throws {
        try Self.campaign().validate(listPrice: 19_900)
        try Self.campaign { $0.groupPrice = 0; $0.leaderPrice = 0; $0.groupSize = 50; $0.maxGroups = 1 }.validate(listPrice: 19_900)
        try Self.campaign { $0.groupSize = 2 }.validate(listPrice: 9_901)
    }

    @Test(arguments: [
        { (c: inout GroupCampaign) in c.groupPrice = 19_900 },          // not below the list price
        { (c: inout GroupCampaign) in c.groupPrice = -1 },
        { (c: inout GroupCampaign) in c.leaderPrice = 10_000 },         // leader pays more than the group
        { (c: inout GroupCampaign) in c.groupSize = 1 },
        { (c: inout GroupCampaign) in c.groupSize = 51 },
        { (c: inout GroupCampaign) in c.durationSeconds = 299 },
        { (c: inout GroupCampaign) in c.perUserLimit = 0 },
        { (c: inout GroupCampaign) in c.maxGroups = 0 },
        { (c: inout GroupCampaign) in c.maxGroups = 2; c.groupsOpened = 3 },
        { (c: inout GroupCampaign) in c.paymentTimeoutSeconds = 59 },
        { (c: inout GroupCampaign) in c.expiringSoonSeconds = 86_400 },  // not before expiry
        { (c: inout GroupCampaign) in c.endsAt = c.startsAt },
    ] as [@Sendable (inout GroupCampaign) -> Void])
    func nonsenseIsRefused(change: @Sendable (inout GroupCampaign) -> Void) {
        #expect(throws: TuikeError.self) { try Self.campaign(change).validate(listPrice: 19_900) }
    }

    @Test func everyProblemIsNamedAtOnce() {
        do {
            try Self.campaign { $0.groupSize = 1; $0.groupPrice = 20_000 }.validate(listPrice: 19_900)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.message.contains("group_size") && error.message.contains("group_price"))
        }
    }

    @Test func leadersPayTheirPrice() {
        #expect(Self.campaign().price(leader: true) == 9_900)
        #expect(Self.campaign { $0.leaderPrice = 8_900 }.price(leader: true) == 8_900)
        #expect(Self.campaign { $0.leaderPrice = 8_900 }.price(leader: false) == 9_900)
    }

    @Test func atExpiryShortGroupsFailUnlessVirtualSuccessHasAMember() {
        #expect(GroupStatus.atExpiry(paidMembers: 2, size: 3, virtualSuccess: false) == .failed)
        #expect(GroupStatus.atExpiry(paidMembers: 3, size: 3, virtualSuccess: false) == .succeeded)
        #expect(GroupStatus.atExpiry(paidMembers: 1, size: 3, virtualSuccess: true) == .succeeded)
        #expect(GroupStatus.atExpiry(paidMembers: 0, size: 3, virtualSuccess: true) == .failed)
        #expect(GroupStatus.allCases.filter(\.isFinished) == [.succeeded, .failed, .cancelled])
    }

    @Test func metricsRoundHalfUp() {
        let metrics = GroupCampaignMetrics(groupsOpened: 3, succeeded: 2, failed: 1, paidOrders: 7, paidAmount: 66_300, newBuyers: 4, refunds: 1,
                                           refundedAmount: 9_900)
        #expect(metrics.successRateBps == 6_667)
        #expect(metrics.averageOrderValue == 9_471)     // 9471.43
        #expect(metrics.viralCoefficientBps == 13_333)
        let empty = GroupCampaignMetrics(groupsOpened: 0, succeeded: 0, failed: 0, paidOrders: 0, paidAmount: 0, newBuyers: 0, refunds: 0, refundedAmount: 0)
        #expect(empty.successRateBps == 0 && empty.averageOrderValue == 0 && empty.viralCoefficientBps == 0)
    }
}
