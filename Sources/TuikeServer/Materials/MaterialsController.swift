import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TuikeCore
import TuikeStore

/// QR codes and posters of links (public: they are what gets shared), and the material center a
/// promoter shares from.
struct MaterialsController {
    let tracking: TrackingController
    let posters: PosterService
    let center: MaterialCenter
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        let size = Schemas.query("size", Schemas.integer(in: Int64(QRCode.minSize)...Int64(QRCode.maxSize), "Pixels per side; default 256."),
                                 "Pixels per side, 128–1024 (default 256). Whole pixels per module; the rest widens the quiet zone.")
        let logo = Schemas.query("logo", Schemas.enumeration(["0", "1"]), "1: the school's mark in the middle, with error correction H.")
        api.add(.get, "/api/v1/links/{code}/qr.png", summary: "The QR code of a link, as PNG", tag: "Materials", access: .publicAccess,
                responses: [(200, "A PNG; a scan counts as a QR click (`?s=qr`).", nil), (304, "Not modified.", nil)], parameters: [size, logo]) { request, context in
            let link = try await activeLink(context)
            let image = try await posters.qrPNG(link, size: try Self.size(request), logo: try Self.logo(request))
            return MediaController.immutable(image.bytes, type: "image/png", etag: image.etag, request: request, maxAge: 86_400)
        }
        api.add(.get, "/api/v1/links/{code}/qr.svg", summary: "The QR code of a link, as SVG", tag: "Materials", access: .publicAccess,
                responses: [(200, "An SVG; a scan counts as a QR click (`?s=qr`).", nil), (304, "Not modified.", nil)], parameters: [size, logo]) { request, context in
            let link = try await activeLink(context)
            let image = try posters.qrSVG(link, size: try Self.size(request), logo: try Self.logo(request))
            return MediaController.immutable(image.bytes, type: "image/svg+xml", etag: image.etag, request: request, maxAge: 86_400)
        }
        api.add(.get, "/api/v1/links/{code}/poster.png", summary: "A poster of a product link, drawn from live data", tag: "Materials",
                access: .publicAccess,
                responses: [(200, "A PNG; its ETag is the hash of everything it shows, so it changes with the price, the group or the template.", nil),
                            (304, "Not modified.", nil)],
                parameters: [
                    Schemas.query("template", Schemas.string, "A poster template id (default `portrait`; `square` for chats)."),
                    Schemas.query("group", Schemas.string, "A forming group to show (default: the one soonest to expire)."),
                ]) { request, context in
            let link = try await activeLink(context)
            let template = request.uri.queryParameters["template"].map(String.init) ?? "portrait"
            guard let (content, facts) = try await posters.content(link, templateID: template,
                                                                    groupID: request.uri.queryParameters["group"].map(String.init)) else {
                throw TuikeError.notFound("poster", "\(link.code) with template \(template)")
            }
            // Conditional requests are answered before drawing: the hash is known from the data.
            let etag = "\"\(content.hash)\""
            if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag }) {
                return Response(status: .notModified, headers: [.eTag: etag, .cacheControl: "public, no-cache"])
            }
            let image = try await posters.poster(content, facts: facts)
            return Response(status: .ok, headers: [.contentType: "image/png", .eTag: image.etag, .cacheControl: "public, no-cache",
                                                   .xContentTypeOptions: "nosniff"], body: .init(byteBuffer: image.bytes))
        }
        api.add(.get, "/api/v1/promoters/{id}/materials", summary: "The material center: per product, what to share", tag: "Materials",
                access: .promoterSelf, responses: [(200, "Products with their link, QR code, posters, texts and images, best first.", Schemas.ref("Materials"))]) { _, context in
            let id = try context.parameters.require("id")
            return try JSONOutput.response(try await center.materials(promoterID: id))
        }
        api.add(.post, "/api/v1/promoters/{id}/materials/shares", summary: "Count a share of a material", tag: "Materials", access: .promoterSelf,
                request: Schemas.object([("product_id", Schemas.string), ("item", Schemas.string)], required: ["product_id", "item"]),
                responses: [(200, "Counted.", Schemas.object([("shares", Schemas.integer)]))]) { request, context in
            let id = try context.parameters.require("id")
            let body = try await JSONBody.decode(ShareRequest.self, from: request, context: context)
            return try JSONOutput.response(["shares": try await center.recordShare(promoterID: id, productID: body.productId, item: body.item)])
        }
    }

    struct ShareRequest: RequestBody {
        let productId: String
        let item: String
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case productId = "product_id", item }
    }

    /// An active link, through the click path's cache; unknown and disabled links are 404.
    func activeLink(_ context: TuikeRequestContext) async throws -> Link {
        let code = try context.parameters.require("code")
        guard let link = try await tracking.activeLink(code) else { throw TuikeError.notFound("link", code) }
        return link
    }

    static func size(_ request: Request) throws(TuikeError) -> Int {
        guard let text = request.uri.queryParameters["size"] else { return 256 }
        guard let size = Int(String(text)), (QRCode.minSize...QRCode.maxSize).contains(size) else {
            throw .validation("size must be a whole number of pixels from \(QRCode.minSize) to \(QRCode.maxSize)")
        }
        return size
    }

    static func logo(_ request: Request) throws(TuikeError) -> Bool {
        switch request.uri.queryParameters["logo"] {
        case nil, "0": false
        case "1": true
        default: throw .validation("logo must be 0 or 1")
        }
    }
}
