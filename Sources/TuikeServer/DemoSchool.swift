import TuikeCore
import TuikeStore

/// `tuike demo` and `serve --demo`: a small online school, so the first command of the README shows
/// something alive. Each capability adds its part here (promoters, clicks, orders, groups).
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

    /// Loads the school into an empty database; returns false and changes nothing otherwise.
    func loadIfEmpty() async throws -> Bool {
        let products = ProductRepository(database: app.database)
        guard try await products.count() == 0 else { return false }
        for (offset, course) in Self.courses.enumerated() {
            let now = app.clock.now().adding(milliseconds: Int64(offset))
            try await products.create(Product(
                id: Identifier.make("prod", at: now), title: course.title, description: course.description,
                kind: course.kind, price: course.price, stock: course.stock, createdAt: now, updatedAt: now))
        }
        try await ProgramRepository(database: app.database).save(.defaults, at: app.clock.now())
        return true
    }
}
