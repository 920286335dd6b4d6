import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// Catalog: products of kind course / physical / service.
///
/// Reading is public (the storefront and integrators list what is on sale) but shows archived
/// products to admins only; a public read of an archived product is 404 as if it did not exist.
struct ProductsController {
    let products: ProductRepository
    let skus: SkuRepository
    let program: ProgramRepository
    let materials: MaterialRepository
    let media: MediaRepository
    let publicURL: String
    let clock: any TuikeClock

    func view(_ product: Product, admin: Bool = true) async throws -> ProductView {
        ProductView(product, media: try await materials.productMedia(product.id), skus: try await skus.list(productID: product.id), publicURL: publicURL,
                    admin: admin)
    }

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/api/v1/products", summary: "Create a product", tag: "Catalog", access: .admin,
                request: Self.createSchema, responses: [(201, "The product.", Schemas.ref("Product"))], handler: create)
        api.add(.get, "/api/v1/products", summary: "List products, newest first", tag: "Catalog", access: .publicAccess,
                responses: [(200, "A page of products.", Schemas.ref("ProductPage"))],
                parameters: Schemas.pagination + [Schemas.query("status", Schemas.enumeration(["active", "archived"]), "Admins only: filter by status (default: all for admins, active for others).")],
                handler: list)
        api.add(.get, "/api/v1/products/{id}", summary: "Get a product", tag: "Catalog", access: .publicAccess,
                responses: [(200, "The product.", Schemas.ref("Product"))], handler: get)
        api.add(.patch, "/api/v1/products/{id}", summary: "Change a product", tag: "Catalog", access: .admin,
                request: Self.patchSchema, responses: [(200, "The product as stored.", Schemas.ref("Product"))], handler: patch)
    }

    struct CreateRequest: RequestBody {
        let title: String
        let price: Int64
        let kind: String?
        let description: String?
        let stock: Int64?
        let status: String?
        let skus: [SkuInput]?
        enum CodingKeys: String, CodingKey, CaseIterable { case title, price, kind, description, stock, status, skus }
        typealias Keys = CodingKeys
    }

    @Sendable func create(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateRequest.self, from: request, context: context)
        try Product.validate(title: body.title)
        try Product.validate(price: body.price)
        try Product.validate(stock: body.stock)
        try Product.validate(description: body.description ?? "")
        let now = clock.now()
        let product = Product(
            id: Identifier.make("prod", at: now),
            title: body.title.trimmingCharacters(in: .whitespacesAndNewlines),
            description: body.description ?? "",
            kind: try Self.parse(body.kind, as: Product.Kind.self, field: "kind") ?? .course,
            price: body.price,
            stock: body.stock,
            status: try Self.parse(body.status, as: Product.Status.self, field: "status") ?? .active,
            createdAt: now, updatedAt: now)
        guard let inputs = body.skus, !inputs.isEmpty else {
            try await products.create(product)
            return try JSONOutput.response(ProductView(product, publicURL: publicURL), status: .created)
        }
        guard product.kind == .physical else { throw TuikeError.validation("skus are for products of kind physical") }
        guard body.stock == nil else { throw TuikeError.validation("a product with skus keeps its stock per sku; leave stock out") }
        let variants = try inputs.enumerated().map { index, input in try input.sku(productID: product.id, position: Int64(index), at: now) }
        try Sku.validate(variants)
        let maxTotalBps = try await program.current().maxTotalBps
        for variant in variants { try variant.rule?.validate(maxTotalBps: maxTotalBps) }
        try await skus.create(product, skus: variants, at: now)
        return try JSONOutput.response(ProductView(product, skus: variants, publicURL: publicURL), status: .created)
    }

    @Sendable func list(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let page = try PageRequest(request)
        let requested = try Self.parse(request.uri.queryParameters["status"].map(String.init), as: Product.Status.self, field: "status")
        if requested == .archived, !context.isAdmin { try context.requireAdmin() }
        let status = context.isAdmin ? requested : .active
        let fetched = try await products.list(status: status, limit: page.limit + 1, before: page.cursor)
        let media = try await materials.productMedia(fetched.map(\.id))
        let variants = try await skus.list(productIDs: fetched.filter { $0.kind == .physical }.map(\.id))
        return try JSONOutput.response(Page(fetched: fetched.map { ProductView($0, media: media[$0.id], skus: variants[$0.id] ?? [], publicURL: publicURL, admin: context.isAdmin) },
                                            limit: page.limit, id: \.id))
    }

    @Sendable func get(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let product = try await products.find(id), product.status == .active || context.isAdmin else {
            throw TuikeError.notFound("product", id)
        }
        return try JSONOutput.response(try await view(product, admin: context.isAdmin))
    }

    /// `stock: null` makes stock unlimited again, which is why absent and null differ here.
    struct PatchRequest: RequestBody {
        var changes = ProductChanges()
        var media = MediaChanges()

        enum Keys: String, CodingKey, CaseIterable {
            case title, price, kind, description, stock, status
            case coverMediaId = "cover_media_id", gallery, videoUrl = "video_url", videoCoverMediaId = "video_cover_media_id", detail
        }

        /// The product's media fields; nullable ones are doubly optional (absent / null / a value).
        struct MediaChanges {
            var coverMediaID: String??
            var gallery: [String]?
            var videoURL: String??
            var videoCoverMediaID: String??
            var detail: String?

            var isEmpty: Bool { coverMediaID == nil && gallery == nil && videoURL == nil && videoCoverMediaID == nil && detail == nil }

            func applied(to media: ProductMedia) -> ProductMedia {
                var result = media
                if let coverMediaID { result.coverMediaID = coverMediaID }
                if let gallery { result.gallery = gallery }
                if let videoURL { result.videoURL = videoURL }
                if let videoCoverMediaID { result.videoCoverMediaID = videoCoverMediaID }
                if let detail { result.detail = detail }
                return result
            }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            changes.title = try container.decodeIfPresent(String.self, forKey: .title)
            changes.description = try container.decodeIfPresent(String.self, forKey: .description)
            changes.price = try container.decodeIfPresent(Int64.self, forKey: .price)
            if container.contains(.stock) {
                changes.stock = .some(try container.decodeNil(forKey: .stock) ? nil : try container.decode(Int64.self, forKey: .stock))
            }
            changes.kind = try ProductsController.parse(try container.decodeIfPresent(String.self, forKey: .kind), as: Product.Kind.self, field: "kind")
            changes.status = try ProductsController.parse(try container.decodeIfPresent(String.self, forKey: .status), as: Product.Status.self, field: "status")
            media.coverMediaID = try container.decodeNullable(.coverMediaId)
            media.gallery = try container.decodeIfPresent([String].self, forKey: .gallery)
            media.videoURL = try container.decodeNullable(.videoUrl)
            media.videoCoverMediaID = try container.decodeNullable(.videoCoverMediaId)
            media.detail = try container.decodeIfPresent(String.self, forKey: .detail)
        }
    }

    @Sendable func patch(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(PatchRequest.self, from: request, context: context)
        guard !body.changes.isEmpty || !body.media.isEmpty else {
            throw TuikeError.validation("send at least one of: \(PatchRequest.fieldNames.sorted().joined(separator: ", "))")
        }
        try body.changes.validate()
        // A product with variants stays physical and keeps its stock per variant.
        if body.changes.kind.map({ $0 != .physical }) == true || body.changes.stock != nil, try await !skus.list(productID: id).isEmpty {
            throw TuikeError.validation("this product has variants: it stays physical, and its stock is set per variant")
        }
        // Media first: checked in full (ids exist, detail sanitised) before anything is written.
        var media: ProductMedia?
        if !body.media.isEmpty {
            guard try await products.find(id) != nil else { throw TuikeError.notFound("product", id) }
            var changed = body.media.applied(to: try await materials.productMedia(id) ?? ProductMedia())
            if body.media.detail != nil { changed.detail = try RichText.sanitize(changed.detail) }
            try changed.validate()
            let missing = Set(changed.mediaIDs).subtracting(try await self.media.existing(changed.mediaIDs))
            if let first = missing.sorted().first { throw TuikeError.validation("media \(first) does not exist; upload it with POST /api/v1/media") }
            media = changed
        }
        let now = clock.now()
        let product: Product?
        if body.changes.isEmpty {
            product = try await products.find(id)
        } else {
            product = try await products.update(id, body.changes, at: now)
        }
        guard let product else { throw TuikeError.notFound("product", id) }
        if let media { try await materials.saveProductMedia(id, media, at: now) }
        return try JSONOutput.response(try await view(product))
    }

    static func parse<E: RawRepresentable & CaseIterable>(_ raw: String?, as type: E.Type, field: String) throws(TuikeError) -> E? where E.RawValue == String {
        guard let raw else { return nil }
        return try parse(required: raw, as: type, field: field)
    }

    static func parse<E: RawRepresentable & CaseIterable>(required raw: String, as type: E.Type, field: String) throws(TuikeError) -> E where E.RawValue == String {
        guard let value = E(rawValue: raw) else {
            throw .validation("\(field) must be one of: \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}

extension ProductsController {
    static let productSchema = Schemas.object([
        ("id", Schemas.string), ("title", Schemas.string), ("description", Schemas.string),
        ("kind", Schemas.enumeration(Product.Kind.allCases.map(\.rawValue))),
        ("price", Schemas.money("Price in minor units (fen).")), ("currency", Schemas.string),
        ("stock", Schemas.nullable(Schemas.integer)),
        ("status", Schemas.enumeration(Product.Status.allCases.map(\.rawValue))),
        ("created_at", Schemas.time), ("updated_at", Schemas.time),
        ("cover_media_id", Schemas.nullable(Schemas.string)), ("cover_url", Schemas.nullable(Schemas.string)),
        ("gallery", Schemas.array(Schemas.object([("id", Schemas.string), ("url", Schemas.string), ("thumb_url", Schemas.string)], required: ["id", "url", "thumb_url"]))),
        ("video_url", Schemas.nullable(Schemas.string)), ("video_cover_media_id", Schemas.nullable(Schemas.string)),
        ("detail", ["type": "string", "description": "Rich detail: HTML limited to p, br, strong, b, em, i, u, h2–h4, ul, ol, li, blockquote, img (src /media/… or https) and a (rel=nofollow)."]),
        ("skus", Schemas.array(SkusController.skuSchema, "The variants of a physical product; empty for others.")),
    ], required: ["id", "title", "description", "kind", "price", "currency", "stock", "status", "created_at", "updated_at",
                  "cover_media_id", "cover_url", "gallery", "video_url", "video_cover_media_id", "detail", "skus"])

    static let priceSchema = Schemas.integer(in: 0...Product.maxPrice, "Price in fen.")

    /// What a create sends (title and price required) and a patch may send.
    static let writableFields: [(String, JSONValue)] = [
        ("title", Schemas.name(maxLength: Product.maxTitleLength)), ("price", Self.priceSchema),
        ("kind", Schemas.enumeration(Product.Kind.allCases.map(\.rawValue))),
        ("description", Schemas.text(0...Product.maxDescriptionLength)),
        ("stock", Schemas.nullable(Schemas.integer(in: 0...Product.maxStock))),
        ("status", Schemas.enumeration(Product.Status.allCases.map(\.rawValue))),
    ]
    static let createSchema = Schemas.object(writableFields + [
        ("skus", Schemas.array(SkusController.inputSchema, maxItems: Sku.maxPerProduct, "Variants of a physical product, each with its own price and stock.")),
    ], required: ["title", "price"])
    static let mediaFields: [(String, JSONValue)] = [
        ("cover_media_id", Schemas.nullable(Schemas.string)),
        ("gallery", Schemas.array(Schemas.string, maxItems: ProductMedia.maxGallery, "Media ids, in order.")),
        ("video_url", Schemas.nullable(Schemas.webURL("The video on its platform (https)."))),
        ("video_cover_media_id", Schemas.nullable(Schemas.string)),
        ("detail", Schemas.text(0...RichText.maxLength, "HTML; sanitised to an allowlist on the way in.")),
    ]
    static let patchSchema: JSONValue = {
        var schema = Schemas.object(writableFields + mediaFields)
        schema.set("minProperties", 1)
        return schema
    }()
}
