import HTTPTypes
import Hummingbird
import TuikeCore
import TuikeStore

/// The material center in the portal (`/me/materials`): for each product, the promoter's link,
/// QR code and posters to save, and the merchant's texts filled in to copy with one tap. Every
/// save and copy is counted as a share (`POST /me/materials/shares`, sent as a beacon).
struct PortalMaterials {
    let portal: PortalController
    let center: MaterialCenter

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/me/materials", summary: "Promoter portal: the material center (HTML)", tag: "Pages", access: .publicAccess,
                responses: [(200, "HTML.", nil), (303, "To the login form without a session.", nil)], handler: page)
        api.add(.post, "/me/materials/shares", summary: "Promoter portal: count a share of a material (a beacon from the page)", tag: "Pages",
                access: .publicAccess, responses: [(204, "Counted.", nil), (303, "To the login form without a session.", nil)], handler: share)
    }

    @Sendable func page(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        guard let id = try await portal.promoterID(request) else { return .redirect(to: "/me/login", type: .normal) }
        let language = Language.of(request)
        let materials = try await center.materials(promoterID: id)
        let (csrf, isNew) = Forms.csrfToken(request)
        var html = MaterialsHTML(strings: language.strings, csrf: csrf)
        html.write(materials)
        var response = Templates.page("me", title: language.strings[.materialCenter], language: language, context: ["body": html.out, "wide": true])
        if isNew { response.headers.append(HTTPField(name: .setCookie, value: Forms.cookie(csrf))) }
        return response
    }

    @Sendable func share(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        guard let id = try await portal.promoterID(request) else { return .redirect(to: "/me/login", type: .normal) }
        let fields = try await Forms.verified(request, context: context)
        _ = try await center.recordShare(promoterID: id, productID: fields["product_id"] ?? "", item: fields["item"] ?? "")
        return Response(status: .noContent)
    }
}

/// The material center's HTML: one card per product, best first.
struct MaterialsHTML: HTMLWriting {
    let strings: Words
    let csrf: String
    var out = ""

    mutating func say(_ word: Word) { text(strings[word]) }

    /// `data-share` makes the page's script count a share when the element is used.
    mutating func shareAttributes(_ product: String, _ item: String) {
        raw(" data-share=\""); text(item); raw("\" data-product=\""); text(product); raw("\"")
    }

    mutating func write(_ view: MaterialsView) {
        raw("<p><a href=\"/me\">← "); say(.myAccount); raw("</a></p><h1>"); say(.materialCenter); raw("</h1><p class=\"muted\">"); say(.materialHint)
        raw("</p><form id=\"share-token\"><input type=\"hidden\" name=\"_csrf\" value=\""); text(csrf); raw("\"></form>\n")
        if view.data.isEmpty { raw("<p class=\"muted\">"); say(.none); raw("</p>") }
        for product in view.data {
            let key = product.linkCode
            raw("<div class=\"card\" data-material=\""); text(product.productId); raw("\">")
            if let cover = product.coverUrl { raw("<img class=\"cover\" src=\""); text(cover); raw("\" alt=\"\" loading=\"lazy\">") }
            raw("<h2>"); text(product.productTitle); raw("</h2><p><span class=\"price\">¥"); text(Money.format(product.price)); raw("</span>")
            if let group = product.groupPrice { raw(" <span class=\"badge\">"); say(.groupBuy); raw(" ¥"); text(Money.format(group)); raw("</span>") }
            raw("</p>\n<div class=\"row\"><input class=\"share\" id=\"link-"); text(key); raw("\" readonly value=\""); text(product.link); raw("\">")
            raw("<button class=\"btn alt small\" type=\"button\" data-copy=\"link-"); text(key); raw("\" data-done=\""); say(.copied); raw("\">")
            say(.copy); raw("</button></div>\n<div class=\"materials\">")
            // The QR code, then the posters, each with a save (download) link.
            raw("<figure><img src=\""); text(product.qrUrl); raw("?size=512\" alt=\"QR\" loading=\"lazy\"><figcaption><a download=\"qr-"); text(key)
            raw(".png\" href=\""); text(product.qrUrl); raw("?size=1024\""); shareAttributes(product.productId, "qr"); raw(">"); say(.saveQR); raw("</a></figcaption></figure>")
            for poster in product.posters {
                raw("<figure data-poster=\""); text(poster.templateId); raw("\"><img src=\""); text(poster.url); raw("\" alt=\""); text(poster.name)
                raw("\" loading=\"lazy\"><figcaption>"); text(poster.name); raw(" · <a download=\"poster-"); text(key); raw("-"); text(poster.templateId)
                raw(".png\" href=\""); text(poster.url); raw("\""); shareAttributes(product.productId, poster.item); raw(">"); say(.savePoster); raw("</a>")
                raw(" · <a href=\""); text(poster.pageUrl); raw("\""); shareAttributes(product.productId, poster.item); raw(">"); say(.sharePage); raw("</a>")
                clicks(poster.effect); raw("</figcaption></figure>")
            }
            for image in product.media {
                raw("<figure><img src=\""); text(image.thumbUrl); raw("\" alt=\"\" loading=\"lazy\"><figcaption><a download href=\""); text(image.url); raw("\"")
                shareAttributes(product.productId, image.item); raw(">"); say(.saveImage); raw("</a>"); clicks(image.effect); raw("</figcaption></figure>")
            }
            raw("</div>\n")
            if let video = product.video {
                raw("<p><a href=\""); text(video.url); raw("\" rel=\"noopener\" target=\"_blank\">"); say(.watchVideo); raw("</a></p>")
            }
            for text in product.texts {
                raw("<div class=\"row\"><textarea class=\"share copytext\" rows=\"3\" readonly id=\"text-"); self.text(text.id); raw("-"); self.text(key); raw("\">")
                self.text(text.text); raw("</textarea><button class=\"btn small\" type=\"button\" data-copy=\"text-"); self.text(text.id); raw("-"); self.text(key)
                raw("\" data-done=\""); say(.copied); raw("\""); shareAttributes(product.productId, text.item); raw(">"); say(.copy); raw("</button></div>")
            }
            raw("</div>\n")
        }
    }

    /// "12 clicks · 3 orders" under an item that has any.
    mutating func clicks(_ effect: Effect) {
        guard effect.clicks > 0 || effect.paidOrders > 0 else { return }
        raw("<br><span class=\"muted\">"); say(.clicks); raw(" "); text(effect.clicks); raw(" · "); say(.orders); raw(" "); text(effect.paidOrders); raw("</span>")
    }
}
