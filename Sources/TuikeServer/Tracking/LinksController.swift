import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// Tracked links. Admins manage any promoter's links; a promoter token only its own.
struct LinksController {
    let links: LinkRepository
    let cache: LinkCache
    let stats: TrafficStats
    let program: ProgramRepository
    let publicURL: String
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        let link = Schemas.ref("Link")
        api.add(.post, "/api/v1/links", summary: "Create a tracked link", tag: "Links", access: .adminOrPromoter,
                request: Schemas.object([("promoter_id", Schemas.string), ("product_id", Schemas.string),
                                         ("to", Schemas.webURL("An http(s) page on the merchant's site.")),
                                         ("video_id", ["type": "string", "description": "The video this link shares: its clicks and orders count for the video."] as JSONValue)],
                                        required: ["promoter_id"]),
                responses: [(201, "The link; share `url`.", link)], handler: create)
        api.add(.get, "/api/v1/links", summary: "List links, newest first", tag: "Links", access: .adminOrPromoter,
                responses: [(200, "A page of links.", Schemas.page(of: "Link"))],
                parameters: Schemas.pagination + [Schemas.query("promoter_id", Schemas.string, "Only this promoter's links (a promoter token sees only its own).")],
                handler: list)
        api.add(.get, "/api/v1/links/{code}", summary: "Get a link", tag: "Links", access: .adminOrPromoter,
                responses: [(200, "The link.", link)]) { _, context in
            try JSONOutput.response(LinkView(try await owned(context), publicURL: publicURL))
        }
        for (action, status) in [("disable", Link.Status.disabled), ("enable", .active)] {
            api.add(.post, "/api/v1/links/{code}/\(action)", summary: "\(action.capitalized) a link", tag: "Links", access: .adminOrPromoter,
                    responses: [(200, "The link.", link)]) { _, context in
                let existing = try await owned(context)
                guard let updated = try await links.setStatus(code: existing.code, status) else { throw TuikeError.notFound("link", existing.code) }
                cache.forget(code: existing.code)
                return try JSONOutput.response(LinkView(updated, publicURL: publicURL))
            }
        }
        api.add(.get, "/api/v1/links/{code}/stats", summary: "Clicks (PV), unique visitors (UV) and bot clicks by day", tag: "Links",
                access: .adminOrPromoter, responses: [(200, "Traffic.", Schemas.ref("Stats"))], parameters: TrafficStats.parameters) { request, context in
            try await stats.response(for: .link(try await owned(context).id), request: request)
        }
    }

    /// The link named in the path, if the caller may see it (404 for unknown, 403 for others').
    func owned(_ context: TuikeRequestContext) async throws -> Link {
        let code = try context.parameters.require("code")
        try context.requirePrincipal()
        guard let link = try await links.find(code: code) else { throw TuikeError.notFound("link", code) }
        try context.requireSelfOrAdmin(link.promoterID)
        return link
    }

    struct CreateRequest: RequestBody {
        let promoterId: String
        let productId: String?
        let to: String?
        let videoId: String?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case promoterId = "promoter_id", productId = "product_id", to, videoId = "video_id" }
    }

    @Sendable func create(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateRequest.self, from: request, context: context)
        try context.requireSelfOrAdmin(body.promoterId)
        if let to = body.to {
            let target = try WebTarget(to, field: "to")
            let settings = try await program.current()
            guard settings.allowsLinkHost(target.host, publicHost: WebTarget.host(of: publicURL)) else {
                throw TuikeError.validation("to must be on this site or a host in the program's link_hosts; \(target.host) is not")
            }
        }
        let link = try await links.create(promoterID: body.promoterId, productID: body.productId, targetURL: body.to, videoID: body.videoId, at: clock.now())
        return try JSONOutput.response(LinkView(link, publicURL: publicURL), status: .created)
    }

    @Sendable func list(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let page = try PageRequest(request)
        var promoterID = request.uri.queryParameters["promoter_id"].map(String.init)
        if let own = context.ownPromoterID {
            if let promoterID, promoterID != own { try context.requireSelfOrAdmin(promoterID) }
            promoterID = own
        }
        let fetched = try await links.list(promoterID: promoterID, limit: page.limit + 1, before: page.cursor)
        return try JSONOutput.response(Page(fetched: fetched.map { LinkView($0, publicURL: publicURL) }, limit: page.limit, id: \.id))
    }

}
