import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// The variants (SKUs) of physical products: added one at a time after the product exists, and
/// changed by code (price, stock, attributes, an own commission rule).
struct SkusController {
    let products: ProductRepository
    let skus: SkuRepository
    let program: ProgramRepository
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        let sku = Self.skuSchema
        api.add(.post, "/api/v1/products/{id}/skus", summary: "Add a variant (SKU) to a physical product", tag: "Catalog", access: .admin,
                request: Self.inputSchema, responses: [(201, "The variant.", sku)], handler: add)
        api.add(.patch, "/api/v1/products/{id}/skus/{code}", summary: "Change a variant's price, stock, attributes or commission", tag: "Catalog",
                access: .admin, request: Self.patchSchema, responses: [(200, "The variant as stored.", sku)], handler: patch)
    }

    @Sendable func add(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let input = try await JSONBody.decode(SkuInput.self, from: request, context: context)
        guard let product = try await products.find(id) else { throw TuikeError.notFound("product", id) }
        guard product.kind == .physical else { throw TuikeError.validation("skus are for products of kind physical") }
        let sku = try input.sku(productID: id, position: 0, at: clock.now())
        try Sku.validate(try await skus.list(productID: id).filter { $0.code != sku.code } + [sku])
        try sku.rule?.validate(maxTotalBps: try await program.current().maxTotalBps)
        return try JSONOutput.response(ProductView.SkuView(try await skus.add(sku, at: clock.now())), status: .created)
    }

    struct PatchRequest: RequestBody {
        var changes = SkuRepository.Changes()
        enum Keys: String, CodingKey, CaseIterable { case price, stock, attributes, commission }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            changes.price = try container.decodeIfPresent(Int64.self, forKey: .price)
            changes.stock = try container.decodeIfPresent(Int64.self, forKey: .stock)
            changes.attributes = try container.decodeIfPresent([String: String].self, forKey: .attributes)
            if container.contains(.commission) {
                changes.rule = .some(try container.decodeNil(forKey: .commission) ? nil : try container.decode(CommissionRule.self, forKey: .commission))
            }
        }
    }

    @Sendable func patch(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id"), code = try context.parameters.require("code")
        let body = try await JSONBody.decode(PatchRequest.self, from: request, context: context)
        let changes = body.changes
        guard changes.price != nil || changes.stock != nil || changes.attributes != nil || changes.rule != nil else {
            throw TuikeError.validation("send at least one of: attributes, commission, price, stock")
        }
        if let price = changes.price { try Product.validate(price: price) }
        if let stock = changes.stock, !(0...Product.maxStock).contains(stock) { throw TuikeError.validation("stock must be between 0 and \(Product.maxStock)") }
        if let attributes = changes.attributes {
            let siblings = try await skus.list(productID: id)
            try Sku.validate(siblings.map { $0.code == code ? Sku(id: $0.id, productID: id, code: code, attributes: attributes, price: $0.price, stock: $0.stock) : $0 })
        }
        if let rule = changes.rule ?? nil { try rule.validate(maxTotalBps: try await program.current().maxTotalBps) }
        guard let sku = try await skus.update(productID: id, code: code, changes, at: clock.now()) else { throw TuikeError.notFound("sku of product \(id)", code) }
        return try JSONOutput.response(ProductView.SkuView(sku))
    }

    static let skuSchema = Schemas.object([
        ("code", Schemas.string), ("attributes", Self.attributesSchema), ("label", Schemas.string),
        ("price", Schemas.money("Price in fen.")), ("stock", Schemas.integer), ("commission", Schemas.nullable(Schemas.ref("CommissionRule"))),
    ], required: ["code", "attributes", "label", "price", "stock", "commission"])
    static let attributesSchema: JSONValue = [
        "type": "object", "maxProperties": .int(Int64(Sku.maxAttributes)), "additionalProperties": Schemas.text(1...Sku.maxAttributeLength),
        "description": "Spec names to values, e.g. {\"颜色\": \"白\", \"尺码\": \"L\"}.",
    ]
    static let inputSchema = Schemas.object([
        ("code", Schemas.text(1...Sku.maxCodeLength, "Letters, digits, - _ or .; unique within the product.")), ("attributes", attributesSchema),
        ("price", ProductsController.priceSchema), ("stock", Schemas.integer(in: 0...Product.maxStock)),
        ("commission", Schemas.ref("CommissionRule")),
    ], required: ["code", "price", "stock"])
    static let patchSchema: JSONValue = {
        var schema = Schemas.object([
            ("attributes", attributesSchema), ("price", ProductsController.priceSchema), ("stock", Schemas.integer(in: 0...Product.maxStock)),
            ("commission", Schemas.nullable(Schemas.ref("CommissionRule"))),
        ])
        schema.set("minProperties", 1)
        return schema
    }()
}

/// A variant as a create sends it.
struct SkuInput: RequestBody, Sendable {
    let code: String
    let attributes: [String: String]?
    let price: Int64
    let stock: Int64
    let commission: CommissionRule?
    typealias Keys = CodingKeys
    enum CodingKeys: String, CodingKey, CaseIterable { case code, attributes, price, stock, commission }

    func sku(productID: String, position: Int64, at now: Instant) throws(TuikeError) -> Sku {
        Sku(id: Identifier.make("sku", at: now), productID: productID, code: code, attributes: attributes ?? [:], price: price, stock: stock,
            rule: commission, position: position)
    }
}
