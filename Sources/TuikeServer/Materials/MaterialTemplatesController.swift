import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// Poster templates and copy templates: what the merchant edits for promoters to share.
struct MaterialTemplatesController {
    let materials: MaterialRepository
    let media: MediaRepository
    let products: ProductRepository
    let badges: BadgeRepository
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        let poster = Schemas.ref("PosterTemplate"), copy = Schemas.ref("CopyTemplate")
        api.add(.get, "/api/v1/poster-templates", summary: "List poster templates", tag: "Materials", access: .admin,
                responses: [(200, "Every template, oldest first.", Schemas.object([("data", Schemas.array(poster))]))]) { _, _ in
            try JSONOutput.response(["data": try await materials.posterTemplates(activeOnly: false).map(PosterTemplateView.init)])
        }
        api.add(.post, "/api/v1/poster-templates", summary: "Add a poster template", tag: "Materials", access: .admin,
                request: PosterTemplateView.writeSchema(required: ["id", "name", "layout"]), responses: [(201, "The template.", poster)], handler: createPoster)
        api.add(.patch, "/api/v1/poster-templates/{id}", summary: "Change a poster template", tag: "Materials", access: .admin,
                request: PosterTemplateView.writeSchema(required: []), responses: [(200, "The template as stored.", poster)], handler: patchPoster)
        api.add(.get, "/api/v1/copy-templates", summary: "List copy templates", tag: "Materials", access: .admin,
                responses: [(200, "The texts, oldest first.", Schemas.object([("data", Schemas.array(copy))]))],
                parameters: [Schemas.query("product_id", Schemas.string, "A product's texts and the ones for every product.")]) { request, _ in
            let texts = try await materials.copyTemplates(productID: request.uri.queryParameters["product_id"].map(String.init), activeOnly: false)
            return try JSONOutput.response(["data": texts.map(CopyTemplateView.init)])
        }
        api.add(.post, "/api/v1/copy-templates", summary: "Add a copy template", tag: "Materials", access: .admin,
                request: CopyTemplateView.writeSchema(required: ["text"]), responses: [(201, "The text.", copy)], handler: createCopy)
        api.add(.patch, "/api/v1/copy-templates/{id}", summary: "Change a copy template", tag: "Materials", access: .admin,
                request: CopyTemplateView.writeSchema(required: []), responses: [(200, "The text as stored.", copy)], handler: patchCopy)
    }

    // MARK: Poster templates

    struct PosterRequest: RequestBody {
        var id: String?
        var name: String?
        var layout: String?
        var brandColour: String?
        var backgroundColour: String?
        var backgroundMediaId: String??
        var copyLine: String?
        var status: String?
        var badgeId: String??
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable {
            case id, name, layout, brandColour = "brand_colour", backgroundColour = "background_colour", backgroundMediaId = "background_media_id",
                 copyLine = "copy_line", status, badgeId = "badge_id"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decodeIfPresent(String.self, forKey: .id)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            layout = try container.decodeIfPresent(String.self, forKey: .layout)
            brandColour = try container.decodeIfPresent(String.self, forKey: .brandColour)
            backgroundColour = try container.decodeIfPresent(String.self, forKey: .backgroundColour)
            if container.contains(.backgroundMediaId) {
                backgroundMediaId = .some(try container.decodeNil(forKey: .backgroundMediaId) ? nil : try container.decode(String.self, forKey: .backgroundMediaId))
            }
            copyLine = try container.decodeIfPresent(String.self, forKey: .copyLine)
            status = try container.decodeIfPresent(String.self, forKey: .status)
            if container.contains(.badgeId) {
                badgeId = .some(try container.decodeNil(forKey: .badgeId) ? nil : try container.decode(String.self, forKey: .badgeId))
            }
        }

        func applied(to template: PosterTemplate, at now: Instant) throws(TuikeError) -> PosterTemplate {
            var result = template
            if let name { result.name = name.trimmingCharacters(in: .whitespacesAndNewlines) }
            if let layout = try ProductsController.parse(layout, as: PosterTemplate.Layout.self, field: "layout") { result.layout = layout }
            if let brandColour { result.brandColour = brandColour.lowercased() }
            if let backgroundColour { result.backgroundColour = backgroundColour.lowercased() }
            if let backgroundMediaId { result.backgroundMediaID = backgroundMediaId }
            if let copyLine { result.copyLine = copyLine }
            if let status = try ProductsController.parse(status, as: PosterTemplate.Status.self, field: "status") { result.status = status }
            if let badgeId { result.badgeID = badgeId }
            result.updatedAt = now
            try result.validate()
            return result
        }
    }

    @Sendable func createPoster(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(PosterRequest.self, from: request, context: context)
        guard let id = body.id, body.name != nil, body.layout != nil else { throw TuikeError.validation("id, name and layout are required") }
        let now = clock.now()
        let blank = PosterTemplate(id: id, name: "", layout: .portrait, brandColour: "#e8523f", backgroundColour: "#ffffff", copyLine: "扫码了解详情",
                                   createdAt: now, updatedAt: now)
        let template = try body.applied(to: blank, at: now)
        try await checkMedia(template.backgroundMediaID)
        try await checkBadge(template.badgeID)
        try await materials.createPosterTemplate(template)
        return try JSONOutput.response(PosterTemplateView(template), status: .created)
    }

    @Sendable func patchPoster(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(PosterRequest.self, from: request, context: context)
        if body.id != nil, body.id != id { throw TuikeError.validation("id cannot be changed") }
        guard let existing = try await materials.posterTemplate(id) else { throw TuikeError.notFound("poster template", id) }
        let template = try body.applied(to: existing, at: clock.now())
        try await checkMedia(template.backgroundMediaID)
        try await checkBadge(template.badgeID)
        try await materials.updatePosterTemplate(template)
        return try JSONOutput.response(PosterTemplateView(template))
    }

    func checkBadge(_ id: String?) async throws {
        guard let id else { return }
        if try await badges.rule(id) == nil { throw TuikeError.validation("badge_id \(id) does not exist; create it with POST /api/v1/badges") }
    }

    func checkMedia(_ id: String?) async throws {
        guard let id else { return }
        if try await media.existing([id]).isEmpty { throw TuikeError.validation("media \(id) does not exist; upload it with POST /api/v1/media") }
    }

    // MARK: Copy templates

    struct CopyRequest: RequestBody {
        var text: String?
        var productId: String??
        var status: String?
        var badgeId: String??
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case text, productId = "product_id", status, badgeId = "badge_id" }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            text = try container.decodeIfPresent(String.self, forKey: .text)
            if container.contains(.productId) {
                productId = .some(try container.decodeNil(forKey: .productId) ? nil : try container.decode(String.self, forKey: .productId))
            }
            status = try container.decodeIfPresent(String.self, forKey: .status)
            if container.contains(.badgeId) {
                badgeId = .some(try container.decodeNil(forKey: .badgeId) ? nil : try container.decode(String.self, forKey: .badgeId))
            }
        }
    }

    @Sendable func createCopy(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CopyRequest.self, from: request, context: context)
        guard let text = body.text else { throw TuikeError.validation("text is required") }
        try CopyTemplate.validate(text)
        let productID = body.productId ?? nil
        try await checkProduct(productID)
        let badgeID = body.badgeId ?? nil
        try await checkBadge(badgeID)
        let now = clock.now()
        let copy = CopyTemplate(id: Identifier.make("cpy", at: now), productID: productID, text: text,
                                status: try ProductsController.parse(body.status, as: CopyTemplate.Status.self, field: "status") ?? .active,
                                badgeID: badgeID, createdAt: now, updatedAt: now)
        try await materials.createCopyTemplate(copy)
        return try JSONOutput.response(CopyTemplateView(copy), status: .created)
    }

    @Sendable func patchCopy(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(CopyRequest.self, from: request, context: context)
        guard var copy = try await materials.copyTemplate(id) else { throw TuikeError.notFound("copy template", id) }
        if let text = body.text {
            try CopyTemplate.validate(text)
            copy.text = text
        }
        if let productID = body.productId {
            try await checkProduct(productID)
            copy.productID = productID
        }
        if let status = try ProductsController.parse(body.status, as: CopyTemplate.Status.self, field: "status") { copy.status = status }
        if let badgeID = body.badgeId {
            try await checkBadge(badgeID)
            copy.badgeID = badgeID
        }
        copy.updatedAt = clock.now()
        try await materials.updateCopyTemplate(copy)
        return try JSONOutput.response(CopyTemplateView(copy))
    }

    func checkProduct(_ id: String?) async throws {
        guard let id else { return }
        guard try await products.find(id) != nil else { throw TuikeError.validation("product_id \(id) does not exist") }
    }
}

struct PosterTemplateView: Encodable, Sendable {
    let id: String
    let name: String
    let layout: String
    let brandColour: String
    let backgroundColour: String
    @ExplicitNull var backgroundMediaId: String?
    let copyLine: String
    let status: String
    @ExplicitNull var badgeId: String?
    let width: Int
    let height: Int
    let updatedAt: Instant

    init(_ template: PosterTemplate) {
        id = template.id
        name = template.name
        layout = template.layout.rawValue
        brandColour = template.brandColour
        backgroundColour = template.backgroundColour
        backgroundMediaId = template.backgroundMediaID
        copyLine = template.copyLine
        status = template.status.rawValue
        badgeId = template.badgeID
        (width, height) = template.layout.size
        updatedAt = template.updatedAt
    }

    static let schema = Schemas.object([
        ("id", Schemas.string), ("name", Schemas.string), ("layout", Schemas.enumeration(PosterTemplate.Layout.allCases.map(\.rawValue))),
        ("brand_colour", Schemas.string), ("background_colour", Schemas.string), ("background_media_id", Schemas.nullable(Schemas.string)),
        ("copy_line", Schemas.string), ("status", Schemas.enumeration(PosterTemplate.Status.allCases.map(\.rawValue))),
        ("width", Schemas.integer), ("height", Schemas.integer), ("updated_at", Schemas.time), ("badge_id", badge),
    ], required: ["id", "name", "layout", "brand_colour", "background_colour", "background_media_id", "copy_line", "status", "width", "height", "updated_at",
                  "badge_id"])

    /// A badge rule's id: only promoters holding that badge see and use the material; null for everyone.
    static let badge = Schemas.nullable(Schemas.string)

    static func writeSchema(required: [String]) -> JSONValue {
        let colour: JSONValue = ["type": "string", "pattern": "^#[0-9a-fA-F]{6}$"]
        var schema = Schemas.object([
            ("id", ["type": "string", "pattern": "^[a-z0-9_]{1,32}$"]), ("name", Schemas.name(maxLength: PosterTemplate.maxNameLength)),
            ("layout", Schemas.enumeration(PosterTemplate.Layout.allCases.map(\.rawValue))), ("brand_colour", colour), ("background_colour", colour),
            ("background_media_id", Schemas.nullable(Schemas.string)), ("copy_line", Schemas.text(0...PosterTemplate.maxCopyLineLength)),
            ("status", Schemas.enumeration(PosterTemplate.Status.allCases.map(\.rawValue))), ("badge_id", badge),
        ], required: required)
        if required.isEmpty { schema.set("minProperties", 1) }
        return schema
    }
}

struct CopyTemplateView: Encodable, Sendable {
    let id: String
    @ExplicitNull var productId: String?
    let text: String
    let status: String
    @ExplicitNull var badgeId: String?
    let createdAt: Instant
    let updatedAt: Instant

    init(_ copy: CopyTemplate) {
        id = copy.id
        productId = copy.productID
        text = copy.text
        status = copy.status.rawValue
        badgeId = copy.badgeID
        createdAt = copy.createdAt
        updatedAt = copy.updatedAt
    }

    static let schema = Schemas.object([
        ("id", Schemas.string), ("product_id", Schemas.nullable(Schemas.string)), ("text", Schemas.string),
        ("status", Schemas.enumeration(CopyTemplate.Status.allCases.map(\.rawValue))), ("created_at", Schemas.time), ("updated_at", Schemas.time),
        ("badge_id", PosterTemplateView.badge),
    ], required: ["id", "product_id", "text", "status", "created_at", "updated_at", "badge_id"])

    static func writeSchema(required: [String]) -> JSONValue {
        var schema = Schemas.object([
            ("text", Schemas.text(1...CopyTemplate.maxLength, "Placeholders: {title} {price} {group_price} {link} {promoter} {deadline}; {{ and }} for braces.")),
            ("product_id", Schemas.nullable(Schemas.string)), ("status", Schemas.enumeration(CopyTemplate.Status.allCases.map(\.rawValue))),
            ("badge_id", PosterTemplateView.badge),
        ], required: required)
        if required.isEmpty { schema.set("minProperties", 1) }
        return schema
    }
}
