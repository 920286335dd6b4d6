import SQLKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

@Suite struct TrackingAPITests {
    static let browser: HTTPFields = [.userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0"]

    static func clickCount(_ tuike: TuikeApp) async throws -> Int64 { try await ClickRepository(database: tuike.database).count() }

    /// The clicks stored, their distinct visitors and their distinct ids.
    static func storedClicks(_ tuike: TuikeApp) async throws -> (rows: Int64, visitors: Int64, ids: Int64) {
        let counts = try await tuike.database.read { db in
            try await db.first("SELECT COUNT(*) AS n, COUNT(DISTINCT visitor_id) AS v, COUNT(DISTINCT id) AS i FROM clicks")!
        }
        return (try counts.decode(column: "n", as: Int64.self), try counts.decode(column: "v", as: Int64.self),
                try counts.decode(column: "i", as: Int64.self))
    }

    @Test(arguments: TestDatabase.available)
    func aLinkRedirectsRecordsTheClickAndSetsTheVisitor(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"Python 数据分析实战","price":39900}"#).json["id"] as! String
            let promoter = try await client.createPromoter("推客小王")["id"] as! String
            let created = try await client.createLink(promoter: promoter, product: product)
            #expect(created.status == .created)
            let code = try #require(created.json["code"] as? String)
            #expect(code.count >= 8)
            #expect(created.json["url"] as? String == "http://localhost:8080/r/\(code)")

            let first = try await client.send(.get, "/r/\(code)", headers: Self.browser)
            #expect(first.status == .found)
            #expect(first.headers[.location] == "/p/\(product)")
            let cookie = try #require(first.headers[.setCookie])
            #expect(cookie.hasPrefix("tk_vid=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Max-Age=31536000"))
            let visitor = String(cookie.dropFirst("tk_vid=".count).prefix { $0 != ";" })

            var withCookie = Self.browser
            withCookie[.cookie] = "tk_vid=\(visitor)"
            let second = try await client.send(.get, "/r/\(code)", headers: withCookie)
            #expect(second.status == .found && second.headers[.setCookie] == nil)

            let page = try await client.send(.get, "/p/\(product)", headers: [:])
            #expect(page.status == .ok && page.text.contains("Python 数据分析实战"))

            let clicks = try await tuike.database.read { db in
                try await db.rows("SELECT promoter_id, is_bot FROM clicks WHERE visitor_id = \(bind: visitor)").map {
                    (try $0.decode(column: "promoter_id", as: String.self), try $0.decode(column: "is_bot", as: Int64.self))
                }
            }
            #expect(clicks.count == 2 && clicks.allSatisfy { $0.0 == promoter && $0.1 == 0 })

            let stats = try await client.send(.get, "/api/v1/links/\(code)/stats")
            #expect((stats.json["totals"] as? [String: Any])?["pv"] as? Int == 2)
            #expect((stats.json["totals"] as? [String: Any])?["uv"] as? Int == 1)
        }
    }

    @Test(arguments: TestDatabase.available)
    func unknownOrDisabledLinksRecordNothing(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let promoter = try await client.createPromoter("A")["id"] as! String
            let code = try await client.createLink(promoter: promoter).json["code"] as! String
            let unknown = try await client.send(.get, "/r/doesnotexist", headers: Self.browser)
            #expect(unknown.status == .notFound && unknown.headers[.contentType]?.hasPrefix("text/html") == true && unknown.text.contains("链接已失效"))
            #expect(try await client.send(.post, "/api/v1/links/\(code)/disable").json["status"] as? String == "disabled")
            #expect(try await client.send(.get, "/r/\(code)", headers: Self.browser).status == .notFound)
            expectError(try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"visitor-0000000001"}"#), .notFound, "not_found")
            #expect(try await Self.clickCount(tuike) == 0)
            #expect(try await client.send(.post, "/api/v1/links/\(code)/enable").json["status"] as? String == "active")
            #expect(try await client.send(.get, "/r/\(code)", headers: Self.browser).status == .found)
            #expect(try await Self.clickCount(tuike) == 1)
        }
    }

    @Test(arguments: TestDatabase.available)
    func botsAreCountedApartAndTargetsLearnTheVisitor(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let promoter = try await client.createPromoter("A")["id"] as! String
            expectError(try await client.createLink(promoter: promoter, to: "javascript:alert(1)"), .unprocessableContent, "validation_failed")
            expectError(try await client.createLink(promoter: promoter, to: "//evil.example"), .unprocessableContent, "validation_failed")
            // Links stay on the merchant's sites: this server's host and the program's link_hosts.
            let hostile = ["https://example.com/phish", "http://evil.com#@shop.example.com", #"https://shop.example.com\\@evil.com/"#,
                           "https://user@shop.example.com/", "https://shop.example.com.evil.com/", "https://shop.example.com /x"]
            for target in hostile + ["https://shop.example.com/course"] {
                expectError(try await client.createLink(promoter: promoter, to: target), .unprocessableContent, "validation_failed")
            }
            #expect(try await client.createLink(promoter: promoter, to: "http://localhost:8080/p/x").status == .created, "this server's own host")
            let settings = try await client.send(.put, "/api/v1/program", body: #"{"link_hosts":["shop.example.com","*.cdn.example.net"]}"#)
            #expect(settings.status == .ok && settings.json["link_hosts"] as? [String] == ["shop.example.com", "*.cdn.example.net"])
            expectError(try await client.send(.put, "/api/v1/program", body: #"{"link_hosts":["not a host"]}"#), .unprocessableContent, "validation_failed")
            for target in hostile { expectError(try await client.createLink(promoter: promoter, to: target), .unprocessableContent, "validation_failed") }
            #expect(try await client.createLink(promoter: promoter, to: "https://img.cdn.example.net/a").status == .created)
            expectError(try await client.createLink(promoter: promoter, to: "https://cdn.example.net.evil.com/a"), .unprocessableContent, "validation_failed")
            let code = try await client.createLink(promoter: promoter, to: "https://shop.example.com/course?id=7").json["code"] as! String
            let redirect = try await client.send(.get, "/r/\(code)", headers: [.userAgent: "Googlebot/2.1"])
            let location = try #require(redirect.headers[.location])
            #expect(location.hasPrefix("https://shop.example.com/course?id=7&tk_vid=") && location.contains("&tk_click=clk_"))
            let stats = try await client.send(.get, "/api/v1/promoters/\(promoter)/stats")
            let totals = try #require(stats.json["totals"] as? [String: Any])
            #expect(totals["pv"] as? Int == 0 && totals["bots"] as? Int == 1)
            #expect((stats.json["days"] as? [Any])?.count == 30)
            #expect(stats.json["time_zone"] as? String == "Asia/Shanghai")
            expectError(try await client.send(.get, "/api/v1/promoters/\(promoter)/stats?from=2026-13-01"), .unprocessableContent, "validation_failed")
        }
    }

    @Test(arguments: TestDatabase.available)
    func serverSideTrackingBeaconsAndRefParameters(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"课","price":100}"#).json["id"] as! String
            let promoter = try await client.createPromoter("A")["id"] as! String
            let code = try await client.createLink(promoter: promoter).json["code"] as! String

            let tracked = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"visitor-0000000001","ip":"1.1.1.1"}"#)
            #expect(tracked.status == .created && (tracked.json["click_id"] as? String)?.hasPrefix("clk_") == true && tracked.json["bot"] as? Bool == false)
            // An integrator's visitor ids are its own: any 1 to 128 printable ASCII characters.
            for visitor in ["bars-visitor-1", "v", "user@example.com #7", String(repeating: "x", count: 128)] {
                let short = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"\#(visitor)"}"#)
                #expect(short.status == .created, "\(visitor): \(short.text)")
            }
            for visitor in ["", String(repeating: "x", count: 129), "tab\\there", "访客"] {
                expectError(try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"\#(visitor)"}"#),
                            .unprocessableContent, "validation_failed")
            }
            expectError(try await client.send(.post, "/api/v1/track/click", headers: jsonOnly, body: #"{"code":"\#(code)","visitor_id":"visitor-0000000001"}"#),
                        .unauthorized, "unauthorized")

            let beacon = try await client.send(.post, "/api/v1/track/beacon", headers: [.contentType: "text/plain", .userAgent: "Mozilla/5.0 Safari"],
                                               body: #"{"code":"\#(code)","visitor_id":"visitor-0000000002","url":"https://shop.example.com/?ref=\#(code)"}"#)
            #expect(beacon.status == .noContent && beacon.headers[.accessControlAllowOrigin] == "*")

            let page = try await client.send(.get, "/p/\(product)?ref=\(code)", headers: Self.browser)
            #expect(page.status == .ok && page.headers[values: .setCookie].contains { $0.hasPrefix("tk_vid=") })
            _ = try await client.send(.get, "/p/prod_missing?ref=\(code)", headers: Self.browser)
            #expect(try await Self.clickCount(tuike) == 7, "3 and the 4 with integrators' own visitor ids")

            let js = try await client.send(.get, "/tuike.js", headers: [:])
            #expect(js.status == .ok && js.headers[.contentType]?.hasPrefix("application/javascript") == true && js.text.contains("/api/v1/track/beacon"))
        }
    }

    /// A click that cannot be stored (here: an id already taken) fails alone: a batch that fails is
    /// written again one click at a time, so the others in it are still recorded and acknowledged.
    @Test(arguments: TestDatabase.available)
    func aBadClickDoesNotFailItsBatch(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let promoter = try await client.createPromoter("A")["id"] as! String
            let link = try await client.createLink(promoter: promoter).json
            let now = Instant(milliseconds: 1_795_000_000_000)
            let clicks = (0..<100).map { index in
                ClickRecord(id: "clk_test_\(index)", linkID: link["id"] as! String, promoterID: promoter, productID: nil,
                            visitorID: "visitor-\(String(index).leftPadded(to: 10))", at: now, ip: nil, userAgent: "Mozilla/5.0",
                            referrer: nil, isBot: false)
            }
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for click in clicks + [clicks[42]] {
                    group.addTask { (try? await tuike.clicks.record(click)) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 100)
            #expect(outcomes.filter { !$0 }.count == 1)
            let stored = try await tuike.database.read { db in try await db.first("SELECT COUNT(*) AS n FROM clicks")! }
            #expect(try stored.decode(column: "n", as: Int64.self) == 100)
        }
    }

    /// 200 clicks at once: every one is recorded exactly once (and acknowledged only after commit).
    @Test(arguments: TestDatabase.available)
    func concurrentClicksAreAllRecordedOnce(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let promoter = try await client.createPromoter("A")["id"] as! String
            let code = try await client.createLink(promoter: promoter).json["code"] as! String
            let statuses = try await client.clickAtOnce(code, times: 200)
            #expect(statuses.count == 200 && statuses.allSatisfy { $0 == .found })
            let stored = try await Self.storedClicks(tuike)
            #expect(stored.rows == 200 && stored.visitors == 200 && stored.ids == 200)
        }
    }

    @Test(arguments: TestDatabase.available)
    func linksNeedAnActivePromoterAndARealProduct(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            expectError(try await client.createLink(promoter: "prm_missing"), .notFound, "not_found")
            let promoter = try await client.createPromoter("A")["id"] as! String
            expectError(try await client.createLink(promoter: promoter, product: "prod_missing"), .unprocessableContent, "validation_failed")
            _ = try await client.send(.post, "/api/v1/promoters/\(promoter)/suspend")
            expectError(try await client.createLink(promoter: promoter), .conflict, "promoter_not_active")
            expectError(try await client.send(.post, "/api/v1/links", body: #"{"product_id":"x"}"#), .badRequest, "invalid_request")
            expectError(try await client.send(.post, "/api/v1/links", headers: jsonOnly, body: #"{"promoter_id":"\#(promoter)"}"#), .unauthorized, "unauthorized")
        }
    }
}

@Suite struct VisitorIDTests {
    /// New visitor ids are valid, unique, and sort by the millisecond they were made in (which
    /// keeps a burst of new visitors' clicks together in the visitor index).
    @Test func newVisitorIDsSortByTime() {
        var random = BlockRandom()
        let early = (0..<100).map { _ in TrackingController.newVisitorID(at: Instant(milliseconds: 1_700_000_000_000), using: &random) }
        let late = TrackingController.newVisitorID(at: Instant(milliseconds: 1_700_000_000_001), using: &random)
        #expect(Set(early).count == 100)
        #expect(early.allSatisfy { $0.count == 32 && TrackingController.isValidVisitor($0) && $0 < late })
        #expect(early.allSatisfy { $0.hasPrefix(String(1_700_000_000_000, radix: 16).leftPadded(to: 12)) })
        #expect(early.allSatisfy { $0.allSatisfy { "0123456789abcdef".contains($0) } })
    }

    /// Long headers are cut to whole characters; short ones are kept as they are.
    @Test func headersAreTruncatedByCharacters() {
        #expect(TrackingController.truncated("Mozilla", to: 512) == "Mozilla")
        #expect(TrackingController.truncated(String(repeating: "微", count: 300), to: 512) == String(repeating: "微", count: 300))
        #expect(TrackingController.truncated(String(repeating: "微", count: 600), to: 512) == String(repeating: "微", count: 512))
        #expect(TrackingController.truncated(String(repeating: "a", count: 513), to: 512).count == 512)
    }
}

extension TestClientProtocol {
    /// Follows `code` `times` times at once, each time as another visitor; the answers' statuses.
    func clickAtOnce(_ code: String, times: Int) async throws -> [HTTPResponse.Status] {
        try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
            for index in 0..<times {
                group.addTask {
                    let visitor = "visitor-\(String(index).leftPadded(to: 10))"
                    return try await send(.get, "/r/\(code)", headers: [.userAgent: "Mozilla/5.0", .cookie: "tk_vid=\(visitor)"]).status
                }
            }
            return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
        }
    }
}
