import Foundation
import TuikeCore
import TuikeStore

/// The material center (素材中心): for each product on sale, what a promoter shares — the link,
/// its QR code, posters, the merchant's texts filled with live values, the product's images and
/// video — each with a share URL that names it (`?s=`), so that clicks and orders are credited to
/// the material, and each ordered by its measured effect over all promoters.
struct MaterialCenter: Sendable {
    let products: ProductRepository
    let links: LinkRepository
    let materials: MaterialRepository
    let media: MediaRepository
    let promoters: PromoterRepository
    let campaigns: GroupCampaignRepository
    let badges: BadgeRepository
    let program: ProgramRepository
    let posters: PosterService
    let publicURL: String
    let clock: any TuikeClock

    static let maxProducts = 100

    func materials(promoterID: String) async throws -> MaterialsView {
        guard let promoter = try await promoters.find(promoterID) else { throw TuikeError.notFound("promoter", promoterID) }
        guard promoter.status == .active else {
            throw TuikeError(.conflict, code: "promoter_not_active", "promoter \(promoterID) is \(promoter.status.rawValue); only active promoters share materials")
        }
        let now = clock.now()
        let onSale = try await products.list(status: .active, limit: Self.maxProducts, before: nil)
        let ids = onSale.map(\.id)
        let productLinks = try await links.productLinks(promoterID: promoterID, productIDs: ids, at: now)
        let productMedia = try await materials.productMedia(ids)
        // Materials for a badge's holders only are left out for the others (rules §18).
        let held = try await badges.held(promoterID: promoterID, at: now)
        let templates = try await materials.posterTemplates(activeOnly: true).filter { $0.badgeID.map(held.contains) ?? true }
        let texts = try await materials.copyTemplates(productID: nil, activeOnly: true).filter { $0.badgeID.map(held.contains) ?? true }
        let running = try await campaigns.running(productIDs: ids, at: now)
        let zone = try await program.current().timeZone
        let images = try await media.find(Array(Set(productMedia.values.flatMap(\.mediaIDs))))
        let allEffects = try await materials.effects(productIDs: ids)
        var result: [ProductMaterials] = []
        for product in onSale {
            guard let link = productLinks[product.id] else { continue }
            let url = posters.linkURL(link)
            let effects = allEffects[product.id] ?? [:]
            func effect(_ key: MaterialKey) -> Effect { Effect(effects[key.rawValue] ?? .init()) }
            let campaign = running[product.id]
            let values: [CopyTemplate.Placeholder: String] = [
                .title: product.title, .price: PosterContent.yuan(product.price), .groupPrice: campaign.map { PosterContent.yuan($0.groupPrice) } ?? "",
                .promoter: promoter.name, .deadline: campaign.map { Self.deadline($0.endsAt, zone: zone) } ?? "",
            ]
            let ownTexts = texts.filter { $0.productID == nil || $0.productID == product.id }.map { copy in
                var filled = values
                filled[.link] = MaterialKey.text(copy.id).appended(to: url)
                return TextItem(id: copy.id, text: CopyTemplate.fill(copy.text, values: filled), item: MaterialKey.text(copy.id).rawValue,
                                effect: effect(.text(copy.id)))
            }
            let owned = productMedia[product.id] ?? ProductMedia()
            let gallery = ([owned.coverMediaID].compactMap { $0 } + owned.gallery).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            let mediaItems = gallery.compactMap { id in images[id] }.map { image in
                MediaItem(id: image.id, url: MediaController.url(image.id, publicURL: publicURL),
                          thumbUrl: MediaController.url(image.id, publicURL: publicURL, width: 480), width: image.width, height: image.height,
                          item: MaterialKey.media(image.id).rawValue, shareUrl: MaterialKey.media(image.id).appended(to: url), effect: effect(.media(image.id)))
            }
            let posterItems = templates.map { template in
                PosterItem(templateId: template.id, name: template.name, layout: template.layout.rawValue,
                           url: "\(publicURL)/api/v1/links/\(link.code)/poster.png?template=\(template.id)",
                           pageUrl: "\(publicURL)/posters/\(link.code)?template=\(template.id)", item: MaterialKey.poster(template.id).rawValue,
                           effect: effect(.poster(template.id)))
            }
            result.append(ProductMaterials(
                productId: product.id, productTitle: product.title, price: product.price, groupPrice: campaign?.groupPrice,
                coverUrl: owned.coverMediaID.map { MediaController.url($0, publicURL: publicURL, width: 480) },
                link: url, linkCode: link.code, qrUrl: "\(publicURL)/api/v1/links/\(link.code)/qr.png", qrSvgUrl: "\(publicURL)/api/v1/links/\(link.code)/qr.svg",
                posterUrl: posterItems.first?.url ?? "\(publicURL)/api/v1/links/\(link.code)/poster.png",
                qrEffect: effect(.qr), posters: Self.best(posterItems, \.effect), texts: Self.best(ownTexts, \.effect), media: Self.best(mediaItems, \.effect),
                video: owned.videoURL.map { VideoItem(url: $0, coverUrl: owned.videoCoverMediaID.map { MediaController.url($0, publicURL: publicURL, width: 480) }) }))
        }
        // Products whose materials brought the most orders first; the newest first among equals.
        let ranked = result.enumerated().sorted { a, b in
            let (x, y) = (a.element.total, b.element.total)
            return x != y ? x > y : a.offset < b.offset
        }.map(\.element)
        return MaterialsView(data: ranked)
    }

    /// Items with the most paid orders first, then clicks, then shares; the merchant's order among equals.
    static func best<T>(_ items: [T], _ effect: KeyPath<T, Effect>) -> [T] {
        items.enumerated().sorted { a, b in
            let (x, y) = (a.element[keyPath: effect], b.element[keyPath: effect])
            return x != y ? x > y : a.offset < b.offset
        }.map(\.element)
    }

    func recordShare(promoterID: String, productID: String, item: String) async throws -> Int64 {
        guard let key = MaterialKey(item) else { throw TuikeError.validation("item must be a material key such as qr, p.portrait, t.<copy id> or m.<media id>") }
        guard let promoter = try await promoters.find(promoterID) else { throw TuikeError.notFound("promoter", promoterID) }
        guard promoter.status == .active else { throw TuikeError(.conflict, code: "promoter_not_active", "promoter \(promoterID) is not active") }
        guard let product = try await products.find(productID), product.status == .active else { throw TuikeError.notFound("product", productID) }
        // Only a material of this product counts: a made-up key would rank nothing.
        // A badge's material counts for its holders only; to anyone else it is not there.
        let held = { (badge: String?) async throws -> Bool in try await badge.asyncMap { try await self.badges.held(promoterID: promoterID, at: self.clock.now()).contains($0) } ?? true }
        let known: Bool
        switch key {
        case .qr: known = true
        case .poster(let id):
            let template = try await materials.posterTemplate(id)
            known = template?.status == .active ? try await held(template?.badgeID) : false
        case .text(let id):
            let copy = try await materials.copyTemplate(id)
            known = copy?.status == .active && (copy?.productID == nil || copy?.productID == product.id) ? try await held(copy?.badgeID) : false
        case .media(let id): known = try await materials.productMedia(product.id)?.mediaIDs.contains(id) == true
        }
        guard known else { throw TuikeError.validation("\(key.rawValue) is not a material of product \(product.id)") }
        let zone = try await program.current().timeZone
        guard let day = try CalendarDays.days(from: clock.now(), to: clock.now(), timeZone: zone).first else { throw TuikeError.validation("no day contains now") }
        try await materials.recordShare(promoterID: promoterID, productID: product.id, item: key.rawValue, day: day.label)
        return try await materials.effects(productIDs: [product.id])[product.id]?[key.rawValue]?.shares ?? 1
    }

    /// "12月31日 23:59" in the program's time zone: when a group-buy ends, for copy texts.
    static func deadline(_ instant: Instant, zone: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: zone) ?? .gmt
        let parts = calendar.dateComponents([.month, .day, .hour, .minute], from: Date(timeIntervalSince1970: TimeInterval(instant.milliseconds / 1_000)))
        func two(_ value: Int?) -> String { let text = String(value ?? 0); return text.count < 2 ? "0" + text : text }
        return "\(parts.month ?? 0)月\(parts.day ?? 0)日 \(two(parts.hour)):\(two(parts.minute))"
    }
}

struct Effect: Encodable, Sendable, Comparable {
    let shares: Int64
    let clicks: Int64
    let paidOrders: Int64

    init(_ effect: MaterialRepository.Effect) {
        (shares, clicks, paidOrders) = (effect.shares, effect.clicks, effect.paidOrders)
    }

    static func < (a: Effect, b: Effect) -> Bool {
        (a.paidOrders, a.clicks, a.shares) < (b.paidOrders, b.clicks, b.shares)
    }
}

struct MaterialsView: Encodable, Sendable { let data: [ProductMaterials] }

struct ProductMaterials: Encodable, Sendable {
    let productId: String
    let productTitle: String
    let price: Int64
    @ExplicitNull var groupPrice: Int64?
    @ExplicitNull var coverUrl: String?
    let link: String
    let linkCode: String
    let qrUrl: String
    let qrSvgUrl: String
    let posterUrl: String
    let qrEffect: Effect
    let posters: [PosterItem]
    let texts: [TextItem]
    let media: [MediaItem]
    @ExplicitNull var video: VideoItem?

    /// Paid orders, clicks and shares over every material of the product.
    var total: Effect {
        let all = [qrEffect] + posters.map(\.effect) + texts.map(\.effect) + media.map(\.effect)
        return Effect(MaterialRepository.Effect(shares: all.reduce(0) { $0 &+ $1.shares }, clicks: all.reduce(0) { $0 &+ $1.clicks },
                                                paidOrders: all.reduce(0) { $0 &+ $1.paidOrders }))
    }
}

struct PosterItem: Encodable, Sendable {
    let templateId: String; let name: String; let layout: String; let url: String; let pageUrl: String; let item: String; let effect: Effect
}
struct TextItem: Encodable, Sendable { let id: String; let text: String; let item: String; let effect: Effect }
struct MediaItem: Encodable, Sendable {
    let id: String; let url: String; let thumbUrl: String; let width: Int64; let height: Int64; let item: String; let shareUrl: String; let effect: Effect
}
struct VideoItem: Encodable, Sendable { let url: String; @ExplicitNull var coverUrl: String? }

extension MaterialCenter {
    static let effectSchema = Schemas.object([("shares", Schemas.integer), ("clicks", Schemas.integer), ("paid_orders", Schemas.integer)],
                                             required: ["shares", "clicks", "paid_orders"])
    static let schema: JSONValue = {
        let item: (String, JSONValue) = ("item", ["type": "string", "description": "The material key: `?s=` of its share URL."])
        let product = Schemas.object([
            ("product_id", Schemas.string), ("product_title", Schemas.string), ("price", Schemas.integer), ("group_price", Schemas.nullable(Schemas.integer)),
            ("cover_url", Schemas.nullable(Schemas.string)), ("link", ["type": "string", "description": "The promoter's link to the product."]),
            ("link_code", Schemas.string), ("qr_url", Schemas.string), ("qr_svg_url", Schemas.string), ("poster_url", Schemas.string),
            ("qr_effect", effectSchema),
            ("posters", Schemas.array(Schemas.object([("template_id", Schemas.string), ("name", Schemas.string), ("layout", Schemas.string),
                                                      ("url", Schemas.string), ("page_url", ["type": "string", "description": "A share page around the poster, with the poster as its OpenGraph image."]),
                                                      item, ("effect", effectSchema)]))),
            ("texts", Schemas.array(Schemas.object([("id", Schemas.string), ("text", Schemas.string), item, ("effect", effectSchema)]))),
            ("media", Schemas.array(Schemas.object([("id", Schemas.string), ("url", Schemas.string), ("thumb_url", Schemas.string),
                                                    ("width", Schemas.integer), ("height", Schemas.integer), item, ("share_url", Schemas.string),
                                                    ("effect", effectSchema)]))),
            ("video", Schemas.nullable(Schemas.object([("url", Schemas.string), ("cover_url", Schemas.nullable(Schemas.string))]))),
        ], required: ["product_id", "product_title", "price", "group_price", "cover_url", "link", "link_code", "qr_url", "qr_svg_url", "poster_url",
                      "qr_effect", "posters", "texts", "media", "video"])
        return Schemas.object([("data", Schemas.array(product))], required: ["data"])
    }()
}
