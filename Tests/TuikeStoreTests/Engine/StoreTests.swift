import SQLKit
import Testing
import TuikeCore
@testable import TuikeStore
import TuikeTestSupport

@Suite struct MigrationTests {
    @Test(arguments: TestDatabase.available)
    func migrationsApplyOnceEach(database kind: TestDatabase) async throws {
        try await kind.withDatabase(migrated: false) { database async throws in
            let migrator = Migrator(database: database)
            #expect(try await migrator.migrate(now: 1) == Migrations.all.map(\.version))
            #expect(try await migrator.migrate(now: 2) == [])
            #expect(try await migrator.appliedVersions() == Migrations.all.map(\.version))
        }
    }

    @Test(arguments: TestDatabase.available)
    func concurrentMigratorsDoNotCollide(database kind: TestDatabase) async throws {
        try await kind.withDatabase(migrated: false) { database async throws in
            let results = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for _ in 0..<4 { group.addTask { try await Migrator(database: database).migrate(now: 1) } }
                return try await group.reduce(into: [[Int64]]()) { $0.append($1) }
            }
            #expect(results.flatMap { $0 }.sorted() == Migrations.all.map(\.version))
        }
    }
}

@Suite struct TransactionTests {
    struct Boom: Error {}

    static func product(_ id: String, title: String = "课程") -> Product {
        Product(id: id, title: title, price: 100, createdAt: Instant(milliseconds: 1), updatedAt: Instant(milliseconds: 1))
    }

    @Test(arguments: TestDatabase.available)
    func aFailedWriteChangesNothing(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            await #expect(throws: Boom.self) {
                try await database.write { db in
                    try await ProductRepository.insert(Self.product("prod_a"), into: db)
                    throw Boom()
                }
            }
            #expect(try await ProductRepository(database: database).count() == 0)
        }
    }

    /// 200 concurrent writers, every 10th of which fails: the failures roll back alone and every
    /// other write is committed and acknowledged (group commit on SQLite).
    @Test(arguments: TestDatabase.available)
    func concurrentWritesCommitIndependently(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        do {
                            try await database.write { db in
                                try await ProductRepository.insert(Self.product("prod_\(index)"), into: db)
                                if index % 10 == 0 { throw Boom() }
                            }
                            return true
                        } catch { return false }
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 180)
            #expect(try await ProductRepository(database: database).count() == 180)
            #expect(try await ProductRepository(database: database).find("prod_10") == nil)
            #expect(try await ProductRepository(database: database).find("prod_11") != nil)
        }
    }

    @Test(arguments: TestDatabase.available)
    func aConstraintViolationFailsOnlyItsOwnWrite(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let results = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        (try? await database.write { db in try await ProductRepository.insert(Self.product("prod_same"), into: db) }) != nil
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
            #expect(try await ProductRepository(database: database).count() == 1)
        }
    }
}

@Suite struct ProductRepositoryTests {
    @Test(arguments: TestDatabase.available)
    func createFindListUpdate(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let products = ProductRepository(database: database)
            var ids: [String] = []
            for index in 0..<5 {
                let now = Instant(milliseconds: 1_000 + Int64(index))
                let product = Product(id: Identifier.make("prod", at: now), title: "课程 \(index)", price: 100 * Int64(index),
                                      stock: index == 0 ? 3 : nil, status: index == 4 ? .archived : .active, createdAt: now, updatedAt: now)
                try await products.create(product)
                ids.append(product.id)
            }
            #expect(try await products.find(ids[0])?.stock == 3)
            #expect(try await products.find("prod_missing") == nil)

            let firstPage = try await products.list(status: nil, limit: 2, before: nil)
            #expect(firstPage.map(\.id) == [ids[4], ids[3]])
            let secondPage = try await products.list(status: nil, limit: 2, before: firstPage.last!.id)
            #expect(secondPage.map(\.id) == [ids[2], ids[1]])
            #expect(try await products.list(status: .active, limit: 10, before: nil).count == 4)

            let updated = try await products.update(ids[0], ProductChanges(title: "新标题", price: 999, stock: .some(nil), status: .archived), at: Instant(milliseconds: 9_999))
            #expect(updated?.title == "新标题")
            #expect(updated?.price == 999)
            #expect(updated?.stock == nil)
            #expect(updated?.status == .archived)
            #expect(updated?.updatedAt == Instant(milliseconds: 9_999))
            #expect(try await products.find(ids[0]) == updated)
            #expect(try await products.update("prod_missing", ProductChanges(price: 1), at: Instant(milliseconds: 1)) == nil)
        }
    }

    @Test(arguments: TestDatabase.available)
    func theSchemaRefusesNegativePrices(database kind: TestDatabase) async throws {
        _ = try await kind.withDatabase { database async throws in
            await #expect(throws: (any Error).self) {
                try await ProductRepository(database: database).create(
                    Product(id: "prod_x", title: "x", price: -1, createdAt: Instant(milliseconds: 1), updatedAt: Instant(milliseconds: 1)))
            }
        }
    }
}

@Suite struct SettingsAndTokenTests {
    @Test(arguments: TestDatabase.available)
    func programSettingsRoundTrip(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let program = ProgramRepository(database: database)
            #expect(try await program.current() == .defaults)
            var settings = ProgramSettings.defaults
            settings.levels = [1500, 500, 200]
            settings.taxMode = .prcLabor
            try await program.save(settings, at: Instant(milliseconds: 5))
            try await program.save(settings, at: Instant(milliseconds: 6))
            #expect(try await program.current() == settings)
        }
    }

    /// Settings and running campaigns in one statement: defaults and none at first, then the saved
    /// settings and only the campaigns running at that instant (start inclusive, end exclusive),
    /// soonest start first.
    @Test(arguments: TestDatabase.available)
    func settingsAndRunningCampaignsAreReadTogether(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let program = ProgramRepository(database: database)
            let now = Instant(milliseconds: 10_000)
            var inForce = try await program.inForce(at: now)
            #expect(inForce.settings == .defaults && inForce.campaigns.isEmpty)
            var settings = ProgramSettings.defaults
            settings.windowDays = 7
            try await program.save(settings, at: now)
            try await ProductRepository(database: database).create(Product(id: "prod_1", title: "课", price: 100, createdAt: now, updatedAt: now))
            let campaigns = CampaignRuleRepository(database: database)
            let rule = CommissionRule(type: .percent, levels: [2000])
            for (id, starts, ends) in [("cmp_late", 9_000, 20_000), ("cmp_ended", 1_000, 10_000), ("cmp_early", 10_000 - 5_000, 10_001),
                                       ("cmp_future", 10_001, 30_000), ("cmp_now", 10_000, 10_001)] {
                try await campaigns.create(CampaignRule(id: id, productID: id == "cmp_late" ? "prod_1" : nil, startsAt: Instant(milliseconds: Int64(starts)),
                                                        endsAt: Instant(milliseconds: Int64(ends)), rule: rule), at: now)
            }
            inForce = try await program.inForce(at: now)
            #expect(inForce.settings == settings)
            #expect(inForce.campaigns.map(\.id) == ["cmp_early", "cmp_late", "cmp_now"])
            #expect(inForce.campaigns[1].productID == "prod_1" && inForce.campaigns[1].rule == rule)
        }
    }

    @Test(arguments: TestDatabase.available)
    func tokensResolveToPrincipals(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let tokens = TokenRepository(database: database)
            let admin = try await tokens.issue(role: "admin", subjectID: nil, label: "t", at: Instant(milliseconds: 1))
            let promoter = try await tokens.issue(role: "promoter", subjectID: "prm_1", label: "t", at: Instant(milliseconds: 1))
            #expect(try await tokens.principal(for: admin)?.isAdmin == true)
            if case .promoter(let id, _) = try await tokens.principal(for: promoter) { #expect(id == "prm_1") } else { Issue.record("not a promoter") }
            #expect(try await tokens.principal(for: "tka_nope") == nil)
            #expect(try await tokens.activeAdminTokenCount() == 1)
            // Registering an operator token twice keeps one row.
            try await tokens.store(token: "operator", role: "admin", subjectID: nil, label: "op", at: Instant(milliseconds: 2))
            try await tokens.store(token: "operator", role: "admin", subjectID: nil, label: "op", at: Instant(milliseconds: 3))
            #expect(try await tokens.activeAdminTokenCount() == 2)
            let stored = try await database.read { db in try await db.rows("SELECT token_hash FROM api_tokens").map { try $0.decode(column: "token_hash", as: String.self) } }
            #expect(!stored.contains(admin) && !stored.contains("operator"))
        }
    }
}

/// Migration 11 moves SQLite's clicks into their key's b-tree; the rows and indexes stay.
@Suite struct ClickStorageMigrationTests {
    @Test(arguments: TestDatabase.available)
    func clicksSurviveTheMove(database kind: TestDatabase) async throws {
        try await kind.withDatabase(migrated: false) { database async throws in
            let before = Migrations.all.filter { $0.version < ClickStorageMigration.migration.version }
            try await Migrator(database: database, migrations: before).migrate(now: 1)
            let clicks = (0..<3).map { (index: Int) -> ClickRecord in
                let productID: String? = index == 0 ? nil : "prd_1"
                let ip: String? = index == 1 ? nil : "10.0.0.\(index)"
                return ClickRecord(id: "clk_\(index)", linkID: "lnk_1", promoterID: "pro_1", productID: productID,
                                   visitorID: "visitor-\(index)-0123456789", at: Instant(milliseconds: Int64(1_000 + index)),
                                   ip: ip, userAgent: "推客 UA", referrer: nil, isBot: index == 2)
            }
            // The columns clicks had then (a click's `source` came later).
            try await database.write { db in
                for click in clicks {
                    try await db.execute("""
                        INSERT INTO clicks (id, link_id, promoter_id, product_id, visitor_id, at, ip, user_agent, referrer, is_bot)
                        VALUES (\(bind: click.id), \(bind: click.linkID), \(bind: click.promoterID), \(bind: click.productID), \(bind: click.visitorID),
                                \(bind: click.at.milliseconds), \(bind: click.ip), \(bind: click.userAgent), \(bind: click.referrer), \(bind: click.isBot ? 1 : 0))
                        """)
                }
            }
            #expect(try await Migrator(database: database).migrate(now: 2)
                    == Migrations.all.map(\.version).filter { $0 >= ClickStorageMigration.migration.version })
            let repository = ClickRepository(database: database)
            let found = try await database.read { db in
                try await AttributionQuery.gather(.init(buyerID: "buyer-1", visitorID: "visitor-1-0123456789"),
                                                  since: Instant(milliseconds: 0), until: Instant(milliseconds: 5_000), in: db)
            }
            #expect(found.clicks.map(\.id) == ["clk_1"])
            try await repository.insert([ClickRecord(id: "clk_3", linkID: "lnk_1", promoterID: "pro_1", productID: nil, visitorID: "visitor-3-0123456789",
                                                     at: Instant(milliseconds: 2_000), ip: nil, userAgent: nil, referrer: nil, isBot: false)])
            let rows = try await database.read { db in
                try await db.rows("SELECT id, product_id, ip, user_agent, is_bot FROM clicks ORDER BY id")
            }
            #expect(try rows.map { try $0.decode(column: "id", as: String.self) } == ["clk_0", "clk_1", "clk_2", "clk_3"])
            #expect(try rows.map { try $0.decode(column: "product_id", as: String?.self) } == [nil, "prd_1", "prd_1", nil])
            #expect(try rows.map { try $0.decode(column: "ip", as: String?.self) } == ["10.0.0.0", nil, "10.0.0.2", nil])
            #expect(try rows.map { try $0.decode(column: "is_bot", as: Int64.self) } == [0, 0, 1, 0])
            await #expect(throws: (any Error).self) {
                try await repository.insert([clicks[0]])
            }
            if kind == .sqlite {
                let schema = try await database.read { db in
                    try await db.rows("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'clicks' ORDER BY name")
                        .map { try "\($0.decode(column: "name", as: String.self)): \($0.decode(column: "sql", as: String?.self) ?? "")" }
                }
                #expect(schema.count == 3)
                #expect(schema[0].hasPrefix("clicks: ") && schema[0].hasSuffix("WITHOUT ROWID"))
                #expect(schema[1] == "clicks_by_link: CREATE INDEX clicks_by_link ON clicks (link_id, at)")
                #expect(schema[2] == "clicks_by_visitor: CREATE INDEX clicks_by_visitor ON clicks (visitor_id, at)")
            }
        }
    }
}
