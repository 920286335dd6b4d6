import CTuikeGraphics
import TuikeCore
import TuikeStore

/// The demo school's promotion materials: a cover and two gallery pictures for every product
/// (drawn here, so the repository carries no image files), a rich detail, a video for one course,
/// copy templates for every product and one per product. The built-in poster templates come with
/// the database.
struct DemoMaterials {
    let app: TuikeApp

    struct Loaded {
        /// The copy templates every product shares: demo clicks name them as their source.
        let sharedTexts: [String]
    }

    static let palette: [(RGB, RGB)] = [
        (RGB(red: 232, green: 82, blue: 63), RGB(red: 255, green: 176, blue: 96)),
        (RGB(red: 47, green: 111, blue: 223), RGB(red: 104, green: 196, blue: 255)),
        (RGB(red: 22, green: 150, blue: 110), RGB(red: 150, green: 220, blue: 120)),
        (RGB(red: 130, green: 70, blue: 200), RGB(red: 230, green: 120, blue: 200)),
    ]

    func load(products: [Product]) async throws -> Loaded {
        let media = MediaRepository(database: app.database)
        let materials = MaterialRepository(database: app.database)
        let ingest = MediaIngest(media: media, pool: app.uploadPool, clock: app.clock)
        let now = app.clock.now()
        for (index, product) in products.enumerated() {
            var ids: [String] = []
            for variant in 0..<3 {
                let jpeg = try Self.picture(title: product.title, subtitle: Self.subtitles[variant], colours: Self.palette[(index + variant) % Self.palette.count],
                                            variant: variant)
                ids.append(try await ingest.store(jpeg).0.id)
            }
            let detail = try RichText.sanitize("""
                <h3>课程亮点</h3><p>\(product.description)</p><img src="/media/\(ids[1])" alt="课程内容">
                <ul><li>随时回看，永久有效</li><li>班主任督学，答疑不过夜</li><li>学完可开发票</li></ul>
                <p><strong>适合谁：</strong>想系统提升、又没有大块时间的你。</p>
                """)
            try await materials.saveProductMedia(product.id, ProductMedia(
                coverMediaID: ids[0], gallery: Array(ids.dropFirst()), videoURL: index == 0 ? "https://channels.weixin.qq.com/demo/python-intro" : nil,
                videoCoverMediaID: index == 0 ? ids[2] : nil, detail: detail), at: now)
            let own = CopyTemplate(id: Identifier.make("cpy", at: now.adding(milliseconds: Int64(10 + index))), productID: product.id,
                                   text: "【\(product.title)】\(product.description) 现价 {price}，点这里：{link}", createdAt: now, updatedAt: now)
            try await materials.createCopyTemplate(own)
        }
        var shared: [String] = []
        for (offset, text) in Self.sharedTexts.enumerated() {
            let copy = CopyTemplate(id: Identifier.make("cpy", at: now.adding(milliseconds: Int64(offset))), productID: nil, text: text,
                                    createdAt: now, updatedAt: now)
            try await materials.createCopyTemplate(copy)
            shared.append(copy.id)
        }
        return Loaded(sharedTexts: shared)
    }

    static let subtitles = ["精品课程", "课程内容", "学员作品"]

    static let sharedTexts = [
        "我是{promoter}，最近在学「{title}」，讲得很清楚，{price} 就能学完整套，推荐给你 👉 {link}",
        "「{title}」拼团中！{group_price} 一起学，截止 {deadline}，还差几个人就成团 👉 {link}",
    ]

    /// A 960 × 640 JPEG: a diagonal gradient, soft circles and the title, like a course cover.
    static func picture(title: String, subtitle: String, colours: (RGB, RGB), variant: Int) throws -> [UInt8] {
        let raster = try Raster(width: 960, height: 640)
        raster.draw { cr in
            if let gradient = cairo_pattern_create_linear(0, 0, 960, 640) {
                let (a, b) = (colours.0.components, colours.1.components)
                cairo_pattern_add_color_stop_rgb(gradient, 0, a.0, a.1, a.2)
                cairo_pattern_add_color_stop_rgb(gradient, 1, b.0, b.1, b.2)
                cairo_set_source(cr, gradient)
                cairo_paint(cr)
                cairo_pattern_destroy(gradient)
            }
            for ring in 0..<3 {
                cairo_set_source_rgba(cr, 1, 1, 1, 0.10 + 0.05 * Double(ring))
                cairo_arc(cr, 760 - Double(ring * 90 + variant * 40), 140 + Double(ring * 60), 160 - Double(ring * 30), 0, 2 * Double.pi)
                cairo_fill(cr)
            }
            let white = RGB(red: 255, green: 255, blue: 255)
            Canvas.text(subtitle, x: 64, y: 70, width: 500, style: .init(size: 34, bold: true, colour: white), on: cr)
            Canvas.text(title, x: 64, y: 300, width: 832, style: .init(size: 64, bold: true, colour: white, maxLines: 2), on: cr)
            Canvas.text("推客学堂", x: 64, y: 540, width: 400, style: .init(size: 30, colour: white), on: cr)
        }
        return try raster.jpeg(quality: 85)
    }
}
