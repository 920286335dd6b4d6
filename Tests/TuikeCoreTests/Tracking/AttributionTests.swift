import Testing
@testable import TuikeCore

/// docs/rules.md §3 at its boundaries.
@Suite struct AttributionTests {
    static let day: Int64 = 86_400_000
    static let now = Instant(milliseconds: 1_800_000_000_000)
    static let active = Attribution.Candidate(status: .active, buyerID: nil)

    static func click(_ id: String, promoter: String, ago milliseconds: Int64, link: String = "lnk", bot: Bool = false) -> Attribution.Click {
        Attribution.Click(id: id, linkID: link, promoterID: promoter, visitorID: "v", at: now.adding(milliseconds: -milliseconds), isBot: bot)
    }

    static func input(_ clicks: [Attribution.Click], model: ProgramSettings.AttributionModel = .firstClick,
                      promoters: [String: Attribution.Candidate] = ["A": active, "B": active, "C": active]) -> Attribution.Input {
        Attribution.Input(buyerID: "buyer", now: now, model: model, windowDays: 30, clicks: clicks, promoters: promoters)
    }

    @Test func firstClickWinsByDefaultAndLastClickWhenConfigured() {
        let clicks = [Self.click("c2", promoter: "B", ago: 2 * Self.day), Self.click("c1", promoter: "A", ago: 5 * Self.day),
                      Self.click("c3", promoter: "C", ago: Self.day)]
        let first = Attribution.decide(Self.input(clicks))
        #expect(first.promoterID == "A" && first.rule == .firstClick && first.clickID == "c1")
        let last = Attribution.decide(Self.input(clicks, model: .lastClick))
        #expect(last.promoterID == "C" && last.rule == .lastClick && last.clickID == "c3")
    }

    @Test func theWindowIncludesItsEdgeAndNothingBefore() {
        let edge = Self.click("edge", promoter: "A", ago: 30 * Self.day)
        let outside = Self.click("old", promoter: "B", ago: 30 * Self.day + 1)
        #expect(Attribution.decide(Self.input([outside, edge])).promoterID == "A")
        #expect(Attribution.decide(Self.input([outside])) == .none)
        let future = Self.click("future", promoter: "C", ago: -1)
        #expect(Attribution.decide(Self.input([future])) == .none)
    }

    @Test func botsAndInactivePromotersAreNeverAttributed() {
        let promoters: [String: Attribution.Candidate] = ["A": Self.active, "S": .init(status: .suspended, buyerID: nil),
                                                           "T": .init(status: .terminated, buyerID: nil)]
        let clicks = [Self.click("bot", promoter: "A", ago: 9 * Self.day, bot: true), Self.click("s", promoter: "S", ago: 8 * Self.day),
                      Self.click("t", promoter: "T", ago: 7 * Self.day), Self.click("a", promoter: "A", ago: Self.day)]
        let result = Attribution.decide(Self.input(clicks, promoters: promoters))
        #expect(result.promoterID == "A" && result.clickID == "a")
        #expect(Attribution.decide(Self.input([clicks[0]], promoters: promoters)) == .none)
    }

    @Test func aLiveBindingBeatsCouponsAndClicks() {
        var input = Self.input([Self.click("c", promoter: "A", ago: Self.day)])
        input.couponPromoterID = "B"
        input.binding = .init(promoterID: "C", expiresAt: Self.now.adding(milliseconds: 1))
        #expect(Attribution.decide(input).promoterID == "C" && Attribution.decide(input).rule == .binding)
        // Protection ends at expires_at exactly: the coupon decides then.
        input.binding = .init(promoterID: "C", expiresAt: Self.now)
        #expect(Attribution.decide(input).promoterID == "B" && Attribution.decide(input).rule == .coupon)
        // A permanent binding never ends.
        input.binding = .init(promoterID: "C", expiresAt: nil)
        #expect(Attribution.decide(input).promoterID == "C")
        // A binding to a promoter who is no longer active does not hold.
        input.promoters["C"] = .init(status: .suspended, buyerID: nil)
        #expect(Attribution.decide(input).rule == .coupon)
        input.couponPromoterID = nil
        #expect(Attribution.decide(input).rule == .firstClick)
    }

    @Test func linearSplitsOverDistinctPromotersEarliestFirst() {
        let clicks = [Self.click("b1", promoter: "B", ago: 5 * Self.day), Self.click("a1", promoter: "A", ago: 3 * Self.day),
                      Self.click("b2", promoter: "B", ago: 2 * Self.day), Self.click("c1", promoter: "C", ago: Self.day)]
        let result = Attribution.decide(Self.input(clicks, model: .linear))
        #expect(result.promoters == ["B", "A", "C"] && result.rule == .linear)
        #expect(Attribution.linearSplit(10_000, into: 3) == [3_334, 3_333, 3_333])
        #expect(Attribution.linearSplit(10_001, into: 3) == [3_334, 3_334, 3_333])
        #expect(Attribution.linearSplit(2, into: 3) == [1, 1, 0])
        #expect(Attribution.linearSplit(9_999, into: 3) == [3_333, 3_333, 3_333])
        for amount in Int64(0)...200 {
            for count in 1...7 {
                let parts = Attribution.linearSplit(amount, into: count)
                #expect(parts.reduce(0, +) == amount && parts.max()! - parts.min()! <= 1 && parts == parts.sorted(by: >))
            }
        }
    }

    @Test func selfReferralIsFlaggedWhateverTheRule() {
        let promoters: [String: Attribution.Candidate] = ["A": .init(status: .active, buyerID: "buyer"), "B": Self.active]
        let byClick = Attribution.decide(Self.input([Self.click("a", promoter: "A", ago: Self.day)], promoters: promoters))
        #expect(byClick.promoterID == "A" && byClick.selfReferral)
        var byCoupon = Self.input([], promoters: promoters)
        byCoupon.couponPromoterID = "A"
        #expect(Attribution.decide(byCoupon).selfReferral)
        let other = Attribution.decide(Self.input([Self.click("b", promoter: "B", ago: Self.day)], promoters: promoters))
        #expect(!other.selfReferral)
    }

    @Test func clicksWithinSixtySecondsCountOnce() {
        let base = Self.now.milliseconds
        func at(_ seconds: Int64, link: String = "L", visitor: String = "v") -> Attribution.Click {
            Attribution.Click(id: "c\(seconds)\(link)\(visitor)", linkID: link, promoterID: "A", visitorID: visitor, at: Instant(milliseconds: base + seconds * 1000))
        }
        // 0 counts; 30 and 59.999 do not; 60 counts (60 s after the last counted one); 100 does not; 120 counts.
        let clicks = [at(0), at(30), Attribution.Click(id: "edge", linkID: "L", promoterID: "A", visitorID: "v", at: Instant(milliseconds: base + 59_999)),
                      at(60), at(100), at(120), at(10, link: "M"), at(20, visitor: "w")]
        let counted = Attribution.dedupe(clicks).map(\.id)
        #expect(counted == ["c0Lv", "c10Mv", "c20Lw", "c60Lv", "c120Lv"])
    }

    @Test func aRepeatClickWithinSixtySecondsDoesNotDecide() {
        let counted = Self.click("first", promoter: "A", ago: 90_000)
        let reload = Self.click("reload", promoter: "A", ago: 40_000)
        let later = Self.click("later", promoter: "A", ago: 20_000)
        #expect(Attribution.decide(Self.input([counted, reload], model: .lastClick)).clickID == "first")
        #expect(Attribution.decide(Self.input([counted, reload, later], model: .lastClick)).clickID == "later")
    }

    @Test func botsAreRecognised() {
        #expect(BotDetector.isBot(userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"))
        #expect(BotDetector.isBot(userAgent: "Mozilla/5.0 (compatible; Baiduspider/2.0)"))
        #expect(BotDetector.isBot(userAgent: "curl/8.0.1"))
        #expect(BotDetector.isBot(userAgent: nil))
        #expect(BotDetector.isBot(userAgent: ""))
        #expect(!BotDetector.isBot(userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 MicroMessenger/8.0.40"))
        #expect(BotDetector.isBot(userAgent: "PYTHON-REQUESTS/2.31"))
        #expect(BotDetector.isBot(userAgent: "微信 HeadlessChrome"))
        #expect(BotDetector.isBot(userAgent: "ends with a bot"))
        #expect(!BotDetector.isBot(userAgent: "ends with a bo"))
        #expect(!BotDetector.isBot(userAgent: "b"))
    }

    /// The one-pass search finds exactly what a plain search of each marker finds.
    @Test func botSearchAgreesWithAPlainSearch() {
        var generator = SplitMix(seed: 7)
        let pieces = ["Mozilla/5.0 ", "bo", "t", "Crawl", "er", "spi", "der", "curl", "/", "微信", "😀", "Java", "okhttp", " ", "Preview", "x"]
        for _ in 0..<2_000 {
            let agent = (0..<generator.next(8)).map { _ in pieces[generator.next(pieces.count)] }.joined()
            let lowered = String(decoding: agent.utf8.map { (65...90).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
            let expected = agent.isEmpty || BotDetector.markers.contains { lowered.utf8.firstRange(of: $0) != nil }
            #expect(BotDetector.isBot(userAgent: agent) == expected, "\(agent)")
        }
    }
}

@Suite struct PromoterRulesTests {
    @Test func onlyTheLegalTransitionsExist() {
        typealias S = Promoter.Status
        let legal: Set<String> = ["applied>active", "applied>rejected", "active>suspended", "suspended>active",
                                  "applied>terminated", "active>terminated", "rejected>terminated", "suspended>terminated"]
        for from in S.allCases {
            for to in S.allCases {
                #expect(from.canMove(to: to) == legal.contains("\(from.rawValue)>\(to.rawValue)"), "\(from) → \(to)")
            }
        }
    }

    @Test func phonesAreNormalizedAndMasked() {
        #expect(Phone.normalize("+86 138-1234-5678") == "13812345678")
        #expect(Phone.normalize("13812345678") == "13812345678")
        #expect(Phone.normalize("1381234567") == nil)
        #expect(Phone.normalize("23812345678") == nil)
        #expect(Phone.normalize("+44 20 7946 0958") == "+442079460958")
        #expect(Phone.normalize("hello") == nil)
        #expect(Phone.mask("13812345678") == "138****5678")
    }

    @Test func inviteCodesAreUnambiguous() {
        for _ in 0..<200 {
            let code = InviteCode.make()
            #expect(code.count == 8)
            #expect(!code.contains { "01OIL".contains($0) })
        }
        #expect(InviteCode.normalize(" ab2c ") == "AB2C")
    }

    @Test func calendarDaysFollowTheTimeZone() throws {
        // 2026-11-21 00:00 in Shanghai is 2026-11-20 16:00 UTC.
        let start = try #require(CalendarDays.startOfDay("2026-11-21", timeZone: "Asia/Shanghai"))
        #expect(start.rfc3339 == "2026-11-20T16:00:00Z")
        let days = try CalendarDays.days(from: start, to: start.adding(seconds: 86_400 * 2 + 5), timeZone: "Asia/Shanghai")
        #expect(days.map(\.label) == ["2026-11-21", "2026-11-22", "2026-11-23"])
        // A DST day in New York is 23 hours long.
        let spring = try #require(CalendarDays.startOfDay("2026-03-08", timeZone: "America/New_York"))
        let dst = try CalendarDays.days(from: spring, to: spring, timeZone: "America/New_York")
        #expect(dst[0].end.milliseconds - dst[0].start.milliseconds == 23 * 3_600_000)
        #expect(CalendarDays.startOfDay("2026-02-30", timeZone: "Asia/Shanghai") == nil)
    }
}
