import Foundation
import Testing
@testable import TuikeCore

@Suite struct InstantTests {
    @Test func formatsRFC3339InUTC() {
        #expect(Instant(milliseconds: 0).rfc3339 == "1970-01-01T00:00:00Z")
        #expect(Instant(milliseconds: 1_795_000_000_123).rfc3339 == "2026-11-18T11:06:40.123Z")
        #expect(Instant(milliseconds: 1_795_000_000_007).rfc3339 == "2026-11-18T11:06:40.007Z")
    }

    /// The hand-written formatter against Foundation's: the edges of its years (1583 and 9999,
    /// beyond which Foundation writes), leap days, every millisecond digit, and 20,000 random
    /// instants from year 1 to 9999.
    @Test func formatsAsFoundationDoes() {
        var instants: [Int64] = [0, -1, 1, 999, 1_000, -1_000, -1_001, 951_782_400_000, 951_868_799_999, 4_107_542_400_000,
                                 -12_212_553_600_000, -12_212_553_600_001, 253_402_300_799_999, 253_402_300_800_000, -62_135_596_800_000]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 { instants.append(Int64.random(in: -62_135_596_800_000...253_402_300_799_999, using: &generator)) }
        for ms in instants {
            let instant = Instant(milliseconds: ms)
            #expect(instant.rfc3339 == instant.foundationRFC3339, "\(ms)")
        }
    }

    @Test func parsesWhatItFormatsAndOffsets() {
        for ms in [Int64(0), 1_795_000_000_000, 1_795_000_000_123] {
            #expect(Instant(rfc3339: Instant(milliseconds: ms).rfc3339) == Instant(milliseconds: ms))
        }
        #expect(Instant(rfc3339: "2026-11-18T19:06:40+08:00") == Instant(milliseconds: 1_795_000_000_000))
        #expect(Instant(rfc3339: "2026-11-18T19:06:40.5+08:00") == Instant(milliseconds: 1_795_000_000_500))
        #expect(Instant(rfc3339: "2026-11-18T11:06:40.12399Z") == Instant(milliseconds: 1_795_000_000_123))
        #expect(Instant(rfc3339: "1969-12-31T23:59:59.250Z") == Instant(milliseconds: -750))
        for bad in ["yesterday", "2026-11-18T11:06:40.Z", "2026-11-18T11:06:40.12", "2026-11-18T11:06:40.123", "2026-11-18"] {
            #expect(Instant(rfc3339: bad) == nil, "\(bad)")
        }
    }

    /// Every millisecond of a second, and 20,000 random instants, come back exactly: through a
    /// `Date`, `2026-11-23T04:09:37.390Z` came back as .389.
    @Test func parsesEveryMillisecondExactly() {
        #expect(Instant(rfc3339: "2026-11-23T04:09:37.390Z")?.rfc3339 == "2026-11-23T04:09:37.390Z")
        var instants = (0..<1_000).map { 1_795_000_000_000 + Int64($0) }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 { instants.append(Int64.random(in: -12_212_553_600_000...253_402_300_799_999, using: &generator)) }
        for ms in instants {
            #expect(Instant(rfc3339: Instant(milliseconds: ms).rfc3339) == Instant(milliseconds: ms), "\(ms)")
        }
    }
}

@Suite struct IdentifierTests {
    @Test func idsSortByCreationTime() {
        let earlier = Identifier.make("prod", at: Instant(milliseconds: 1_795_000_000_000))
        let later = Identifier.make("prod", at: Instant(milliseconds: 1_795_000_000_001))
        #expect(earlier < later)
        #expect(earlier.hasPrefix("prod_") && earlier.count == 25)
        #expect(earlier.dropFirst(5).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(Identifier.make("prod", at: Instant(milliseconds: 0)).hasPrefix("prod_00000000"))
    }

    @Test func idsAreUnique() {
        let now = Instant(milliseconds: 1_795_000_000_000)
        let ids = Set((0..<10_000).map { _ in Identifier.make("x", at: now) })
        #expect(ids.count == 10_000)
    }

    @Test func secretsAreBase62() {
        let secret = Identifier.secret(length: 43)
        #expect(secret.count == 43)
        #expect(secret.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
    }
}

@Suite struct ClockTests {
    @Test func sandboxClockOnlyMovesForward() {
        let base = FixedClock(Instant(milliseconds: 1_000_000))
        let clock = SandboxClock(base: base)
        #expect(clock.now() == Instant(milliseconds: 1_000_000))
        clock.advance(seconds: 3_600)
        #expect(clock.now() == Instant(milliseconds: 1_000_000 + 3_600_000))
        base.advance(seconds: 1)
        #expect(clock.now() == Instant(milliseconds: 1_000_000 + 3_601_000))
    }
}

@Suite struct ProductTests {
    @Test func changesApplyOnlyWhatIsSet() throws {
        let created = Instant(milliseconds: 1)
        let product = Product(id: "prod_1", title: "Python 数据分析实战", price: 39_900, stock: 5, createdAt: created, updatedAt: created)
        let changed = ProductChanges(price: 29_900, stock: .some(nil)).applied(to: product, at: Instant(milliseconds: 2))
        #expect(changed.title == product.title)
        #expect(changed.price == 29_900)
        #expect(changed.stock == nil)
        #expect(changed.updatedAt == Instant(milliseconds: 2))
    }

    @Test func rejectsNonsense() {
        #expect(throws: TuikeError.self) { try ProductChanges(title: "   ").validate() }
        #expect(throws: TuikeError.self) { try ProductChanges(price: -1).validate() }
        #expect(throws: TuikeError.self) { try ProductChanges(stock: .some(-3)).validate() }
        #expect(throws: Never.self) { try ProductChanges(title: "考研数学全程班", price: 0, stock: .some(nil)).validate() }
    }
}
