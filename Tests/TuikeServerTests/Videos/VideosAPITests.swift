import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeTestSupport

@Suite struct VideosAPITests {
    /// A video of the T-shirt, shared by B through a link that names it: its clicks, the paid
    /// order and its commission show beside the platform's plays, per video and per promoter; the
    /// same day pushed twice counts once; a future day is refused; B sees only B's own shares.
    @Test(arguments: TestDatabase.available)
    func contentPerformancePutsThePlatformBesideTuike(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await GoodsWorld.make(client)
            let created = try await client.send(.post, "/api/v1/videos", body: """
                {"title":"T恤上身实拍","url":"https://channels.weixin.qq.com/v/abc123","product_ids":["\(world.product)"]}
                """)
            #expect(created.status == .created, "\(created.text)")
            let video = try #require(created.json["id"] as? String)
            let link = try await client.send(.post, "/api/v1/links", body: #"{"promoter_id":"\#(world.b)","product_id":"\#(world.product)","video_id":"\#(video)"}"#)
            #expect(link.json["video_id"] as? String == video, "\(link.text)")
            let code = try #require(link.json["code"] as? String)
            let visitor = "visitor-video-0001"
            _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"\#(visitor)"}"#)
            _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"visitor-video-0002"}"#)
            let order = try await client.send(.post, "/api/v1/orders", body: """
                {"buyer_id":"fan-1","items":[{"product_id":"\(world.product)","quantity":1,"sku":"TS-W-L"}],"visitor_id":"\(visitor)","shipping_address":\(GoodsWorld.address)}
                """).json["id"] as! String
            // Paid ten minutes after the click: the funnel's median from click to payment.
            try await client.advance(seconds: 600)
            _ = try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"pay-video"}"#)

            let today = String(try await client.advance(seconds: 0).prefix(10))
            let stats = #"{"day":"\#(today)","plays":1200,"likes":80,"comments":9,"shares":30}"#
            #expect(try await client.send(.put, "/api/v1/videos/\(video)/stats", body: stats).status == .ok)
            #expect(try await client.send(.put, "/api/v1/videos/\(video)/stats", body: stats).status == .ok)
            _ = try await client.send(.put, "/api/v1/videos/\(video)/stats", body: #"{"day":"\#(today)","promoter_id":"\#(world.b)","plays":400,"likes":20,"comments":2,"shares":12}"#)
            expectError(try await client.send(.put, "/api/v1/videos/\(video)/stats", body: #"{"day":"2999-01-01","plays":1,"likes":0,"comments":0,"shares":0}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.put, "/api/v1/videos/\(video)/stats", body: #"{"day":"\#(today)","plays":-1,"likes":0,"comments":0,"shares":0}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/videos", body: #"{"title":"x","url":"http://insecure.example.com/v"}"#),
                        .unprocessableContent, "validation_failed")

            let table = try #require(try await client.send(.get, "/api/v1/video-performance").json["data"] as? [[String: Any]])
            let row = try #require(table.first)
            #expect(row["plays"] as? Int == 1200 && row["likes"] as? Int == 80 && row["clicks"] as? Int == 2, "\(row)")
            #expect(row["orders"] as? Int == 1 && row["gmv"] as? Int == 9900 && row["commission"] as? Int == 2475, "\(row)")
            let perPromoter = try #require(try await client.send(.get, "/api/v1/videos/\(video)/performance").json["data"] as? [[String: Any]])
            #expect(perPromoter.first?["promoter_id"] as? String == world.b && perPromoter.first?["plays"] as? Int == 400)

            let token = try #require(try await client.send(.post, "/api/v1/promoters/\(world.b)/tokens").json["token"] as? String)
            let own = try await client.send(.get, "/api/v1/promoters/\(world.b)/videos", headers: [.authorization: "Bearer \(token)"]).json["data"] as? [[String: Any]]
            #expect(own?.first?["orders"] as? Int == 1 && own?.first?["clicks"] as? Int == 2)
            expectError(try await client.send(.get, "/api/v1/promoters/\(world.a)/videos", headers: [.authorization: "Bearer \(token)"]), .forbidden, "forbidden")

            // The video's funnel: the platform's plays, then its links' clicks and what they led
            // to; a promoter's share with its own plays; the same after the days are rolled up.
            func funnel(_ query: String, headers: HTTPFields = adminAuth) async throws -> [String: Any] {
                let response = try await client.send(.get, "/api/v1/reports/funnel?\(query)", headers: headers)
                #expect(response.status == .ok, "\(response.text)")
                return response.json
            }
            let span = "from=2020-01-01&to=2030-12-31"
            func expectVideoFunnel() async throws {
                let whole = try await funnel("video_id=\(video)&\(span)")
                #expect(whole["plays"] as? Int == 1200 && whole["clicks"] as? Int == 2 && whole["visitors"] as? Int == 2 && whole["orders"] as? Int == 1
                        && whole["paid"] as? Int == 1 && whole["gmv"] as? Int == 9900, "\(whole)")
                // Within a tenth of the 600 seconds (the histogram's bucket).
                let median = try #require(whole["median_click_to_pay_seconds"] as? Int, "\(whole)")
                #expect(abs(median - 600) <= 60, "\(median)")
                let share = try await funnel("video_id=\(video)&\(span)", headers: [.authorization: "Bearer \(token)"])
                #expect(share["plays"] as? Int == 400 && share["clicks"] as? Int == 2 && share["paid"] as? Int == 1, "\(share)")
                let none = try await funnel("video_id=\(video)&promoter_id=\(world.a)&\(span)")
                #expect(none["plays"] as? Int == 0 && none["clicks"] as? Int == 0 && none["median_click_to_pay_seconds"] is NSNull, "\(none)")
            }
            try await expectVideoFunnel()
            expectError(try await client.send(.get, "/api/v1/reports/funnel?video_id=vid_nope"), .notFound, "not_found")
            expectError(try await client.send(.get, "/api/v1/reports/funnel?video_id=\(video)&promoter_id=\(world.a)", headers: [.authorization: "Bearer \(token)"]),
                        .forbidden, "forbidden")
            try await client.advance(seconds: 2 * 86_400)
            try await expectVideoFunnel()
            // Archived: gone for promoters, still there for the merchant.
            #expect(try await client.send(.patch, "/api/v1/videos/\(video)", body: #"{"status":"archived"}"#).status == .ok)
            expectError(try await client.send(.get, "/api/v1/reports/funnel?video_id=\(video)", headers: [.authorization: "Bearer \(token)"]), .notFound, "not_found")
            #expect(try await funnel("video_id=\(video)&\(span)")["clicks"] as? Int == 2)
        }
    }

    /// In the portal a promoter sees each video with their own figures, and gets a share link once.
    @Test(arguments: TestDatabase.available)
    func promotersSeeTheirVideoSharesInThePortal(database kind: TestDatabase) async throws {
        try await withTestApp(kind, demo: true) { client, _ async throws in
            let seller = try await ConsoleBrowser.portal(client, phone: "13800138004", password: "tuike-demo")
            let page = try await seller.get("/me/videos")
            #expect(page.status == .ok && page.text.contains("T 恤上身实拍") && page.text.contains("/r/"), "\(page.text.prefix(300))")
            let teacher = try await ConsoleBrowser.portal(client, phone: "13800138001", password: "tuike-demo")
            let before = try await teacher.get("/me/videos")
            let video = try #require(before.text.range(of: #"data-video="(vid_[A-Za-z0-9]+)""#, options: .regularExpression).map {
                String(before.text[$0].dropFirst(12).dropLast())
            })
            #expect(before.text.contains("/me/videos/\(video)/link"))
            let nonce = Identifier.secret(length: 24)
            for _ in 0..<2 { #expect(try await teacher.post("/me/videos/\(video)/link", [:], nonce: nonce).status == .seeOther) }
            let after = try await teacher.get("/me/videos")
            #expect(!after.text.contains("/me/videos/\(video)/link") && after.text.contains("/r/"))
            let links = try await client.send(.get, "/api/v1/links?limit=100").json["data"] as? [[String: Any]] ?? []
            #expect(links.filter { $0["video_id"] as? String == video }.count == 2)
        }
    }

    /// A link naming a video and a product must name a product the video shows; a video's cover
    /// can be set and cleared.
    @Test(arguments: TestDatabase.available)
    func videoLinksAndCoversAreChecked(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await GoodsWorld.make(client)
            let other = try #require(try await client.send(.post, "/api/v1/products", body: #"{"title":"别的课","price":1000}"#).json["id"] as? String)
            let video = try #require(try await client.send(.post, "/api/v1/videos", body: """
                {"title":"T恤上身实拍","url":"https://channels.weixin.qq.com/v/abc124","product_ids":["\(world.product)"]}
                """).json["id"] as? String)
            expectError(try await client.send(.post, "/api/v1/links", body: #"{"promoter_id":"\#(world.b)","product_id":"\#(other)","video_id":"\#(video)"}"#),
                        .unprocessableContent, "validation_failed")
            #expect(try await client.send(.post, "/api/v1/links", body: #"{"promoter_id":"\#(world.b)","video_id":"\#(video)"}"#).status == .created)

            let cover = try #require(try await client.upload(try TestImages.png()).json["id"] as? String)
            let covered = try await client.send(.patch, "/api/v1/videos/\(video)", body: #"{"cover_media_id":"\#(cover)"}"#)
            #expect(covered.json["cover_media_id"] as? String == cover, "\(covered.text)")
            let cleared = try await client.send(.patch, "/api/v1/videos/\(video)", body: #"{"cover_media_id":null}"#)
            #expect(cleared.json["cover_media_id"] is NSNull, "\(cleared.text)")
            expectError(try await client.send(.patch, "/api/v1/videos/\(video)", body: #"{"cover_media_id":5}"#), .badRequest, "invalid_request")
        }
    }
}
