import Foundation
import HTTPTypes
import Hummingbird
import TuikeCore
import TuikeStore

/// The storefront: the course list, a course page with its group-buy box (open a group, or
/// join a forming one with its countdown), and the group page whose progress and countdown update
/// live over SSE. Buyers are guests known by their `tk_vid` cookie (a visit through a promoter's
/// link attributes the order), or signed in (`BuyerPages`): then the order is theirs and goods
/// ship to an address of their book. Forms carry a CSRF token; checkout is the sandbox's.
struct StorefrontController {
    let products: ProductRepository
    let campaigns: GroupCampaignRepository
    let groups: GroupRepository
    let placement: OrderPlacement
    let forms: FormReplay
    let holds: UnpaidHolds
    let program: ProgramRepository
    let materials: MaterialRepository
    let skus: SkuRepository
    let buyers: BuyerRepository
    let buyerPages: BuyerPages
    let publicURL: String
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/", summary: "Storefront: the course list (HTML)", tag: "Pages", access: .publicAccess,
                responses: [(200, "HTML.", nil)], handler: index)
        api.add(.get, "/p/{id}", summary: "Storefront: a course page with its group-buy box (HTML)", tag: "Pages", access: .publicAccess,
                responses: [(200, "HTML.", nil), (404, "No such product (HTML).", nil)], handler: product)
        api.add(.post, "/p/{id}/buy", summary: "The buy button: an order for the visitor, then the checkout", tag: "Pages", access: .publicAccess,
                responses: [(303, "To the checkout.", nil), (403, "CSRF token missing or wrong (HTML).", nil)], handler: buy)
        api.add(.post, "/p/{id}/group", summary: "The open-a-group button: the visitor leads a new group", tag: "Pages", access: .publicAccess,
                responses: [(303, "To the checkout.", nil), (409, "Refused (HTML).", nil)], handler: openGroup)
        api.add(.get, "/g/{id}", summary: "A group's page: members, progress, countdown, share link, live (HTML)", tag: "Pages",
                access: .publicAccess, responses: [(200, "HTML.", nil), (404, "No such group (HTML).", nil)], handler: group)
        api.add(.post, "/g/{id}/join", summary: "The join button: a slot for the visitor, then the checkout", tag: "Pages", access: .publicAccess,
                responses: [(303, "To the checkout.", nil), (409, "group_full and other refusals (HTML).", nil)], handler: join)
        api.add(.get, "/assets/tuike.css", summary: "The pages' stylesheet", tag: "Pages", access: .publicAccess, responses: [(200, "CSS.", nil)]) { _, _ in
            Self.asset(Assets.stylesheet, type: "text/css; charset=utf-8")
        }
        api.add(.get, "/assets/tuike.js", summary: "The pages' script (countdowns, live groups)", tag: "Pages", access: .publicAccess,
                responses: [(200, "JavaScript.", nil)]) { _, _ in
            Self.asset(Assets.script, type: "text/javascript; charset=utf-8")
        }
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=300"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    var groupCheckout: GroupCheckout { GroupCheckout(placement: placement, groups: groups, campaigns: campaigns) }

    /// The running campaign of a product, if any.
    func campaign(for productID: String, at now: Instant) async throws -> GroupCampaign? {
        try await campaigns.running(productIDs: [productID], at: now)[productID]
    }

    @Sendable func index(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let language = Language.of(request)
        let now = clock.now()
        let running = try await campaigns.running(at: now)
        let listed = try await products.list(status: .active, limit: 100, before: nil)
        let media = try await materials.productMedia(listed.map(\.id))
        let items = listed.map { product -> [String: Any] in
            var item: [String: Any] = ["id": product.id, "title": product.title, "description": product.description, "price": Money.format(product.price)]
            if let campaign = running[product.id] { item["group_price"] = Money.format(campaign.groupPrice) }
            if let cover = media[product.id]?.coverMediaID { item["cover"] = "/media/\(cover)?w=480" }
            return item
        }
        return Templates.page("index", title: language.strings[.courses], language: language, context: ["products": items])
    }

    @Sendable func product(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let language = Language.of(request)
        let id = try context.parameters.require("id")
        guard let product = try await products.find(id), product.status == .active else { return Self.notFound(language) }
        let (csrf, newToken) = Forms.csrfToken(request)
        let media = try await materials.productMedia(id) ?? ProductMedia()
        var page: [String: Any] = [
            "csrf": csrf,
            "product": ["id": product.id, "title": product.title, "description": product.description, "price": Money.format(product.price)],
            "media": Self.mediaContext(media),
            "og": Self.shareCard(title: product.title, description: product.description, cover: media.coverMediaID, url: "\(publicURL)/p/\(product.id)",
                                 publicURL: publicURL),
        ]
        if product.kind == .physical { page["goods"] = try await goodsContext(product, request: request, language: language) }
        let now = clock.now()
        if let campaign = try await campaign(for: id, at: now) {
            let forming = try await groups.joinable(campaignID: campaign.id, at: now, limit: 10).map { group -> [String: Any] in
                ["id": group.id, "members": group.paidMembers, "size": group.size, "left": group.size - group.paidMembers - group.reserved,
                 "expires_at": group.expiresAt?.rfc3339 ?? ""]
            }
            var box: [String: Any] = ["product_id": id, "size": campaign.groupSize, "group_price": Money.format(campaign.groupPrice),
                                      "list_price": Money.format(product.price), "groups": forming]
            if let leader = campaign.leaderPrice, leader != campaign.groupPrice { box["leader_price"] = Money.format(leader) }
            page["campaign"] = box
        }
        var response = Templates.page("product", title: product.title, language: language, context: page)
        if newToken { response.headers.append(HTTPField(name: .setCookie, value: Forms.cookie(csrf))) }
        return response
    }

    @Sendable func group(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let language = Language.of(request)
        let id = try context.parameters.require("id")
        guard let group = try await groups.find(id), let campaign = try await campaigns.find(group.campaignID),
              let product = try await products.find(campaign.productID) else { return Self.notFound(language) }
        let members = try await groups.members(groupID: id).filter { $0.status == .paid || $0.status == .refunding || $0.status == .refunded }
        let (csrf, newToken) = Forms.csrfToken(request)
        let strings = language.strings
        let labels = Dictionary(uniqueKeysWithValues: GroupStatus.allCases.map { ($0.rawValue, strings.label("status", $0.rawValue)) })
        let slots = (0..<Int(group.size)).map { index -> [String: Any] in
            guard index < members.count else { return ["filled": false, "initial": "?", "role": ""] }
            let member = members[index]
            return ["filled": true, "initial": GroupView.mask(member.buyerID).prefix(1).uppercased(),
                    "role": member.role == .leader ? strings[.leader] : ""]
        }
        let page: [String: Any] = [
            "csrf": csrf,
            "group": ["id": group.id, "status": group.status.rawValue, "size": group.size, "members": group.paidMembers],
            "product_title": product.title, "group_price": Money.format(campaign.groupPrice),
            "status_label": labels[group.status.rawValue] ?? group.status.rawValue,
            "labels": String(decoding: try JSONEncoder().encode(labels), as: UTF8.self),
            "percent": group.size == 0 ? 0 : group.paidMembers * 100 / group.size, "left": max(0, group.size - group.paidMembers),
            "expires_at": group.status == .forming ? (group.expiresAt?.rfc3339 ?? "") : "",
            "slots": slots, "joinable": group.status == .forming && group.paidMembers + group.reserved < group.size,
            "share_url": "\(publicURL)/g/\(group.id)",
            "og": Self.shareCard(title: Self.groupCardTitle(group, product: product.title, language: language),
                                 description: "\(strings[.groupPrice]) ¥\(Money.format(campaign.groupPrice)) · \(group.size)\(strings[.peopleGroup])",
                                 cover: try await materials.productMedia(product.id)?.coverMediaID, url: "\(publicURL)/g/\(group.id)", publicURL: publicURL),
        ]
        var response = Templates.page("group", title: "\(strings[.group]) · \(product.title)", language: language, context: page)
        if newToken { response.headers.append(HTTPField(name: .setCookie, value: Forms.cookie(csrf))) }
        return response
    }

    @Sendable func buy(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try await checkout(request, context: context, productID: { try context.parameters.require("id") }) { buyer, visitor, fields in
            let id = try context.parameters.require("id")
            let sku = fields["sku"].flatMap { $0.isEmpty ? nil : $0 }
            let address = try await shippingAddress(fields, buyer: buyer)
            return try await placement.place(.init(buyerID: buyer, items: [.init(productID: id, quantity: 1, sku: sku)], shippingAddress: address,
                                                   visitorID: visitor, ip: Self.address(context.clientIP(request)), deviceID: Self.device(fields)), at: clock.now()).0.id
        }
    }

    @Sendable func openGroup(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try await checkout(request, context: context, productID: { try context.parameters.require("id") }) { buyer, visitor, fields in
            let id = try context.parameters.require("id")
            let now = clock.now()
            guard let campaign = try await campaign(for: id, at: now) else {
                throw TuikeError(.conflict, code: "campaign_not_running", "this course has no group buy running")
            }
            return try await groupCheckout.open(campaign, buyerID: buyer, visitorID: visitor, ip: Self.address(context.clientIP(request)), deviceID: Self.device(fields),
                                                at: now).order.id
        }
    }

    @Sendable func join(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let productID: () async throws -> String = {
            let id = try context.parameters.require("id")
            guard let group = try await groups.find(id), let campaign = try await campaigns.find(group.campaignID) else {
                throw TuikeError.notFound("group", id)
            }
            return campaign.productID
        }
        return try await checkout(request, context: context, productID: productID, groupID: context.parameters.get("id")) { buyer, visitor, fields in
            let id = try context.parameters.require("id")
            return try await groupCheckout.join(groupID: id, buyerID: buyer, visitorID: visitor, ip: Self.address(context.clientIP(request)), deviceID: Self.device(fields),
                                                at: clock.now()).order.id
        }
    }

    /// The buyer's address for the risk signals, when it parses: a proxy's odd header value is
    /// dropped, never a reason to refuse the purchase.
    static func address(_ ip: String?) -> String? {
        ip.flatMap { AddressRanges.bytes($0) != nil ? $0 : nil }
    }

    /// The browser's fingerprint from /tuike.js when it ran (the form's `tk_device`), for the risk
    /// signals with the buyer's address as the storefront sees it. A malformed fingerprint is
    /// dropped, never a reason to refuse the purchase.
    static func device(_ fields: [String: String]) -> String? {
        fields["tk_device"].flatMap { id in
            (1...RiskOrigin.maxDeviceLength).contains(id.count) && id.allSatisfy { $0.isASCII && !$0.isWhitespace } ? id : nil
        }
    }

    /// A form post that makes an order for the visitor and sends it to the checkout; refusals
    /// come back as a page with the refusal's status and words. The visitor and its address may
    /// hold only a few unpaid orders (`UnpaidHolds`), so nobody can take all the stock or a
    /// group's free slots without paying.
    func checkout(_ request: Request, context: TuikeRequestContext, productID: () async throws -> String, groupID: String? = nil,
                  makeOrder: (_ buyer: String, _ visitor: String, _ fields: [String: String]) async throws -> String) async throws -> Response {
        let language = Language.of(request)
        func refusal(_ error: TuikeError) -> Response {
            var page = Templates.message(language == .zh ? "无法完成" : "Not possible", error.message, language: language,
                                         status: ErrorResponses.status(of: error.kind))
            if let retryAfter = error.retryAfter { page.headers[.retryAfter] = String(retryAfter) }
            return page
        }
        do {
            let fields = try await Forms.verified(request, context: context)
            return try await forms.once(request, fields: fields) {
                do {
                    var random = BlockRandom()
                    let (visitor, isNew) = TrackingController.visitor(request.headers, using: &random)
                    let address = context.clientIP(request)
                    try await holds.check(address: address, visitor: visitor, productID: try await productID(), groupID: groupID,
                                          limits: UnpaidHolds.Limits(),
                                          retryAfter: try await program.current().orderTimeoutSeconds)
                    let buyer = try await buyerPages.signedIn(request) ?? CheckoutController.guestPrefix + visitor
                    let order = try await makeOrder(buyer, visitor, fields)
                    try await holds.record(orderID: order, address: address)
                    var response = Response.redirect(to: "/pay/\(order)", type: .normal)
                    if isNew { response.headers[.setCookie] = TrackingController.cookie(visitor) }
                    return response
                } catch let error as TuikeError {
                    return refusal(error)
                }
            }
        } catch let error as TuikeError {
            return refusal(error)
        }
    }

    static func notFound(_ language: Language) -> Response {
        Templates.message(language.strings[.notFound], language == .zh ? "这个页面不存在或已下架。" : "This page does not exist or is no longer offered.",
                          language: language, status: .notFound)
    }
}

/// HTML escaping of text, the same five characters as Mustache's `{{x}}` (`& < > " '`).
enum HTML {
    static func escape(_ text: String) -> String { HTMLText.escape(text) }

    static func page(title: String, body: String, status: HTTPResponse.Status = .ok) -> Response {
        let html = """
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
            <title>\(escape(title))</title><link rel="stylesheet" href="/assets/tuike.css"></head><body><main><div class="card">\(body)</div></main></body></html>
            """
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

extension StorefrontController {
    /// What the product page shows of its media: the cover, the gallery (thumbs linking to the
    /// originals), the video on its platform, and the detail (sanitised when it was saved).
    static func mediaContext(_ media: ProductMedia) -> [String: Any] {
        var context: [String: Any] = [
            "gallery": media.gallery.map { ["thumb": "/media/\($0)?w=480", "full": "/media/\($0)"] },
            "has_gallery": !media.gallery.isEmpty,
        ]
        if let cover = media.coverMediaID { context["cover"] = "/media/\(cover)?w=960" }
        if let url = media.videoURL {
            context["video"] = ["url": url, "cover": media.videoCoverMediaID.map { "/media/\($0)?w=960" } ?? ""]
        }
        if !media.detail.isEmpty { context["detail"] = media.detail }
        return context
    }

    /// OpenGraph tags, so that a chat app shows the shared page as a card: the title, a line, the
    /// cover (an absolute URL, as crawlers need).
    static func shareCard(title: String, description: String, cover: String?, url: String, publicURL: String) -> [String: Any] {
        var card: [String: Any] = ["og_title": title, "og_description": String(description.prefix(120)), "og_url": url]
        if let cover { card["og_image"] = "\(publicURL)/media/\(cover)?w=960" }
        return card
    }

    /// The live state of a group, for its card: "还差 2 人成团 · 课程" while it forms.
    static func groupCardTitle(_ group: Group, product: String, language: Language) -> String {
        let missing = max(0, group.size - group.paidMembers)
        switch (group.status, language) {
        case (.forming, .zh): return "还差 \(missing) 人成团 · \(product)"
        case (.forming, .en): return "\(missing) more to complete the group · \(product)"
        case (.succeeded, .zh): return "已成团 · \(product)"
        case (.succeeded, .en): return "Group complete · \(product)"
        default: return product
        }
    }
}

extension StorefrontController {
    /// The buy box of a physical product: its variants, and an address of the signed-in buyer's
    /// book or the address fields.
    func goodsContext(_ product: Product, request: Request, language: Language) async throws -> [String: Any] {
        let variants = try await skus.list(productID: product.id).map { sku -> [String: Any] in
            ["code": sku.code, "label": sku.label.isEmpty ? sku.code : sku.label, "price": Money.format(sku.price), "sold_out": sku.stock == 0]
        }
        var goods: [String: Any] = ["skus": variants, "skus_any": !variants.isEmpty, "w": BuyerPages.words(language)]
        let book = try await buyerPages.signedIn(request).asyncFlatMap { try await buyers.addresses(of: $0) } ?? []
        if book.isEmpty {
            goods["address_fields"] = BuyerPages.addressFields(language)
            if try await buyerPages.signedIn(request) == nil { goods["sign_in"] = true }
        } else {
            goods["addresses"] = book.map { ["id": $0.id, "summary": $0.address.summary] }
            goods["addresses_any"] = true
        }
        return goods
    }

    /// The address of a buy form: one of the buyer's book, or the typed fields (nil when none sent).
    func shippingAddress(_ fields: [String: String], buyer: String) async throws -> ShippingAddress? {
        if let id = fields["address_id"], !id.isEmpty {
            guard let saved = try await buyers.address(id, buyerID: buyer) else { throw TuikeError.validation("address_id \(id) is not in your address book") }
            return saved.address
        }
        guard ShippingAddress.fieldNames.contains(where: { !(fields[$0] ?? "").isEmpty }) else { return nil }
        return ShippingAddress(fields: fields)
    }
}
