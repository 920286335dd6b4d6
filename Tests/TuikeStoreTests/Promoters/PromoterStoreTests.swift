import SQLKit
import Testing
import TuikeCore
@testable import TuikeStore
import TuikeTestSupport

/// A small world on a real database: promoters A (parent of B), C, and a buyer-promoter S.
struct World {
    let database: any Database
    let promoters: PromoterRepository
    let links: LinkRepository
    let clicks: ClickRepository
    var ids: [String: String] = [:]
    var linkIDs: [String: Link] = [:]
    static let start = Instant(milliseconds: 1_800_000_000_000)

    init(_ database: any Database) async throws {
        self.database = database
        promoters = PromoterRepository(database: database, cipher: testCipher)
        links = LinkRepository(database: database)
        clicks = ClickRepository(database: database)
        let a = try await promoters.create(.init(name: "A", phone: "13800000001", status: .active), at: Self.start)
        let b = try await promoters.create(.init(name: "B", phone: "13800000002", status: .active, parentID: a.id), at: Self.start)
        let c = try await promoters.create(.init(name: "C", status: .active), at: Self.start)
        let s = try await promoters.create(.init(name: "S", status: .active, buyerID: "buyer-self"), at: Self.start)
        ids = ["A": a.id, "B": b.id, "C": c.id, "S": s.id]
        for (name, id) in ids {
            linkIDs[name] = try await links.create(promoterID: id, productID: nil, targetURL: nil, at: Self.start)
        }
    }

    func click(_ promoter: String, visitor: String = "visitor-0000000001", at instant: Instant, bot: Bool = false) async throws -> String {
        let link = linkIDs[promoter]!
        let id = Identifier.make("clk", at: instant)
        try await clicks.insert([ClickRecord(id: id, linkID: link.id, promoterID: link.promoterID, productID: nil, visitorID: visitor,
                                             at: instant, ip: "1.2.3.4", userAgent: "Mozilla/5.0", referrer: nil, isBot: bot)])
        return id
    }
}

@Suite struct AttributionStoreTests {
    static let day: Int64 = 86_400_000

    @Test(arguments: TestDatabase.available)
    func clicksBindingsAndCouponsDecideOnARealDatabase(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let world = try await World(database)
            let query = AttributionQuery(database: database)
            let now = World.start.adding(milliseconds: 40 * Self.day)
            var settings = ProgramSettings.defaults

            // Window edge: a click exactly 30 days before counts, one millisecond earlier does not.
            _ = try await world.click("C", at: now.adding(milliseconds: -30 * Self.day - 1))
            let edge = try await world.click("A", at: now.adding(milliseconds: -30 * Self.day))
            _ = try await world.click("B", at: now.adding(milliseconds: -Self.day))
            _ = try await world.click("C", at: now.adding(milliseconds: -Self.day / 2), bot: true)
            var result = try await query.attribute(.init(buyerID: "buyer-1", visitorID: "visitor-0000000001"), settings: settings, now: now)
            #expect(result.promoterID == world.ids["A"] && result.clickID == edge && result.rule == .firstClick)

            settings.attributionModel = .lastClick
            result = try await query.attribute(.init(buyerID: "buyer-1", visitorID: "visitor-0000000001"), settings: settings, now: now)
            #expect(result.promoterID == world.ids["B"])

            settings.attributionModel = .linear
            result = try await query.attribute(.init(buyerID: "buyer-1", visitorID: "visitor-0000000001"), settings: settings, now: now)
            #expect(result.promoters == [world.ids["A"]!, world.ids["B"]!])

            // An explicit click id decides alone.
            let explicit = try await world.click("C", visitor: "visitor-0000000002", at: now.adding(milliseconds: -Self.day))
            result = try await query.attribute(.init(buyerID: "buyer-1", clickID: explicit), settings: settings, now: now)
            #expect(result.promoters == [world.ids["C"]!])

            // A coupon beats clicks; a live binding beats the coupon; it lapses at its end.
            settings.attributionModel = .firstClick
            result = try await query.attribute(.init(buyerID: "buyer-1", visitorID: "visitor-0000000001", couponPromoterID: world.ids["C"]),
                                               settings: settings, now: now)
            #expect(result.promoterID == world.ids["C"] && result.rule == .coupon)
            try await BindingRepository(database: database).bind(buyerID: "buyer-1", promoterID: world.ids["B"]!, days: 30, at: now.adding(milliseconds: -29 * Self.day))
            result = try await query.attribute(.init(buyerID: "buyer-1", visitorID: "visitor-0000000001", couponPromoterID: world.ids["C"]),
                                               settings: settings, now: now)
            #expect(result.promoterID == world.ids["B"] && result.rule == .binding)
            result = try await query.attribute(.init(buyerID: "buyer-1", couponPromoterID: world.ids["C"]),
                                               settings: settings, now: now.adding(milliseconds: Self.day))
            #expect(result.rule == .coupon)

            // Self-referral: the promoter's own buyer account.
            _ = try await world.click("S", visitor: "visitor-self-000001", at: now.adding(milliseconds: -Self.day))
            result = try await query.attribute(.init(buyerID: "buyer-self", visitorID: "visitor-self-000001"), settings: settings, now: now)
            #expect(result.promoterID == world.ids["S"] && result.selfReferral)

            // Suspended promoters are passed over.
            _ = try await world.promoters.transition(world.ids["A"]!, to: .suspended, actor: "test", at: now)
            result = try await query.attribute(.init(buyerID: "buyer-2", visitorID: "visitor-0000000001"), settings: settings, now: now)
            #expect(result.promoterID == world.ids["B"])
        }
    }

    @Test(arguments: TestDatabase.available)
    func bindingsAreKeptExtendedOrReplacedByTheRules(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let world = try await World(database)
            let bindings = BindingRepository(database: database)
            let t0 = World.start
            try await bindings.bind(buyerID: "b", promoterID: world.ids["A"]!, days: 30, at: t0)
            // Another promoter's paid order does not move a live binding.
            try await bindings.bind(buyerID: "b", promoterID: world.ids["C"]!, days: 30, at: t0.adding(milliseconds: 10 * Self.day))
            #expect(try await bindings.binding(buyerID: "b") == .init(promoterID: world.ids["A"]!, expiresAt: t0.adding(milliseconds: 30 * Self.day)))
            // The bound promoter's next paid order extends it.
            try await bindings.bind(buyerID: "b", promoterID: world.ids["A"]!, days: 30, at: t0.adding(milliseconds: 20 * Self.day))
            #expect(try await bindings.binding(buyerID: "b")?.expiresAt == t0.adding(milliseconds: 50 * Self.day))
            // After it lapses, a new promoter takes over.
            try await bindings.bind(buyerID: "b", promoterID: world.ids["C"]!, days: -1, at: t0.adding(milliseconds: 50 * Self.day))
            #expect(try await bindings.binding(buyerID: "b") == .init(promoterID: world.ids["C"]!, expiresAt: nil))
            // binding_days 0 binds nobody.
            try await bindings.bind(buyerID: "other", promoterID: world.ids["C"]!, days: 0, at: t0)
            #expect(try await bindings.binding(buyerID: "other") == nil)
        }
    }
}

@Suite struct PromoterStoreTests {
    @Test(arguments: TestDatabase.available)
    func agreementEvidenceAndTheAuditTrailCannotBeChanged(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let agreements = AgreementRepository(database: database)
            try await agreements.ensureDefault(at: World.start)
            let promoters = PromoterRepository(database: database, cipher: testCipher)
            let promoter = try await promoters.create(.init(
                name: "王小明", phone: "13912345678", status: .applied,
                acceptance: .init(version: "1", signedName: "王小明", ip: "10.0.0.1", userAgent: "Mozilla/5.0")), at: World.start)
            let evidence = try await agreements.acceptances(promoterID: promoter.id)
            #expect(evidence.count == 1)
            #expect(evidence[0].sha256 == Agreement.digest(AgreementRepository.defaultText))
            _ = try await promoters.transition(promoter.id, to: .active, actor: "admin:t", at: World.start)
            for statement: SQLQueryString in [
                "UPDATE agreement_acceptances SET signed_name = 'someone else'",
                "DELETE FROM agreement_acceptances",
                "UPDATE agreements SET text = 'changed'",
                "DELETE FROM agreements",
                "UPDATE audit_log SET actor = 'nobody'",
                "DELETE FROM audit_log",
            ] {
                await #expect(throws: (any Error).self, "\(statement)") { try await database.write { db in try await db.execute(statement) } }
            }
            #expect(try await agreements.acceptances(promoterID: promoter.id) == evidence)
            #expect(try await AuditLog.entries(subject: promoter.id, database: database).count == 1)
        }
    }

    @Test(arguments: TestDatabase.available)
    func phonesAreEncryptedUniqueAndMasked(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let promoters = PromoterRepository(database: database, cipher: testCipher)
            let created = try await promoters.create(.init(name: "李雷", phone: "+86 139-1234-5678", status: .active), at: World.start)
            #expect(created.phoneMasked == "139****5678")
            #expect(try await promoters.phone(of: created.id) == "13912345678")
            let raw = try await database.read { db in try await db.first("SELECT phone_encrypted FROM promoters")!.decode(column: "phone_encrypted", as: String.self) }
            #expect(!raw.contains("5678"))
            await #expect(throws: TuikeError(.conflict, code: "phone_taken", "a promoter with this phone number exists")) {
                _ = try await promoters.create(.init(name: "韩梅梅", phone: "13912345678", status: .active), at: World.start)
            }
        }
    }

    @Test(arguments: TestDatabase.available)
    func reparentingRefusesCyclesAndIsAudited(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let promoters = PromoterRepository(database: database, cipher: testCipher)
            let a = try await promoters.create(.init(name: "A", status: .active), at: World.start)
            let b = try await promoters.create(.init(name: "B", status: .active, parentID: a.id), at: World.start)
            let c = try await promoters.create(.init(name: "C", status: .active, parentID: b.id), at: World.start)
            await #expect(throws: TuikeError.self) { _ = try await promoters.setParent(a.id, to: c.id, actor: "admin", reason: "x", at: World.start) }
            await #expect(throws: TuikeError.self) { _ = try await promoters.setParent(a.id, to: a.id, actor: "admin", reason: "x", at: World.start) }
            let moved = try await promoters.setParent(c.id, to: a.id, actor: "admin:1", reason: "merged teams", at: World.start)
            #expect(moved.parentID == a.id)
            let root = try await promoters.setParent(b.id, to: nil, actor: "admin:1", reason: "independent", at: World.start)
            #expect(root.parentID == nil)
            let audit = try await AuditLog.entries(subject: c.id, database: database)
            #expect(audit.map(\.action) == ["promoter.reparent"] && audit[0].detail.contains("merged teams"))
            #expect(try await promoters.team(of: a.id, limit: 10, before: nil).map(\.id) == [c.id])
        }
    }

    /// Two instances try to close a cycle at the same moment (A under B, B under A): one wins.
    @Test(arguments: TestDatabase.available)
    func concurrentReparentingCannotCloseACycle(database kind: TestDatabase) async throws {
        try await kind.withInstances(2) { instances async throws in
            let first = PromoterRepository(database: instances[0], cipher: testCipher)
            let second = PromoterRepository(database: instances[1], cipher: testCipher)
            let a = try await first.create(.init(name: "A", status: .active), at: World.start)
            let b = try await first.create(.init(name: "B", status: .active), at: World.start)
            async let one: Promoter? = try? first.setParent(a.id, to: b.id, actor: "x", reason: "r", at: World.start)
            async let two: Promoter? = try? second.setParent(b.id, to: a.id, actor: "y", reason: "r", at: World.start)
            let results = await [one, two]
            #expect(results.compactMap { $0 }.count == 1)
            let parents = [try await first.find(a.id)?.parentID, try await first.find(b.id)?.parentID]
            #expect(parents.compactMap { $0 }.count == 1)
        }
    }

    @Test(arguments: TestDatabase.available)
    func dailyStatsCountPageviewsVisitorsAndBots(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let world = try await World(database)
            let days = try CalendarDays.days(from: World.start, to: World.start.adding(seconds: 86_400), timeZone: "Asia/Shanghai")
            let first = days[0].start
            for (offset, visitor) in [(0, "v1"), (10, "v1"), (20, "v2")] {
                _ = try await world.click("A", visitor: visitor.padding(toLength: 16, withPad: "0", startingAt: 0), at: first.adding(seconds: Int64(offset)))
            }
            _ = try await world.click("A", visitor: "bot0000000000000", at: first.adding(seconds: 30), bot: true)
            _ = try await world.click("A", visitor: "v30000000000000", at: days[1].start)
            _ = try await world.click("B", visitor: "v40000000000000", at: first)
            let traffic = DayRollups(database: world.database)
            let stats = try await traffic.traffic(.promoter(world.ids["A"]!), days: days, timeZone: "Asia/Shanghai").daily
            #expect(stats.map(\.pv) == [3, 1])
            #expect(stats.map(\.uv) == [2, 1])
            #expect(stats.map(\.bots) == [1, 0])
            let link = try await traffic.traffic(.link(world.linkIDs["B"]!.id), days: days, timeZone: "Asia/Shanghai").daily
            #expect(link.map(\.pv) == [1, 0])
        }
    }
}
