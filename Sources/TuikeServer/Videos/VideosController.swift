import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// Videos (视频号 content) with their products, the platform's daily numbers pushed by
/// integrators, and the content performance table: the platform's numbers beside Tuike's
/// clicks, orders, GMV and commission, per video and per promoter's share.
struct VideosController {
    let videos: VideoRepository
    let products: ProductRepository
    let media: MediaRepository
    let promoters: PromoterRepository
    let program: ProgramRepository
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        let video = Schemas.ref("Video")
        api.add(.post, "/api/v1/videos", summary: "Add a video that shows products", tag: "Videos", access: .admin,
                request: Self.createSchema, responses: [(201, "The video.", video)], handler: create)
        api.add(.get, "/api/v1/videos", summary: "List videos, newest first (promoters see active ones, to share)", tag: "Videos",
                access: .adminOrPromoter, responses: [(200, "A page of videos.", Schemas.page(of: "Video"))], parameters: Schemas.pagination, handler: list)
        api.add(.get, "/api/v1/videos/{id}", summary: "Get a video", tag: "Videos", access: .adminOrPromoter,
                responses: [(200, "The video.", video)], handler: get)
        api.add(.patch, "/api/v1/videos/{id}", summary: "Change a video", tag: "Videos", access: .admin,
                request: Self.patchSchema, responses: [(200, "The video as stored.", video)], handler: patch)
        api.add(.put, "/api/v1/videos/{id}/stats", summary: "The platform's numbers of one day (idempotent: the same day again replaces it)",
                tag: "Videos", access: .admin, request: Self.statsSchema, responses: [(200, "The day as stored.", Self.statsSchema)], handler: putStats)
        api.add(.get, "/api/v1/video-performance", summary: "Content performance per video: platform numbers beside clicks, orders, GMV, commission",
                tag: "Videos", access: .admin, responses: [(200, "Rows, highest GMV first.", Self.performanceSchema)],
                parameters: TrafficStats.parameters, handler: performance)
        api.add(.get, "/api/v1/videos/{id}/performance", summary: "One video's performance per promoter share", tag: "Videos", access: .admin,
                responses: [(200, "Rows per promoter, highest GMV first.", Self.performanceSchema)], parameters: TrafficStats.parameters,
                handler: videoPerformance)
        api.add(.get, "/api/v1/promoters/{id}/videos", summary: "A promoter's own shares of videos and what they brought", tag: "Videos",
                access: .promoterSelf, responses: [(200, "Rows per video, highest GMV first.", Self.performanceSchema)], parameters: TrafficStats.parameters,
                handler: promoterVideos)
    }

    struct CreateRequest: RequestBody {
        let title: String
        let url: String
        let coverMediaId: String?
        let productIds: [String]?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case title, url, coverMediaId = "cover_media_id", productIds = "product_ids" }
    }

    @Sendable func create(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateRequest.self, from: request, context: context)
        let now = clock.now()
        let video = Video(id: Identifier.make("vid", at: now), title: body.title.trimmingCharacters(in: .whitespacesAndNewlines), url: body.url,
                          coverMediaID: body.coverMediaId, productIDs: body.productIds ?? [], status: .active, createdAt: now)
        try await check(video)
        try await videos.create(video, at: now)
        return try JSONOutput.response(VideoView(video), status: .created)
    }

    /// The fields, and that the cover and products exist.
    func check(_ video: Video) async throws {
        try Video.validate(title: video.title, url: video.url, productIDs: video.productIDs)
        if let cover = video.coverMediaID, try await media.existing([cover]).isEmpty { throw TuikeError.validation("media \(cover) does not exist") }
        for id in video.productIDs where try await products.find(id) == nil { throw TuikeError.validation("product_ids: \(id) is not a product") }
    }

    @Sendable func list(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let page = try PageRequest(request)
        let fetched = try await videos.list(status: context.isAdmin ? nil : .active, limit: page.limit + 1, before: page.cursor)
        return try JSONOutput.response(Page(fetched: fetched.map(VideoView.init), limit: page.limit, id: \.id))
    }

    func find(_ id: String, context: TuikeRequestContext) async throws -> Video {
        guard let video = try await videos.find(id), video.status == .active || context.isAdmin else { throw TuikeError.notFound("video", id) }
        return video
    }

    @Sendable func get(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try JSONOutput.response(VideoView(try await find(try context.parameters.require("id"), context: context)))
    }

    struct PatchRequest: RequestBody {
        var title: String?
        var url: String?
        /// Absent: unchanged; null: no cover any more.
        var coverMediaId: String??
        var productIds: [String]?
        var status: String?
        enum Keys: String, CodingKey, CaseIterable { case title, url, coverMediaId = "cover_media_id", productIds = "product_ids", status }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            title = try container.decodeIfPresent(String.self, forKey: .title)
            url = try container.decodeIfPresent(String.self, forKey: .url)
            coverMediaId = try container.decodeNullable(.coverMediaId)
            productIds = try container.decodeIfPresent([String].self, forKey: .productIds)
            status = try container.decodeIfPresent(String.self, forKey: .status)
        }
    }

    @Sendable func patch(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(PatchRequest.self, from: request, context: context)
        var video = try await find(try context.parameters.require("id"), context: context)
        if let title = body.title { video.title = title.trimmingCharacters(in: .whitespacesAndNewlines) }
        if let url = body.url { video.url = url }
        if let cover = body.coverMediaId { video.coverMediaID = cover }
        if let productIDs = body.productIds { video.productIDs = productIDs }
        if let status = try ProductsController.parse(body.status, as: Video.Status.self, field: "status") { video.status = status }
        try await check(video)
        try await videos.update(video, at: clock.now())
        return try JSONOutput.response(VideoView(video))
    }

    struct StatsRequest: RequestBody, Encodable {
        let day: String
        let promoterId: String?
        let plays: Int64
        let likes: Int64
        let comments: Int64
        let shares: Int64
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case day, promoterId = "promoter_id", plays, likes, comments, shares }
    }

    @Sendable func putStats(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(StatsRequest.self, from: request, context: context)
        let video = try await find(try context.parameters.require("id"), context: context)
        let stats = VideoDayStats(videoID: video.id, promoterID: body.promoterId, day: body.day, plays: body.plays, likes: body.likes,
                                  comments: body.comments, shares: body.shares)
        let zone = try await program.current().timeZone
        guard let today = try CalendarDays.days(from: clock.now(), to: clock.now(), timeZone: zone).first?.label else {
            throw TuikeError.validation("no day contains now")
        }
        try stats.validate(today: today)
        if let promoter = body.promoterId, try await promoters.find(promoter) == nil { throw TuikeError.validation("promoter_id \(promoter) is not a promoter") }
        try await videos.record(stats, at: clock.now())
        return try JSONOutput.response(body)
    }

    /// The inclusive day range of `?from=&to=` (default the last 30 days) and its instants.
    func range(_ request: Request) async throws -> (fromDay: String, toDay: String, from: Instant, to: Instant) {
        let zone = try await program.current().timeZone
        let query = request.uri.queryParameters
        guard let today = try CalendarDays.days(from: clock.now(), to: clock.now(), timeZone: zone).first else { throw TuikeError.validation("no day contains now") }
        let to = try query["to"].map { try TrafficStats.day(String($0), zone: zone, field: "to") } ?? today.start
        let from = try query["from"].map { try TrafficStats.day(String($0), zone: zone, field: "from") } ?? to.adding(seconds: -29 * 86_400)
        let days = try CalendarDays.days(from: from, to: to, timeZone: zone)
        guard let first = days.first, let last = days.last else { throw TuikeError.validation("from must not be after to") }
        return (first.label, last.label, first.start, last.end)
    }

    func respond(videoID: String?, promoterID: String?, byPromoter: Bool, request: Request) async throws -> Response {
        let range = try await range(request)
        let rows = try await videos.performance(videoID: videoID, promoterID: promoterID, byPromoter: byPromoter, fromDay: range.fromDay, toDay: range.toDay,
                                                from: range.from, to: range.to)
        var titles: [String: String] = [:]
        for id in Set(rows.map(\.videoID)) { titles[id] = try await videos.find(id)?.title }
        return try JSONOutput.response(PerformanceView(from: range.fromDay, to: range.toDay, data: rows.map { PerformanceRow($0, title: titles[$0.videoID] ?? "") }))
    }

    @Sendable func performance(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try await respond(videoID: nil, promoterID: nil, byPromoter: false, request: request)
    }

    @Sendable func videoPerformance(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let video = try await find(try context.parameters.require("id"), context: context)
        return try await respond(videoID: video.id, promoterID: nil, byPromoter: true, request: request)
    }

    @Sendable func promoterVideos(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard try await promoters.find(id) != nil else { throw TuikeError.notFound("promoter", id) }
        return try await respond(videoID: nil, promoterID: id, byPromoter: true, request: request)
    }

    struct PerformanceRow: Encodable, Sendable {
        let videoId: String
        let title: String
        @ExplicitNull var promoterId: String?
        let plays, likes, comments, shares, clicks, orders, gmv, commission: Int64

        init(_ row: VideoPerformance, title: String) {
            videoId = row.videoID
            self.title = title
            promoterId = row.promoterID
            plays = row.plays
            likes = row.likes
            comments = row.comments
            shares = row.shares
            clicks = row.clicks
            orders = row.orders
            gmv = row.gmv
            commission = row.commission
        }
    }

    struct PerformanceView: Encodable, Sendable { let from: String; let to: String; let data: [PerformanceRow] }

    static let createSchema = Schemas.object([
        ("title", Schemas.name(maxLength: Product.maxTitleLength)), ("url", Schemas.webURL("The video on its platform (https).")),
        ("cover_media_id", Schemas.string), ("product_ids", Schemas.array(Schemas.string, maxItems: Video.maxProducts)),
    ], required: ["title", "url"])
    static let patchSchema: JSONValue = {
        var schema = Schemas.object([
            ("title", Schemas.name(maxLength: Product.maxTitleLength)), ("url", Schemas.webURL("The video on its platform (https).")),
            ("cover_media_id", Schemas.nullable(Schemas.string)), ("product_ids", Schemas.array(Schemas.string, maxItems: Video.maxProducts)),
            ("status", Schemas.enumeration(Video.Status.allCases.map(\.rawValue))),
        ])
        schema.set("minProperties", 1)
        return schema
    }()
    static let count = Schemas.integer(in: 0...VideoDayStats.maxCount)
    static let statsSchema = Schemas.object([
        ("day", ["type": "string", "format": "date", "description": "A day of the program's time zone, not in the future."] as JSONValue),
        ("promoter_id", ["type": "string", "description": "A promoter's share of the video; leave out for the video's own account."] as JSONValue),
        ("plays", count), ("likes", count), ("comments", count), ("shares", count),
    ], required: ["day", "plays", "likes", "comments", "shares"])
    static let performanceSchema = Schemas.object([
        ("from", Schemas.string), ("to", Schemas.string),
        ("data", Schemas.array(Schemas.object([
            ("video_id", Schemas.string), ("title", Schemas.string), ("promoter_id", Schemas.nullable(Schemas.string)),
            ("plays", Schemas.integer), ("likes", Schemas.integer), ("comments", Schemas.integer), ("shares", Schemas.integer),
            ("clicks", Schemas.integer), ("orders", Schemas.integer), ("gmv", Schemas.integer), ("commission", Schemas.integer),
        ]))),
    ])
}

struct VideoView: Encodable, Sendable {
    let id: String
    let title: String
    let url: String
    @ExplicitNull var coverMediaId: String?
    let productIds: [String]
    let status: String
    let createdAt: Instant

    init(_ video: Video) {
        id = video.id
        title = video.title
        url = video.url
        coverMediaId = video.coverMediaID
        productIds = video.productIDs
        status = video.status.rawValue
        createdAt = video.createdAt
    }

    static let schema = Schemas.object([
        ("id", Schemas.string), ("title", Schemas.string), ("url", Schemas.string), ("cover_media_id", Schemas.nullable(Schemas.string)),
        ("product_ids", Schemas.array(Schemas.string)), ("status", Schemas.enumeration(Video.Status.allCases.map(\.rawValue))), ("created_at", Schemas.time),
    ])
}
