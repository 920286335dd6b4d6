import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

/// QR codes and posters of links, product media, copy templates and the material center.
@Suite struct MaterialsAPITests {
    @Test(arguments: TestDatabase.available)
    func qrCodesOfALinkScanAndTheirScansCount(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"Swift 入门","price":9900}"#).json["id"] as! String
            let promoter = try await client.createPromoter("Q")["id"] as! String
            let link = try await client.createLink(promoter: promoter, product: product).json
            let code = try #require(link["code"] as? String), url = try #require(link["url"] as? String)
            for query in ["size=128", "size=128&logo=1", "size=1024&logo=1", ""] {
                let png = try await client.send(.get, "/api/v1/links/\(code)/qr.png?\(query)", headers: [:])
                #expect(png.status == .ok && png.headers[.contentType] == "image/png" && png.headers[.eTag] != nil)
                #expect(try Scanner.decode(png: Array(buffer: png.body)) == [url + "?s=qr"], "\(query)")
            }
            for logo in ["0", "1"] {
                let svg = try await client.send(.get, "/api/v1/links/\(code)/qr.svg?size=128&logo=\(logo)", headers: [:])
                #expect(svg.headers[.contentType] == "image/svg+xml")
                #expect(try Scanner.decode(png: try Scanner.rasterise(svg: svg.text, size: 128)) == [url + "?s=qr"])
            }
            for bad in ["size=127", "size=1025", "size=abc", "size=99999999999999999999", "logo=2"] {
                expectError(try await client.send(.get, "/api/v1/links/\(code)/qr.png?\(bad)", headers: [:]), .unprocessableContent, "validation_failed")
            }
            expectError(try await client.send(.get, "/api/v1/links/nosuchcode/qr.png", headers: [:]), .notFound, "not_found")
            // A scan of the QR code and of a poster count as QR clicks; a copy text's click does not.
            for source in ["qr", "p.portrait", "t.cpy_1", "junk!", ""] {
                let click = try await client.send(.get, "/r/\(code)?s=\(source)", headers: [.userAgent: "Mozilla/5.0 (iPhone)"])
                #expect(click.status == .found)
            }
            let stats = try await client.send(.get, "/api/v1/links/\(code)/stats").json
            let totals = try #require(stats["totals"] as? [String: Any])
            #expect(totals["pv"] as? Int == 5 && totals["qr"] as? Int == 2, "\(stats)")
            _ = try await client.send(.post, "/api/v1/links/\(code)/disable")
            expectError(try await client.send(.get, "/api/v1/links/\(code)/qr.png", headers: [:]), .notFound, "not_found")
            expectError(try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"v-1","source":"bad key"}"#),
                        .unprocessableContent, "validation_failed")
        }
    }

    @Test(arguments: TestDatabase.available)
    func postersFollowTheirData(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let (campaign, product, promoter) = try await client.groupCampaign(size: 3)
            let link = try await client.createLink(promoter: promoter, product: product).json
            let code = try #require(link["code"] as? String), url = try #require(link["url"] as? String)
            func poster(_ query: String = "") async throws -> (bytes: [UInt8], etag: String) {
                let response = try await client.send(.get, "/api/v1/links/\(code)/poster.png\(query)", headers: [:])
                #expect(response.status == .ok && response.headers[.contentType] == "image/png", "\(response.text)")
                return (Array(buffer: response.body), response.headers[.eTag] ?? "")
            }
            let first = try await poster()
            #expect(try Scanner.decode(png: first.bytes) == [url + "?s=p.portrait"])
            let again = try await poster()
            #expect(again == first)
            #expect(try await client.send(.get, "/api/v1/links/\(code)/poster.png", headers: [.ifNoneMatch: first.etag]).status == .notModified)
            // A price change: a new poster at once.
            _ = try await client.send(.patch, "/api/v1/products/\(product)", body: #"{"price":15900}"#)
            let repriced = try await poster()
            #expect(repriced.etag != first.etag && repriced.bytes != first.bytes)
            // A group forms (its leader paid: "还差 2 人"), then a member pays ("还差 1 人").
            let (group, order) = try await client.openGroup(campaign)
            _ = try await client.pay(order)
            let opened = try await poster()
            let joined = try await client.joinGroup(group, buyer: "member-1")
            let member = try #require((joined.json["order"] as? [String: Any])?["id"] as? String, "\(joined.text)")
            _ = try await client.pay(member)
            let paid = try await poster()
            #expect(Set([repriced.etag, opened.etag, paid.etag]).count == 3)
            #expect(try await poster("?group=\(group)").etag == paid.etag)
            // The square template, a template edit, an unknown template.
            let square = try await poster("?template=square")
            #expect(square.etag != paid.etag && PNGInfo.size(square.bytes)?.width == 800)
            _ = try await client.send(.patch, "/api/v1/poster-templates/square", body: ##"{"brand_colour":"#2F6FDF","copy_line":"扫码一起拼"}"##)
            #expect(try await poster("?template=square").etag != square.etag)
            expectError(try await client.send(.get, "/api/v1/links/\(code)/poster.png?template=nope", headers: [:]), .notFound, "not_found")
            expectError(try await client.send(.get, "/api/v1/links/\(code)/poster.png?template=../x", headers: [:]), .notFound, "not_found")
            let bare = try await client.createLink(promoter: promoter).json["code"] as! String
            expectError(try await client.send(.get, "/api/v1/links/\(bare)/poster.png", headers: [:]), .notFound, "not_found")
            // Share cards: the poster's page shows the poster as its image; the group's card tells its live state.
            let page = try await client.send(.get, "/posters/\(code)?template=square", headers: [:]).text
            #expect(page.contains(#"<meta property="og:image" content="\#(url.replacingOccurrences(of: "/r/", with: "/api/v1/links/"))/poster.png?template=square">"#), "\(page)")
            #expect(page.contains(#"<meta property="og:title" content="零基础英语口语 30 天">"#))
            #expect(try await client.send(.get, "/posters/\(bare)", headers: [:]).status == .notFound)
            let groupPage = try await client.send(.get, "/g/\(group)", headers: [.acceptLanguage: "zh-CN"]).text
            #expect(groupPage.contains(#"<meta property="og:title" content="还差 1 人成团 · 零基础英语口语 30 天">"#), "\(groupPage)")
            let productPage = try await client.send(.get, "/p/\(product)", headers: [:]).text
            #expect(productPage.contains(#"<meta property="og:url" content="http://localhost:8080/p/\#(product)">"#), "\(productPage.prefix(1200))")
        }
    }

    @Test(arguments: TestDatabase.available)
    func productMediaAreCheckedAndShown(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"摄影课","price":29900}"#).json["id"] as! String
            let cover = try await client.upload(try TestImages.jpeg()).json["id"] as! String
            let photo = try await client.upload(try TestImages.png()).json["id"] as! String
            let patched = try await client.send(.patch, "/api/v1/products/\(product)", body: """
                {"cover_media_id":"\(cover)","gallery":["\(photo)","\(cover)"],"video_url":"https://channels.weixin.qq.com/v/abc",
                 "detail":"<p onclick=\\"x()\\">好课<script>alert(1)</script><img src=\\"/media/\(photo)\\" onerror=\\"x()\\"><a href=\\"javascript:alert(1)\\">看</a></p>"}
                """)
            #expect(patched.status == .ok, "\(patched.text)")
            let detail = try #require(patched.json["detail"] as? String)
            #expect(!detail.contains("script") && !detail.contains("onclick") && !detail.contains("onerror") && !detail.contains("javascript"), "\(detail)")
            #expect(detail.contains("<img src=\"/media/\(photo)\""), "\(detail)")
            #expect((patched.json["cover_url"] as? String)?.hasSuffix("/media/\(cover)") == true)
            #expect((patched.json["gallery"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [photo, cover])
            let read = try await client.send(.get, "/api/v1/products/\(product)", headers: [:]).json
            #expect(read["detail"] as? String == detail && read["video_url"] as? String == "https://channels.weixin.qq.com/v/abc")
            #expect(((try await client.send(.get, "/api/v1/products", headers: [:]).json["data"] as? [[String: Any]])?.first?["cover_media_id"] as? String) == cover)
            // Clearing one field leaves the others.
            let cleared = try await client.send(.patch, "/api/v1/products/\(product)", body: #"{"video_url":null}"#).json
            #expect(cleared["video_url"] is NSNull && cleared["cover_media_id"] as? String == cover)
            for bad in [#"{"cover_media_id":"med_00000000000000000000000000000000"}"#, #"{"gallery":["not-a-media-id"]}"#,
                        #"{"video_url":"http://insecure.example.com/v"}"#, #"{"video_url":"javascript:alert(1)"}"#,
                        #"{"gallery":[\#(Array(repeating: "\"\(photo)\"", count: 21).joined(separator: ","))]}"#] {
                expectError(try await client.send(.patch, "/api/v1/products/\(product)", body: bad), .unprocessableContent, "validation_failed")
            }
            expectError(try await client.send(.patch, "/api/v1/products/prod_nope", body: #"{"video_url":null}"#), .notFound, "not_found")
            #expect(try await client.send(.get, "/api/v1/products/\(product)", headers: [:]).json["cover_media_id"] as? String == cover)
        }
    }

    @Test(arguments: TestDatabase.available)
    func theMaterialCenterFillsTextsAndRanksByEffect(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, app async throws in
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"考研英语","price":39900}"#).json["id"] as! String
            let promoter = try await client.createPromoter("M")["id"] as! String
            let other = try await client.createPromoter("N")["id"] as! String
            expectError(try await client.send(.post, "/api/v1/copy-templates", body: #"{"text":"{title} {foo}"}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/copy-templates", body: #"{"text":"{title","product_id":null}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/copy-templates", body: #"{"text":"hi","product_id":"prod_nope"}"#), .unprocessableContent, "validation_failed")
            let first = try await client.send(.post, "/api/v1/copy-templates", body: #"{"text":"{promoter} 推荐：{title} 只要 {price}，戳 {link}"}"#)
            #expect(first.status == .created, "\(first.text)")
            let second = try await client.send(.post, "/api/v1/copy-templates", body: #"{"text":"【{title}】{link}","product_id":"\#(product)"}"#)
            let (one, two) = (first.json["id"] as! String, second.json["id"] as! String)
            let token = try await client.promoterToken(promoter)
            // Many opens at once make one link per product, never two.
            let views = try await OrdersAPITests.atOnce(20) { _ in try await client.send(.get, "/api/v1/promoters/\(promoter)/materials", headers: token) }
            #expect(views.allSatisfy { $0.status == .ok }, "\(views.first?.text ?? "")")
            #expect(try await OrdersAPITests.count("links WHERE promoter_id = '\(unsafeRaw: promoter)'", in: app.database) == 1)
            let view = try await client.send(.get, "/api/v1/promoters/\(promoter)/materials", headers: token).json
            let entry = try #require((view["data"] as? [[String: Any]])?.first { $0["product_id"] as? String == product })
            let link = try #require(entry["link"] as? String)
            let texts = try #require(entry["texts"] as? [[String: Any]])
            #expect(texts.map { $0["text"] as? String } == ["M 推荐：考研英语 只要 ¥399.00，戳 \(link)?s=t.\(one)", "【考研英语】\(link)?s=t.\(two)"])
            #expect((entry["posters"] as? [[String: Any]])?.compactMap { $0["template_id"] as? String } == ["portrait", "square"])
            #expect(entry["qr_url"] as? String == "\(link.replacingOccurrences(of: "/r/", with: "/api/v1/links/"))/qr.png")
            expectError(try await client.send(.get, "/api/v1/promoters/\(other)/materials", headers: token), .forbidden, "forbidden")
            // Shares are counted; the second text's clicks, once rolled up, put it first.
            let share = try await client.send(.post, "/api/v1/promoters/\(promoter)/materials/shares", headers: token,
                                              body: #"{"product_id":"\#(product)","item":"t.\#(two)"}"#)
            #expect(share.status == .ok && share.json["shares"] as? Int == 1, "\(share.text)")
            expectError(try await client.send(.post, "/api/v1/promoters/\(promoter)/materials/shares", headers: token,
                                              body: #"{"product_id":"\#(product)","item":"<script>"}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/promoters/\(promoter)/materials/shares", headers: token,
                                              body: #"{"product_id":"\#(product)","item":"m.med_00000000000000000000000000000000"}"#),
                        .unprocessableContent, "validation_failed")
            let code = String(link.split(separator: "/").last ?? "")
            // A made-up key on the link counts as a click but gets no material of its own.
            _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"made-up","source":"t.cpy_nothing"}"#)
            for visitor in 0..<3 {
                _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"text-\#(visitor)","source":"t.\#(two)"}"#)
            }
            _ = try await client.advance(seconds: 2 * 86_400)
            let ranked = try await client.send(.get, "/api/v1/promoters/\(promoter)/materials", headers: token).json
            let after = try #require((ranked["data"] as? [[String: Any]])?.first { $0["product_id"] as? String == product })
            let order = (after["texts"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            #expect(order == [two, one], "\(after)")
            let effect = (after["texts"] as? [[String: Any]])?.first?["effect"] as? [String: Any]
            #expect(effect?["clicks"] as? Int == 3 && effect?["shares"] as? Int == 1, "\(String(describing: effect))")
            #expect(try await OrdersAPITests.count("scope_totals WHERE scope LIKE '%cpy_nothing'", in: app.database) == 0)
            // A promoter's shares of one item count at most 20 a day.
            for _ in 0..<25 {
                _ = try await client.send(.post, "/api/v1/promoters/\(promoter)/materials/shares", headers: token, body: #"{"product_id":"\#(product)","item":"qr"}"#)
            }
            let capped = try await client.send(.post, "/api/v1/promoters/\(promoter)/materials/shares", headers: token, body: #"{"product_id":"\#(product)","item":"qr"}"#)
            #expect(capped.json["shares"] as? Int == Int(MaterialRepository.maxSharesPerDay))
            // Archived texts leave the center; the link stays the same.
            _ = try await client.send(.patch, "/api/v1/copy-templates/\(one)", body: #"{"status":"archived"}"#)
            let last = try await client.send(.get, "/api/v1/promoters/\(promoter)/materials", headers: token).json
            let final = try #require((last["data"] as? [[String: Any]])?.first { $0["product_id"] as? String == product })
            #expect((final["texts"] as? [Any])?.count == 1 && final["link"] as? String == link)
        }
    }
}
