import Foundation
import HTTPTypes
import Hummingbird
import TuikeCore
import TuikeStore

/// The promoter's videos in the portal (`/me/videos`): the merchant's active videos, each with the
/// promoter's own share link (made on first ask) and what the promoter's shares brought over the
/// last 30 days: the platform's numbers beside clicks, orders, GMV and commission.
struct PortalVideos {
    let portal: PortalController
    let videos: VideoRepository
    let links: LinkRepository
    let program: ProgramRepository
    let forms: FormReplay
    let publicURL: String
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/me/videos", summary: "Promoter portal: my video shares and what they brought (HTML)", tag: "Pages", access: .publicAccess,
                responses: [(200, "HTML.", nil), (303, "To the login form without a session.", nil)], handler: page)
        api.add(.post, "/me/videos/{id}/link", summary: "Promoter portal: my share link of a video", tag: "Pages", access: .publicAccess,
                responses: [(303, "Back to /me/videos.", nil)], handler: makeLink)
    }

    @Sendable func page(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        guard let promoterID = try await portal.promoterID(request) else { return .redirect(to: "/me/login", type: .normal) }
        let language = Language.of(request)
        let zh = language == .zh
        let now = clock.now()
        let zone = try await program.current().timeZone
        let days = try CalendarDays.days(from: now.adding(seconds: -29 * 86_400), to: now, timeZone: zone)
        guard let first = days.first, let last = days.last else { throw TuikeError.validation("no day contains now") }
        let rows = try await videos.performance(videoID: nil, promoterID: promoterID, byPromoter: true, fromDay: first.label, toDay: last.label,
                                                from: first.start, to: last.end)
        let byVideo = Dictionary(rows.map { ($0.videoID, $0) }, uniquingKeysWith: { first, _ in first })
        let active = try await videos.list(status: .active, limit: 50, before: nil)
        let own = try await links.list(promoterID: promoterID, limit: 100, before: nil).filter { $0.videoID != nil && $0.status == .active }
        let (csrf, isNew) = Forms.csrfToken(request)
        var html = PortalVideosHTML()
        html.raw("<div class=\"card\"><h1>"); html.text(zh ? "我的视频分享" : "My video shares"); html.raw("</h1><p class=\"muted\">")
        html.text(zh ? "近 30 天（\(first.label) – \(last.label)）：播放等来自视频平台，点击、订单、佣金来自你的分享链接。"
                     : "Last 30 days (\(first.label) – \(last.label)): plays come from the video platform; clicks, orders and commission from your links.")
        html.raw("</p></div>")
        for video in active {
            let figures = byVideo[video.id]
            html.raw("<div class=\"card\" data-video=\""); html.text(video.id); html.raw("\"><h2><a href=\""); html.text(video.url)
            html.raw("\" rel=\"noopener\" target=\"_blank\">"); html.text(video.title); html.raw("</a></h2>")
            let labels = zh ? ["播放", "点赞", "评论", "转发", "点击", "订单", "GMV", "佣金"] : ["Plays", "Likes", "Comments", "Shares", "Clicks", "Orders", "GMV", "Commission"]
            let values = [figures?.plays ?? 0, figures?.likes ?? 0, figures?.comments ?? 0, figures?.shares ?? 0, figures?.clicks ?? 0, figures?.orders ?? 0]
                .map(String.init) + ["¥" + Money.format(figures?.gmv ?? 0), "¥" + Money.format(figures?.commission ?? 0)]
            html.raw("<div class=\"grid\">")
            for (label, value) in zip(labels, values) {
                html.raw("<div><div class=\"muted\">"); html.text(label); html.raw("</div><b>"); html.text(value); html.raw("</b></div>")
            }
            html.raw("</div>")
            if let link = own.first(where: { $0.videoID == video.id }) {
                html.raw("<p>"); html.text(zh ? "我的分享链接" : "My share link"); html.raw("</p><input class=\"share\" readonly value=\"")
                html.text("\(publicURL)/r/\(link.code)"); html.raw("\">")
            } else {
                html.raw("<form method=\"post\" action=\"/me/videos/"); html.text(video.id); html.raw("/link\">")
                html.hidden(csrf: csrf, nonce: Identifier.secret(length: 24))
                html.raw("<button class=\"btn small\" type=\"submit\">"); html.text(zh ? "获取我的分享链接" : "Get my share link"); html.raw("</button></form>")
            }
            html.raw("</div>")
        }
        if active.isEmpty { html.raw("<div class=\"card\"><p class=\"muted\">"); html.text(zh ? "暂时没有可分享的视频。" : "No videos to share yet."); html.raw("</p></div>") }
        html.raw("<p><a href=\"/me\">"); html.text(zh ? "返回" : "Back"); html.raw("</a></p>")
        var response = Templates.page("me", title: zh ? "我的视频分享" : "My video shares", language: language, context: ["body": html.out])
        if isNew { response.headers.append(HTTPField(name: .setCookie, value: Forms.cookie(csrf))) }
        return response
    }

    /// Makes the promoter's link to the video (to its first product's page), once per nonce.
    @Sendable func makeLink(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        guard let promoterID = try await portal.promoterID(request) else { return .redirect(to: "/me/login", type: .normal) }
        let id = try context.parameters.require("id")
        let fields = try await Forms.verified(request, context: context)
        return try await forms.once(request, fields: fields) {
            guard let video = try await videos.find(id), video.status == .active else { throw TuikeError.notFound("video", id) }
            let existing = try await links.list(promoterID: promoterID, limit: 100, before: nil).contains { $0.videoID == id && $0.status == .active }
            if !existing {
                _ = try await links.create(promoterID: promoterID, productID: video.productIDs.first, targetURL: nil, videoID: id, at: clock.now())
            }
            return .redirect(to: "/me/videos", type: .normal)
        }
    }
}

struct PortalVideosHTML: HTMLWriting {
    var out = ""
}
