import Foundation
import TuikeCore

/// Promotion materials: images (uploaded by the page's script, `ConsoleMediaUpload`), a product's
/// cover, gallery and video, poster templates and copy templates.
extension ConsolePages {
    static let materialPages: [ConsolePage] = [
        ConsolePage(path: "/admin/materials", title: .navMaterials, inNavigation: true, summary: "promotion materials",
                    roles: ConsoleRole.operations, build: materials),
    ]

    static let materialActions: [ConsoleAction] = [
        ConsoleAction(path: "/admin/materials/product", summary: "set a product's cover, gallery and video", roles: ConsoleRole.operations,
                      back: "/admin/materials") { fields, _ in
            // Only what was filled in changes: an empty field leaves the product's value alone ("-" clears it).
            let product = try fields.required("product_id")
            var body: [String: Any] = [:]
            for name in ["cover_media_id", "video_url"] {
                if let value = fields.text(name) { body[name] = value == "-" ? NSNull() : value }
            }
            if let gallery = fields.text("gallery") {
                body["gallery"] = gallery == "-" ? [] : gallery.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
            }
            guard !body.isEmpty else { throw TuikeError.validation("fill in a cover, a gallery or a video (\"-\" clears one)") }
            return .init(method: .patch, path: "/api/v1/products/\(ConsoleCall.encode(product))", body: body)
        },
        ConsoleAction(path: "/admin/materials/posters", summary: "add a poster template", roles: ConsoleRole.operations, back: "/admin/materials") { fields, _ in
            post("/api/v1/poster-templates", try posterBody(fields, includeID: true))
        },
        ConsoleAction(path: "/admin/materials/posters/{id}", summary: "change a poster template", roles: ConsoleRole.operations,
                      back: "/admin/materials") { fields, call in
            .init(method: .patch, path: "/api/v1/poster-templates/\(ConsoleCall.encode(try call.parameter("id")))", body: try posterBody(fields, includeID: false))
        },
        ConsoleAction(path: "/admin/materials/texts", summary: "add a copy template", roles: ConsoleRole.operations, back: "/admin/materials") { fields, _ in
            post("/api/v1/copy-templates", ["text": try fields.required("text"), "product_id": fields.text("product_id") ?? NSNull()])
        },
        ConsoleAction(path: "/admin/materials/texts/{id}/status", summary: "archive or restore a copy template", roles: ConsoleRole.operations,
                      back: "/admin/materials") { fields, call in
            .init(method: .patch, path: "/api/v1/copy-templates/\(ConsoleCall.encode(try call.parameter("id")))", body: ["status": try fields.required("status")])
        },
    ]

    static func posterBody(_ fields: ConsoleFields, includeID: Bool) throws -> [String: Any] {
        // A form without the background field (a row's quick edit) leaves the background alone.
        var body: [String: Any] = [:]
        if fields.values["background_media_id"] != nil { body["background_media_id"] = fields.text("background_media_id") ?? NSNull() }
        for name in ["name", "layout", "brand_colour", "background_colour", "copy_line", "status"] {
            if let value = fields.text(name) { body[name] = value }
        }
        if includeID { body["id"] = try fields.required("id") }
        return body
    }

    struct MediaRow: Decodable { let id: String; let url: String; let width: Int64; let height: Int64; let mimeType: String; let createdAt: String }
    struct PosterRow: Decodable {
        let id: String; let name: String; let layout: String; let brandColour: String; let backgroundColour: String
        let backgroundMediaId: String?; let copyLine: String; let status: String
    }
    struct CopyRow: Decodable { let id: String; let productId: String?; let text: String; let status: String }
    struct ProductChoice: Decodable { let id: String; let title: String; let coverMediaId: String?; let videoUrl: String?; let gallery: [GalleryItem] }
    struct GalleryItem: Decodable { let id: String }

    static func materials(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        let images = try await call.get("/api/v1/media?" + cursorQuery(call), as: Listing<MediaRow>.self)
        let posters = try await call.get("/api/v1/poster-templates", as: Listing<PosterRow>.self).data
        let texts = try await call.get("/api/v1/copy-templates", as: Listing<CopyRow>.self).data
        let products = try await call.get("/api/v1/products?limit=100&status=active", as: Listing<ProductChoice>.self).data
        let titles = Dictionary(products.map { ($0.id, $0.title) }, uniquingKeysWith: { first, _ in first })
        let productChoices = products.map { (value: $0.id, text: $0.title) }
        let imageRows = images.data.map { image in
            V.row(image.id, [V.cell(image.id, link: "/media/\(image.id)"), "\(image.width) × \(image.height)", image.mimeType, V.time(image.createdAt)])
        }
        let productRows = products.map { product in
            V.row(product.id, [V.cell(product.title, link: "/p/\(product.id)"), V.text(product.coverMediaId), product.gallery.map(\.id).joined(separator: ", "),
                               V.text(product.videoUrl)])
        }
        let posterRows = posters.map { poster in
            V.row(poster.id, [poster.id, poster.name, poster.layout, "\(poster.brandColour) / \(poster.backgroundColour)", poster.copyLine,
                              t.label("state", poster.status)],
                  actions: [V.action(t[.save], "/admin/materials/posters/\(poster.id)", inputs: [
                      V.input("brand_colour", value: poster.brandColour), V.input("copy_line", value: poster.copyLine),
                  ])])
        }
        let textRows = texts.map { copy in
            let active = copy.status == "active"
            return V.row(copy.id, [copy.productId.flatMap { titles[$0] } ?? t[.allProducts], copy.text, t.label("state", copy.status)],
                         actions: [V.action(active ? t[.archive] : t[.activate], "/admin/materials/texts/\(copy.id)/status",
                                            inputs: [V.input("status", value: active ? "archived" : "active", hidden: true)], secondary: active)])
        }
        return [
            V.section("upload", t[.uploadImage], note: t[.uploadNote], form: V.form("/admin/media", submit: t[.upload], fields: [
                V.field(t[.imageFile], "upload", type: "file", required: true),
            ])),
            V.section("images", t[.images], table: V.table(["ID", t[.size], t[.kind], t[.created]], imageRows),
                      links: nextLink(call, cursor: images.nextCursor, path: "/admin/materials")),
            V.section("product-media", t[.productMedia], note: t[.productMediaNote], form: V.form("/admin/materials/product", submit: t[.save], fields: [
                V.field(t[.productTitle], "product_id", value: products.first?.id ?? "", choices: productChoices),
                V.field(t[.coverMediaID], "cover_media_id", hint: "med_…"),
                V.field(t[.galleryIDs], "gallery", hint: "med_…, med_…"),
                V.field(t[.videoURL], "video_url", hint: "https://…"),
            ]), table: V.table([t[.productTitle], t[.coverMediaID], t[.galleryIDs], t[.videoURL]], productRows)),
            V.section("posters", t[.posterTemplates], note: t[.posterNote], form: V.form("/admin/materials/posters", submit: t[.create], fields: [
                V.field("ID", "id", hint: "moments_red", required: true), V.field(t[.templateName], "name", required: true),
                V.field(t[.layout], "layout", value: "portrait", choices: PosterTemplate.Layout.allCases.map { ($0.rawValue, $0.rawValue) }),
                V.field(t[.brandColour], "brand_colour", value: "#e8523f"), V.field(t[.backgroundColour], "background_colour", value: "#ffffff"),
                V.field(t[.backgroundMediaID], "background_media_id", hint: t[.optional]), V.field(t[.copyLine], "copy_line", value: "扫码了解详情"),
            ]), table: V.table(["ID", t[.templateName], t[.layout], t[.brandColour], t[.copyLine], t[.status]], posterRows)),
            V.section("texts", t[.copyTemplates], note: t[.copyNote], form: V.form("/admin/materials/texts", submit: t[.create], fields: [
                V.field(t[.productTitle], "product_id", value: "", choices: [(value: "", text: t[.allProducts])] + productChoices),
                V.field(t[.copyText], "text", hint: "{title} {price} {link}", required: true),
            ]), table: V.table([t[.productTitle], t[.copyText], t[.status]], textRows)),
        ]
    }
}
