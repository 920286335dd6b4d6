import Foundation
import HTTPTypes
import Hummingbird
import TuikeCore
import TuikeStore

/// Click tracking (docs/rules.md §3): `/r/{code}` redirects, `?ref=CODE` on pages, server-side
/// tracking for integrators, and a beacon plus `/tuike.js` for the merchant's own site.
struct TrackingController {
    let links: LinkRepository
    let cache: LinkCache
    let recorder: ClickRecorder
    let trustedProxies: TrustedProxies
    let flood: ClickFlood
    let program: ProgramRepository
    /// The host of the server's public URL, where links may always send visitors.
    let publicHost: String?
    /// Keys the hashes of the devices clicks come from.
    let cipher: FieldCipher
    let clock: any TuikeClock

    static let visitorCookie = "tk_vid"
    /// Codes are 10 characters; a longer one is looked up nowhere, as an unknown link.
    static let maxCodeLength = 64
    static let oneYear = 365 * 86_400

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/r/{code}", summary: "Follow a promoter's link: records the click, sets tk_vid, redirects", tag: "Tracking",
                access: .publicAccess, responses: [(302, "To the product page or the link's target.", nil), (404, "Unknown or disabled link (an HTML page).", nil)],
                handler: redirect)
        api.add(.post, "/api/v1/track/click", summary: "Record a click server-side", tag: "Tracking", access: .admin,
                request: Schemas.object([("code", Schemas.linkCode), ("visitor_id", Schemas.visitorID), ("ip", Schemas.string),
                                         ("user_agent", Schemas.string), ("referrer", Schemas.string),
                                         ("device_id", Schemas.text(1...RiskOrigin.maxDeviceLength,
                                                                    "The visitor's device id or fingerprint, for risk signals (kept as a keyed hash).")),
                                         ("source", ["type": "string", "pattern": "^(qr|[ptm]\\.[A-Za-z0-9_]{1,46})$",
                                                     "description": "The material shared: qr, p.<poster template>, t.<copy template>, m.<media>."])],
                                        required: ["code", "visitor_id"]),
                responses: [(201, "The click.", Schemas.object([("click_id", Schemas.string), ("bot", Schemas.boolean)]))], handler: trackClick)
        api.add(.post, "/api/v1/track/beacon", summary: "Record a click reported by /tuike.js on the merchant's site", tag: "Tracking",
                access: .publicAccess,
                request: Schemas.object([("code", Schemas.linkCode), ("visitor_id", Schemas.browserVisitorID), ("referrer", Schemas.string), ("url", Schemas.string),
                                         ("device", Schemas.text(1...RiskOrigin.maxDeviceLength, "The browser's fingerprint as /tuike.js computes it."))],
                                        required: ["code", "visitor_id"]),
                responses: [(204, "Recorded.", nil)], handler: beacon)
        api.add(.get, "/tuike.js", summary: "Click-tracking snippet for the merchant's own pages", tag: "Tracking", access: .publicAccess,
                responses: [(200, "JavaScript.", nil)]) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/javascript; charset=utf-8", .cacheControl: "public, max-age=3600"],
                     body: .init(byteBuffer: ByteBuffer(string: Self.snippet)))
        }
    }

    /// The active link for a code, or nil: unknown and disabled links look the same to the public.
    func activeLink(_ code: String) async throws -> Link? {
        guard code.count <= Self.maxCodeLength else { return nil }
        let link = try await cache.link(code: code) { try await links.find(code: code).asyncFlatMap { try await confined($0) } }
        return link?.status == .active ? link : nil
    }

    /// A link whose target is not on the merchant's sites (made before `link_hosts` existed, or
    /// its host removed from them since) sends visitors to its product page or the storefront
    /// instead: `/r/…` never redirects off the merchant's sites. Read when the link is cached.
    func confined(_ link: Link) async throws -> Link {
        guard let target = link.targetURL else { return link }
        let settings = try await program.current()
        if let parsed = try? WebTarget(target, field: "to"), settings.allowsLinkHost(parsed.host, publicHost: publicHost) { return link }
        return Link(id: link.id, code: link.code, promoterID: link.promoterID, productID: link.productID, targetURL: nil, status: link.status,
                    createdAt: link.createdAt)
    }

    /// Most clicks never reach this handler: `ClickRedirectHandler` answers them in the channel
    /// pipeline. It sends here the first click of a code not yet cached, unknown and disabled
    /// codes, and clicks pipelined behind a request the router has not answered yet.
    @Sendable func redirect(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let code = try context.parameters.require("code")
        guard let link = try await activeLink(code) else { return Self.notFoundPage() }
        let (click, headers) = follow(link, headers: request.headers, remoteIP: context.remoteIP, source: MaterialKey.inQuery(of: request.uri.description))
        try await recorder.record(click)
        return Response(status: .found, headers: headers)
    }

    /// The click that following `link` makes, and the answer's headers once it is recorded: the
    /// redirect, the visitor's cookie when it is new, no caching. `source` is the material the
    /// URL named (`?s=`), kept with the click.
    func follow(_ link: Link, headers: HTTPFields, remoteIP: String?, source: MaterialKey?) -> (click: ClickRecord, headers: HTTPFields) {
        var random = BlockRandom()
        let (visitor, isNew) = Self.visitor(headers, using: &random)
        let ip = TuikeRequestContext.clientIP(remoteIP: remoteIP, headers: headers, trusted: trustedProxies)
        let click = makeClick(link: link, visitor: visitor, ip: ip, userAgent: headers[.userAgent], referrer: headers[.referer],
                              isBot: floodFlag(link: link, isNewVisitor: isNew, ip: ip, userAgent: headers[.userAgent]), source: source, using: &random)
        var answer: HTTPFields = [.location: Self.destination(link, visitor: visitor, clickID: click.id), .cacheControl: "no-store",
                                  .xContentTypeOptions: "nosniff"]
        if isNew { answer[.setCookie] = Self.cookie(visitor) }
        return (click, answer)
    }

    /// True (a bot) for a cookie-less click that repeats one from the same address and user agent
    /// on the link within the dedupe window (`ClickFlood`); nil to let the user agent decide.
    func floodFlag(link: Link, isNewVisitor: Bool, ip: String?, userAgent: String?) -> Bool? {
        isNewVisitor && flood.isRepeat(link: link.id, address: ip, userAgent: userAgent, at: clock.now()) ? true : nil
    }

    func makeClick(link: Link, visitor: String, ip: String?, userAgent: String?, referrer: String?, isBot: Bool? = nil,
                   source: MaterialKey? = nil, deviceHash: String? = nil, using random: inout BlockRandom) -> ClickRecord {
        let now = clock.now()
        return ClickRecord(
            id: Identifier.make("clk", at: now, using: &random), linkID: link.id, promoterID: link.promoterID, productID: link.productID,
            visitorID: visitor, at: now, ip: ip, userAgent: userAgent.map { Self.truncated($0, to: 512) },
            referrer: referrer.map { Self.truncated($0, to: 1_000) }, isBot: isBot ?? BotDetector.isBot(userAgent: userAgent),
            source: source?.rawValue, deviceHash: deviceHash)
    }

    /// The first `limit` characters. A text of at most `limit` UTF-8 bytes has at most `limit`
    /// characters, so the common short header is kept without walking its characters.
    static func truncated(_ text: String, to limit: Int) -> String {
        text.utf8.count <= limit ? text : String(text.prefix(limit))
    }

    /// The product page for product links, the merchant's target (told who the visitor is, so its
    /// shop can report orders with `visitor_id`), or the storefront.
    static func destination(_ link: Link, visitor: String, clickID: String) -> String {
        if let target = link.targetURL, var components = URLComponents(string: target) {
            components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "tk_vid", value: visitor), URLQueryItem(name: "tk_click", value: clickID)]
            return components.string ?? target
        }
        return link.productID.map { "/p/\($0)" } ?? "/"
    }

    struct TrackRequest: RequestBody {
        let code: String
        let visitorId: String
        let ip: String?
        let userAgent: String?
        let referrer: String?
        let source: String?
        let deviceId: String?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable {
            case code, visitorId = "visitor_id", ip, userAgent = "user_agent", referrer, source, deviceId = "device_id"
        }
    }

    struct TrackedView: Encodable { let clickId: String; let bot: Bool }

    /// Server-side tracking: the integrator vouches for the visitor, so without a user agent the
    /// click counts as human; with one, the bot rules apply.
    @Sendable func trackClick(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(TrackRequest.self, from: request, context: context)
        try Self.checkIntegratorVisitor(body.visitorId)
        let source = try body.source.map { text throws(TuikeError) -> MaterialKey in
            guard let key = MaterialKey(text) else { throw .validation("source must be a material key: qr, p.<template>, t.<copy>, m.<media>") }
            return key
        }
        let device = try body.deviceId.map { id throws(TuikeError) in try RiskOrigin.deviceHash(id, cipher: cipher) }
        guard let link = try await activeLink(body.code) else { throw TuikeError.notFound("link", body.code) }
        var random = BlockRandom()
        let click = makeClick(link: link, visitor: body.visitorId, ip: body.ip, userAgent: body.userAgent, referrer: body.referrer,
                              isBot: body.userAgent.map { BotDetector.isBot(userAgent: $0) } ?? false, source: source, deviceHash: device, using: &random)
        try await recorder.record(click)
        return try JSONOutput.response(TrackedView(clickId: click.id, bot: click.isBot), status: .created)
    }

    struct BeaconRequest: RequestBody {
        let code: String
        let visitorId: String
        let referrer: String?
        let url: String?
        let device: String?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case code, visitorId = "visitor_id", referrer, url, device }
    }

    /// Called cross-origin by `/tuike.js` with a text/plain body (no CORS preflight needed).
    @Sendable func beacon(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        var response: Response
        do {
            let body = try await JSONBody.decode(BeaconRequest.self, from: request, context: context)
            guard Self.isValidVisitor(body.visitorId) else { throw TuikeError.validation("visitor_id must be 16 to 64 letters, digits, - or _") }
            guard let link = try await activeLink(body.code) else { throw TuikeError.notFound("link", body.code) }
            var random = BlockRandom()
            // A malformed fingerprint is dropped: the click still counts.
            try await recorder.record(makeClick(link: link, visitor: body.visitorId, ip: context.clientIP(request),
                                                userAgent: request.headers[.userAgent], referrer: body.referrer,
                                                deviceHash: body.device.flatMap { try? RiskOrigin.deviceHash($0, cipher: cipher) }, using: &random))
            response = Response(status: .noContent)
        } catch {
            response = ErrorResponses.response(for: error, logger: context.logger)
        }
        response.headers[.accessControlAllowOrigin] = "*"
        return response
    }

    /// The visitor id from the `tk_vid` cookie, or a new one. A click's path draws its random words
    /// once (`random`) for both the visitor's id and the click's: one call into the kernel, not two.
    static func visitor(_ headers: HTTPFields, using random: inout BlockRandom) -> (id: String, isNew: Bool) {
        if let existing = Cookies(from: headers[values: .cookie])[visitorCookie]?.value, isValidVisitor(existing) { return (existing, false) }
        return (newVisitorID(at: SystemClock().now(), using: &random), true)
    }

    /// 32 hex digits: the millisecond (12) and 80 random bits (20). Starting with the time puts a
    /// burst of new visitors' clicks at the end of the `clicks_by_visitor` index instead of all
    /// over it, so a commit writes a few index pages rather than one page per click.
    static let hexDigits = Array("0123456789abcdef".utf8)

    static func newVisitorID(at now: Instant, using generator: inout BlockRandom) -> String {
        let time = UInt64(max(now.milliseconds, 0))
        let random = (generator.next(), generator.next() >> 48)
        return String(unsafeUninitializedCapacity: 32) { buffer in
            for index in 0..<12 { buffer[index] = hexDigits[Int(time >> UInt64(4 * (11 - index)) & 0xF)] }
            for index in 0..<16 { buffer[12 + index] = hexDigits[Int(random.0 >> UInt64(4 * (15 - index)) & 0xF)] }
            for index in 0..<4 { buffer[28 + index] = hexDigits[Int(random.1 >> UInt64(4 * (3 - index)) & 0xF)] }
            return 32
        }
    }

    /// A visitor id an integrator sends (server-side clicks, orders, groups) is the integrator's
    /// own: any 1 to 128 printable ASCII characters. Only ids from a browser (the `tk_vid` cookie,
    /// `/tuike.js`) must look like the ones Tuike makes.
    static let maxIntegratorVisitorLength = 128

    static func checkIntegratorVisitor(_ text: String) throws(TuikeError) {
        guard (1...maxIntegratorVisitorLength).contains(text.utf8.count), text.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw .validation("visitor_id must be 1 to \(maxIntegratorVisitorLength) printable ASCII characters")
        }
    }

    static func isValidVisitor(_ text: String) -> Bool {
        (16...64).contains(text.utf8.count) && text.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    static func cookie(_ visitor: String) -> String {
        "\(visitorCookie)=\(visitor); Max-Age=\(oneYear); Path=/; HttpOnly; SameSite=Lax"
    }

    static func notFoundPage() -> Response {
        HTML.page(title: "链接已失效", body: """
            <h1>链接已失效</h1><p>这个推广链接不存在或已停用。</p><p>This link does not exist or is no longer active.</p>
            <p><a href="/">返回首页 · Home</a></p>
            """, status: .notFound)
    }

    /// Reads `?ref=` on the merchant's page, keeps a first-party visitor id, reports the click
    /// (with the device fingerprint) to Tuike and exposes `window.tuike.visitorId` and
    /// `window.tuike.device` so the shop can send them with orders.
    static let snippet = """
        (function () {
          \(DeviceFingerprint.function)
          var device = tuikeDevice();
          var script = document.currentScript;
          var base = script ? script.src.replace(/\\/tuike\\.js(\\?.*)?$/, '') : '';
          var params = new URLSearchParams(window.location.search);
          var vid = params.get('tk_vid') || window.localStorage.getItem('tk_vid');
          if (!vid || !/^[A-Za-z0-9_-]{16,64}$/.test(vid)) {
            var bytes = new Uint8Array(16);
            window.crypto.getRandomValues(bytes);
            vid = Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
          }
          window.localStorage.setItem('tk_vid', vid);
          document.cookie = 'tk_vid=' + vid + '; path=/; max-age=31536000; samesite=lax';
          window.tuike = { visitorId: vid, device: device };
          var ref = params.get('ref');
          if (ref && base) {
            fetch(base + '/api/v1/track/beacon', {
              method: 'POST', mode: 'cors', keepalive: true, headers: { 'Content-Type': 'text/plain' },
              body: JSON.stringify({ code: ref, visitor_id: vid, referrer: document.referrer, url: window.location.href, device: device || undefined })
            });
          }
        })();

        """
}

/// `?ref=CODE` on any page of this server records a click like `/r/CODE` does, once the page
/// answered successfully (API and redirect routes are left alone).
struct RefParameterMiddleware: RouterMiddleware {
    typealias Context = TuikeRequestContext
    let tracking: TrackingController

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get, let code = request.uri.queryParameters["ref"].map(String.init),
              !request.uri.path.hasPrefix("/api/"), !request.uri.path.hasPrefix("/r/") else {
            return try await next(request, context)
        }
        var response = try await next(request, context)
        guard (200..<300).contains(response.status.code), let link = try await tracking.activeLink(code) else { return response }
        var random = BlockRandom()
        let (visitor, isNew) = TrackingController.visitor(request.headers, using: &random)
        let ip = context.clientIP(request)
        try await tracking.recorder.record(tracking.makeClick(
            link: link, visitor: visitor, ip: ip, userAgent: request.headers[.userAgent], referrer: request.headers[.referer],
            isBot: tracking.floodFlag(link: link, isNewVisitor: isNew, ip: ip, userAgent: request.headers[.userAgent]), using: &random))
        if isNew { response.headers.append(HTTPField(name: .setCookie, value: TrackingController.cookie(visitor))) }
        return response
    }
}

extension UInt8 {
    var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
    }
}

extension String {
    func leftPadded(to length: Int) -> String { count >= length ? self : String(repeating: "0", count: length - count) + self }
}
