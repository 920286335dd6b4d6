import Testing
@testable import TuikeCore

@Suite struct BuyerRulesTests {
    let now = Instant(milliseconds: 3_000_000_000_000)

    @Test func codesAreRateLimitedPerPhoneAndAddress() {
        #expect(OneTimeCode.sendRefusal(phoneSends: [], addressSends: 0, now: now) == nil)
        #expect(OneTimeCode.sendRefusal(phoneSends: [now.adding(seconds: -59)], addressSends: 0, now: now)?.retryAfter == 1)
        #expect(OneTimeCode.sendRefusal(phoneSends: [now.adding(seconds: -60)], addressSends: 0, now: now) == nil)
        let five = (1...5).map { now.adding(seconds: -Int64($0) * 600) }
        #expect(OneTimeCode.sendRefusal(phoneSends: five, addressSends: 0, now: now)?.code == "rate_limited")
        #expect(OneTimeCode.sendRefusal(phoneSends: [], addressSends: OneTimeCode.addressPerHour, now: now)?.code == "rate_limited")
    }

    @Test func codesExpireAreUsedOnceAndLockAfterFiveTries() {
        let fresh = OneTimeCode.Issued(id: "otc", expiresAt: now.adding(seconds: 1), attempts: 4, used: false)
        #expect(OneTimeCode.tryRefusal(fresh, now: now) == nil)
        #expect(OneTimeCode.tryRefusal(fresh, now: now.adding(seconds: 1)) != nil)
        #expect(OneTimeCode.tryRefusal(.init(id: "otc", expiresAt: fresh.expiresAt, attempts: 5, used: false), now: now) != nil)
        #expect(OneTimeCode.tryRefusal(.init(id: "otc", expiresAt: fresh.expiresAt, attempts: 0, used: true), now: now) != nil)
        #expect(OneTimeCode.tryRefusal(nil, now: now)?.code == "invalid_code")
        let code = OneTimeCode.make()
        #expect(OneTimeCode.isWellFormed(code) && !OneTimeCode.isWellFormed("12345") && !OneTimeCode.isWellFormed("12345a"))
    }

    /// Who hears about what: group members, the order's buyer, or the buyer named.
    @Test func noticesGoToTheBuyersConcerned() {
        #expect(BuyerNotice.audience(type: "group.failed", payload: ["group_id": "grp_1"]) == .groupMembers(groupID: "grp_1", statuses: ["paid", "refunding", "refunded"]))
        #expect(BuyerNotice.audience(type: "refund.created", payload: ["order_id": "ord_1"]) == .orderBuyer(orderID: "ord_1"))
        #expect(BuyerNotice.audience(type: "order.shipped", payload: ["buyer_id": "byr_1"]) == .buyer("byr_1"))
        #expect(BuyerNotice.notice(type: "order.paid", payload: [:]) == nil)
        #expect(BuyerNotice.notice(type: "refund.created", payload: ["order_id": "o", "amount": 9_900])?.text.contains("99.00") == true)
        #expect(BuyerNotice.notice(type: "group.succeeded", payload: ["group_id": "g"])?.marketing == false)
        #expect(BuyerNotice.retryDelay(attempt: 1) == 60 && BuyerNotice.retryDelay(attempt: 99) == 21_600)
    }

    @Test func videoDaysAreCheckedAgainstToday() throws {
        func day(_ text: String, plays: Int64 = 1) -> VideoDayStats {
            VideoDayStats(videoID: "vid", promoterID: nil, day: text, plays: plays, likes: 0, comments: 0, shares: 0)
        }
        try day("2026-12-03").validate(today: "2026-12-03")
        #expect(throws: TuikeError.self) { try day("2026-12-04").validate(today: "2026-12-03") }
        #expect(throws: TuikeError.self) { try day("2026-02-30").validate(today: "2026-12-03") }
        #expect(throws: TuikeError.self) { try day("20261201").validate(today: "2026-12-03") }
        #expect(throws: TuikeError.self) { try day("2026-12-01", plays: -1).validate(today: "2026-12-03") }
        #expect(throws: TuikeError.self) { try day("2026-12-01", plays: VideoDayStats.maxCount + 1).validate(today: "2026-12-03") }
        #expect(throws: TuikeError.self) { try Video.validate(title: "视频", url: "http://x.example/v", productIDs: []) }
        #expect(throws: TuikeError.self) { try Video.validate(title: "视频", url: "https://x.example/v", productIDs: ["a", "a"]) }
    }

    @Test func csvRoundTrips() {
        let text = CSV.document(header: ["order_id", "line"], rows: [[.text("ord_1"), .text("文三路 1 号, 3 楼 \"东\"")], [.text("ord_2"), .text(nil)]])
        #expect(CSV.parse(text) == [["order_id", "line"], ["ord_1", "文三路 1 号, 3 楼 \"东\""], ["ord_2", ""]])
        #expect(CSV.parse("a,b\n\n1,2") == [["a", "b"], ["1", "2"]])
        #expect(CSV.parse("") == [])
    }
}
