import HummingbirdBcrypt
import TuikeCore
import TuikeStore

/// `tuike demo` and `serve --demo`: a small online school, so the first command of the README shows
/// something alive: promoters and their traffic, orders over the last eleven days, commissions
/// pending, settled, withdrawn and reversed, a settlement batch, withdrawals in each state and an
/// open appeal, and a group-buy campaign with groups succeeded, failed (refunded), and forming
/// with free slots to join; physical goods with variants, a signed-up buyer's orders in every
/// fulfilment state and a return being handled, and a video with its numbers (`DemoGoods`); a
/// self-purchase held for review and a click flood recorded (`DemoRisk`); badges awarded and to
/// work towards, and points (`DemoIncentives`).
/// Each capability adds its part here.
struct DemoSchool {
    let app: TuikeApp

    static let courses: [(title: String, description: String, kind: Product.Kind, price: Int64, stock: Int64?)] = [
        ("Python 数据分析实战", "从 pandas 到可视化，36 节课带你完成 5 个真实项目。", .course, 39_900, nil),
        ("零基础英语口语 30 天", "每天 15 分钟，外教带练，30 天开口说英语。", .course, 19_900, nil),
        ("考研数学全程班", "高数、线代、概率全覆盖，含 12 次直播答疑。", .course, 129_900, nil),
        ("小学奥数思维训练营", "三到六年级适用，48 课时，每周两次直播。", .course, 59_900, nil),
        ("手机摄影入门：随手拍大片", "构图、用光、修图三步走，手机就够了。", .course, 9_900, nil),
        ("考研数学历年真题集（纸质版）", "2005–2026 年真题与详解，包邮。", .physical, 6_800, 500),
        ("一对一职业规划咨询（60 分钟）", "资深 HR 线上一对一，含简历修改建议。", .service, 29_900, 40),
    ]

    /// Promoters: two teachers with their student promoters under them, one independent promoter,
    /// and one application waiting for review. `parent` indexes into this list.
    static let promoters: [(name: String, phone: String, parent: Int?, status: Promoter.Status, clicksPerDay: Int)] = [
        ("张老师", "13800138001", nil, .active, 40),
        ("学员小王", "13800138002", 0, .active, 18),
        ("学员小李", "13800138003", 0, .active, 9),
        ("推客阿强", "13800138004", nil, .active, 25),
        ("宝妈林姐", "13800138005", 3, .active, 6),
        ("陈同学", "13800138006", nil, .applied, 0),
    ]

    /// Loads the school into an empty database; returns false and changes nothing otherwise.
    func loadIfEmpty() async throws -> Bool {
        let products = ProductRepository(database: app.database)
        guard try await products.count() == 0 else { return false }
        var productIDs: [String] = []
        var created: [Product] = []
        for (offset, course) in Self.courses.enumerated() {
            let now = app.clock.now().adding(milliseconds: Int64(offset))
            let product = Product(
                id: Identifier.make("prod", at: now), title: course.title, description: course.description,
                kind: course.kind, price: course.price, stock: course.stock, createdAt: now, updatedAt: now)
            try await products.create(product)
            productIDs.append(product.id)
            created.append(product)
        }
        // A school that lets promoters withdraw from 10.00, so every demo promoter with a statement can.
        var settings = ProgramSettings.defaults
        settings.withdrawal.minAmount = 1_000
        try await ProgramRepository(database: app.database).save(settings, at: app.clock.now())
        let ranks = RankRepository(database: app.database)
        for (name, metric, threshold, bonus) in [("普通", Rank.Metric.paidOrders, Int64(0), Int64(0)), ("银牌", .paidOrders, 3, 200),
                                                 ("金牌", .gmv, 500_000, 500)] {
            try await ranks.create(Rank(id: Identifier.make("rnk", at: app.clock.now()), name: name, metric: metric, threshold: threshold, bonusBps: bonus),
                                   at: app.clock.now())
        }
        let materials = try await DemoMaterials(app: app).load(products: created)
        try await loadPromoters(productIDs: productIDs, sharedTexts: materials.sharedTexts)
        try await loadOrders(productIDs: productIDs)
        try await ranks.recompute(at: app.clock.now())
        try await loadSettlement()
        try await loadGroups(productIDs: productIDs)
        if let seller = try await PromoterRepository(database: app.database, cipher: app.cipher).list(status: .active, parentID: nil, limit: 10, before: nil)
            .first(where: { $0.name == "推客阿强" }) {
            try await DemoGoods(app: app).load(promoterID: seller.id)
        }
        try await DemoRisk(app: app).load(productIDs: productIDs)
        try await DemoIncentives(app: app).load()
        return true
    }

    /// Buyers who came through the promoters' links over the last eleven days (18 hours apart, so
    /// the older ones are out of their 7-day freeze): most paid, some with the NEW20 coupon, two
    /// refunded (one in part), two still at checkout, one bought without a promoter.
    private func loadOrders(productIDs: [String]) async throws {
        try await CouponRepository(database: app.database).create(
            Coupon(code: "NEW20", kind: .fixed, value: 2_000, minAmount: 10_000, usageLimit: 100), at: app.clock.now())
        let orders = OrderRepository(database: app.database)
        let refunds = RefundRepository(database: app.database)
        for index in 0..<16 {
            let now = app.clock.now().adding(seconds: -Int64(15 - index) * 64_800)
            let visitor = index == 15 ? nil : "demo-visitor-\(String(index * 23 % 400).leftPadded(to: 6))"
            let request = OrderPlacement.Request(
                buyerID: "demo-buyer-\(index + 1)", items: [.init(productID: productIDs[index % 5], quantity: 1 + Int64(index % 7 == 3 ? 1 : 0))], visitorID: visitor,
                coupon: index % 4 == 1 && index % 5 != 4 ? "NEW20" : nil)
            let (order, _) = try await app.orderPlacement.place(request, at: now)
            guard index % 8 != 6 else { continue }
            _ = try await orders.markPaid(order.id, paymentID: "demo-pay-\(index + 1)", provider: "demo", at: now)
            if index == 2 { _ = try await refunds.refund(orderID: order.id, amount: order.amount, refundID: nil, reason: "七天无理由退款", at: now) }
            if index == 5 { _ = try await refunds.refund(orderID: order.id, amount: order.amount / 4, refundID: nil, reason: "部分退款：少上一节课", at: now) }
        }
    }

    /// Settles what is out of its freeze, then: the first promoter with enough available withdraws
    /// it all (paid), the second asks for half (waiting for finance), the third's request is
    /// rejected; a promoter whose commission was reversed by a refund appeals, and an older appeal
    /// was answered with an adjustment.
    private func loadSettlement() async throws {
        let settings = try await ProgramRepository(database: app.database).current()
        let now = app.clock.now()
        let (batch, _) = try await SettlementRepository(database: app.database).settle(periodEnd: now, trigger: .manual, settings: settings, at: now)
        let withdrawals = WithdrawalRepository(database: app.database)
        var rich: [(id: String, available: Int64)] = []
        for line in try await SettlementRepository(database: app.database).lines(settlementID: batch.id) where line.net >= settings.withdrawal.minAmount {
            rich.append((line.promoterID, line.net))
        }
        for (position, promoter) in rich.sorted(by: { $0.available > $1.available }).prefix(3).enumerated() {
            let amount = position == 1 ? max(settings.withdrawal.minAmount, promoter.available / 2) : promoter.available
            let channel: ProgramSettings.Channel = [.wechat, .alipay, .bank][position]
            let record = try await withdrawals.request(promoterID: promoter.id, amount: amount, channel: channel, account: nil,
                                                       settings: settings.withdrawal, requestedBy: "promoter:\(promoter.id)", at: now)
            switch position {
            case 0: _ = try await app.payouts.approve(record.id, by: "admin:demo")
            case 2: _ = try await withdrawals.reject(record.id, reason: "收款账户未实名认证，请补充后重新申请", by: "admin:demo", at: now)
            default: break
            }
        }
        let commissions = CommissionRepository(database: app.database)
        let appeals = AppealRepository(database: app.database)
        if let reversed = try await commissions.list(promoterID: nil, orderID: nil, status: .reversed, limit: 1, before: nil).first {
            _ = try await appeals.create(commissionID: reversed.id, promoterID: reversed.promoterID,
                                         message: "买家说是误操作退款，之后又重新下单了，这笔佣金能否恢复？", at: now)
        }
        // An older appeal finance already answered, with a goodwill adjustment of 5.00.
        if let settled = try await commissions.list(promoterID: nil, orderID: nil, status: .settled, limit: 1, before: nil).first {
            let appeal = try await appeals.create(commissionID: settled.id, promoterID: settled.promoterID,
                                                  message: "这单是我直播间带来的，但好像只算了一级佣金？", at: now.adding(seconds: -86_400))
            _ = try await appeals.answer(appeal.id, answer: "已核实：规则按一级计算无误；另补发 5 元推广奖励，感谢支持。", adjustment: 500,
                                         by: "admin:console:finance", at: now.adding(seconds: -3_600))
        }
    }

    /// 英语口语 at 99.00 in groups of three (the leader pays 89.00): one group succeeded two days
    /// ago, one failed six hours ago and was refunded, one is forming with a member still paying,
    /// one lacks a last member. Buyers came through promoters' links, so group orders carry commissions.
    private func loadGroups(productIDs: [String]) async throws {
        let now = app.clock.now()
        let campaign = GroupCampaign(id: Identifier.make("gcp", at: now.adding(seconds: -3 * 86_400)), productID: productIDs[1], groupPrice: 9_900,
                                     leaderPrice: 8_900, groupSize: 3, startsAt: now.adding(seconds: -3 * 86_400), endsAt: now.adding(seconds: 27 * 86_400))
        let campaigns = GroupCampaignRepository(database: app.database)
        try await campaigns.create(campaign, at: campaign.startsAt)
        let groups = GroupRepository(database: app.database)
        let orders = OrderRepository(database: app.database)
        // (hours ago the group opened, buyers who pay, buyers who only reserve)
        let plans: [(openedHoursAgo: Int64, paying: Int, reserving: Int)] = [(50, 3, 0), (30, 2, 0), (5, 1, 1), (1, 2, 0)]
        var buyer = 100
        for plan in plans {
            let opened = now.adding(seconds: -plan.openedHoursAgo * 3_600)
            var groupID = ""
            for slot in 0..<(plan.paying + plan.reserving) {
                buyer += 1
                // Reservations are recent, so they are still holding their slot (15 minutes to pay).
                let at = slot < plan.paying ? opened.adding(seconds: Int64(slot) * 1_200) : now.adding(seconds: -300)
                let id = slot == 0 ? Identifier.make("grp", at: at) : groupID
                let prepared = try await app.orderPlacement.prepare(.init(
                    buyerID: "demo-buyer-\(buyer)", items: [.init(productID: campaign.productID, quantity: 1)],
                    visitorID: "demo-visitor-\(String(buyer * 7 % 400).leftPadded(to: 6))",
                    unitPrice: campaign.price(leader: slot == 0), groupID: id), at: at)
                if slot == 0 {
                    groupID = try await groups.open(campaign: campaign, order: prepared.order, at: at).id
                } else {
                    _ = try await groups.join(groupID: groupID, order: prepared.order, at: at)
                }
                if slot < plan.paying {
                    _ = try await orders.markPaid(prepared.order.id, paymentID: "demo-group-pay-\(buyer)", provider: "demo", at: at.adding(seconds: 60))
                }
            }
        }
        // The group opened 30 hours ago expired six hours ago: fail it and refund its members now.
        _ = try await app.jobs.runDue()
    }

    private func loadPromoters(productIDs: [String], sharedTexts: [String]) async throws {
        // Some visitors came through shared materials: QR codes, posters, copy texts.
        // Drawn from a generator of their own, so the rest of the school stays as it was.
        let sources: [MaterialKey?] = [nil, nil, nil, nil, .qr, .poster("portrait"), .poster("square")] + sharedTexts.map { MaterialKey.text($0) }
        var shared = DemoRandom(seed: 8)
        let repository = PromoterRepository(database: app.database, cipher: app.cipher)
        let links = LinkRepository(database: app.database)
        let now = app.clock.now()
        var ids: [String] = []
        var clicks: [ClickRecord] = []
        var generator = DemoRandom(seed: 2026)
        for (index, spec) in Self.promoters.enumerated() {
            let joined = now.adding(seconds: -Int64(40 - index) * 86_400)
            let promoter = try await repository.create(.init(
                name: spec.name, phone: spec.phone, status: spec.status, parentID: spec.parent.map { ids[$0] },
                acceptance: .init(version: AgreementRepository.defaultVersion, signedName: spec.name, ip: "198.51.100.\(10 + index)",
                                  userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0.47")), at: joined)
            ids.append(promoter.id)
            guard spec.status == .active else { continue }
            for productID in productIDs.prefix(3 + index % 3) {
                let link = try await links.create(promoterID: promoter.id, productID: productID, targetURL: nil, at: joined)
                // Two weeks of traffic, heavier on recent days, some repeat visitors and a few bots.
                for day in 0..<14 {
                    for _ in 0..<(spec.clicksPerDay * (14 + day) / 28 / max(1, productIDs.count / 4)) {
                        let at = now.adding(seconds: -Int64(13 - day) * 86_400 - Int64(generator.next(upTo: 86_000)))
                        let visitor = "demo-visitor-\(String(generator.next(upTo: 400)).leftPadded(to: 6))"
                        let bot = generator.next(upTo: 20) == 0
                        clicks.append(ClickRecord(
                            id: Identifier.make("clk", at: at), linkID: link.id, promoterID: promoter.id, productID: productID,
                            visitorID: visitor, at: at, ip: "203.0.113.\(generator.next(upTo: 250))",
                            userAgent: bot ? "Mozilla/5.0 (compatible; Baiduspider/2.0)" : "Mozilla/5.0 (iPhone) MicroMessenger/8.0.47",
                            referrer: nil, isBot: bot, source: sources[shared.next(upTo: sources.count)]?.rawValue))
                    }
                }
            }
        }
        try await ClickRepository(database: app.database).insert(clicks)
        // Every active demo promoter logs in to /me with its phone and this password.
        let sessions = SessionRepository(database: app.database, cipher: app.cipher)
        let hash = Bcrypt.hash(Self.password, cost: PasswordHasher.cost)
        for (id, spec) in zip(ids, Self.promoters) where spec.status == .active {
            try await sessions.setPassword(promoterID: id, hash: hash)
        }
        // The console (/admin): an owner, finance (the only role that approves withdrawals) and an operator.
        for (username, role) in [("admin", "owner"), ("finance", "finance"), ("ops", "operator")] {
            _ = try await sessions.createAdmin(username: username, passwordHash: hash, role: role, at: now)
        }
    }

    static let password = "tuike-demo"
}

/// A tiny deterministic generator so the demo looks the same every time.
struct DemoRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(upTo bound: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(bound))
    }
}
