import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

/// Templates rendered from fixture data, without a database: every user text is escaped.
@Suite struct TemplateTests {
    static let hostile = #"<script>alert("x")</script> & 'quotes'"#
    static let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;"

    @Test func everyTemplateRendersInBothLanguages() {
        for name in Templates.sources.keys where name != "head" && name != "foot" {
            for language in [Language.zh, .en] {
                let html = Templates.render(name, title: "T", language: language, context: [:])
                #expect(html.hasPrefix("<!doctype html>") && html.contains("</html>"), "\(name) \(language)")
                #expect(html.contains(#"lang="\#(language.htmlTag)""#))
                #expect(html.contains(language.strings["shop"]!))
            }
        }
        #expect(Set(Strings.zh.keys) == Set(Strings.en.keys), "both languages are complete")
    }

    @Test func userTextIsEscapedEverywhere() {
        let product: [String: Any] = ["id": "p1", "title": Self.hostile, "description": Self.hostile, "price": "1.00"]
        let pages = [
            Templates.render("index", title: Self.hostile, language: .zh, context: ["products": [product]]),
            Templates.render("product", title: "x", language: .en, context: ["product": product, "csrf": "tok",
                                                                                 "campaign": ["product_id": "p1", "size": 3, "groups": [] as [Any]]]),
            Templates.render("group", title: "x", language: .zh, context: ["product_title": Self.hostile, "group": ["id": "g1", "status": "forming"],
                                                                              "share_url": Self.hostile, "labels": Self.hostile]),
            Templates.render("message", title: Self.hostile, language: .en, context: ["message": Self.hostile]),
        ]
        for html in pages {
            #expect(!html.contains("<script>alert"), "\(html)")
            #expect(html.contains(Self.escaped), "\(html)")
        }
    }

    @Test func languageFollowsTheQueryThenTheBrowser() {
        func request(_ uri: String, _ accept: String?) -> Request {
            var head = HTTPRequest(method: .get, scheme: "http", authority: "x", path: uri)
            if let accept { head.headerFields[.acceptLanguage] = accept }
            return Request(head: head, body: .init(buffer: ByteBuffer()))
        }
        #expect(Language.of(request("/", nil)) == .zh)
        #expect(Language.of(request("/", "en-US,en;q=0.9")) == .en)
        #expect(Language.of(request("/", "zh-CN,zh;q=0.9,en;q=0.8")) == .zh)
        #expect(Language.of(request("/?lang=en", "zh-CN")) == .en)
        #expect(Language.of(request("/?lang=zh", "en")) == .zh)
    }
}

@Suite struct StorefrontTests {
    /// A visitor from a promoter's link opens the course page, joins a forming group with the
    /// form (CSRF token from the page's cookie), pays in the sandbox checkout, and the group page
    /// shows the new member; the order is attributed to the promoter.
    @Test(arguments: TestDatabase.available)
    func aVisitorJoinsAGroupFromTheCoursePage(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let (campaign, product, promoter) = try await client.groupCampaign(size: 3)
            let (group, leaderOrder) = try await client.openGroup(campaign)
            _ = try await client.pay(leaderOrder)

            let visitorCookie = "tk_vid=group-visitor-0003"
            let page = try await client.send(.get, "/p/\(product)", headers: [.cookie: visitorCookie])
            #expect(page.status == .ok && page.text.contains("/g/\(group)/join") && page.text.contains("data-countdown"), "\(page.text)")
            let setCookie = try #require(page.headers[.setCookie])
            let token = try #require(setCookie.split(separator: ";").first?.split(separator: "=").last.map(String.init))
            let cookies: HTTPFields = [.cookie: "\(visitorCookie); tk_csrf=\(token)", .contentType: "application/x-www-form-urlencoded"]

            let forged = try await client.send(.post, "/g/\(group)/join", headers: cookies, body: "_csrf=forged")
            #expect(forged.status == .forbidden && forged.headers[.contentType]?.hasPrefix("text/html") == true)
            let joined = try await client.send(.post, "/g/\(group)/join", headers: cookies, body: "_csrf=\(token)")
            #expect(joined.status == .seeOther, "\(joined.text)")
            let checkout = try #require(joined.headers[.location])
            let order = String(checkout.dropFirst("/pay/".count))
            let view = try await client.send(.get, "/api/v1/orders/\(order)").json
            #expect(view["buyer_id"] as? String == "guest-group-visitor-0003" && view["promoter_id"] as? String == promoter, "\(view)")

            #expect(try await client.send(.post, "/pay/\(order)", headers: [:]).status == .seeOther)
            let paid = try await client.send(.get, checkout, headers: [:])
            #expect(paid.text.contains("/g/\(group)"))
            let groupPage = try await client.send(.get, "/g/\(group)?lang=en", headers: [:])
            #expect(groupPage.text.contains(#"<b data-members>2</b>/3"#) && groupPage.text.contains("Forming"), "\(groupPage.text)")
            let again = try await client.send(.post, "/g/\(group)/join", headers: cookies, body: "_csrf=\(token)")
            #expect(again.status == .conflict && again.text.contains("already holds a slot"))
            #expect(try await client.send(.get, "/g/grp_nothing", headers: [:]).status == .notFound)
            let css = try await client.send(.get, "/assets/tuike.css", headers: [:])
            #expect(css.headers[.contentType]?.hasPrefix("text/css") == true)
        }
    }
}
