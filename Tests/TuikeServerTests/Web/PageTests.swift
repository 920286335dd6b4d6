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
        for name in Templates.sources.keys where !["head", "foot", "console_nav", "console_action"].contains(name) {
            for language in [Language.zh, .en] {
                let html = Templates.render(name, title: "T", language: language, context: [:])
                #expect(html.hasPrefix("<!doctype html>") && html.contains("</html>"), "\(name) \(language)")
                #expect(html.contains(#"lang="\#(language.htmlTag)""#))
                #expect(html.contains(language.strings[.shop]))
            }
        }
        #expect(Set(Strings.allZh.keys) == Set(Strings.allEn.keys), "both languages are complete")
        #expect(Set(Strings.allZh.keys) == Set(Word.allCases.map(\.rawValue)), "every word is a Word, every Word has its words")
        // Templates name words as {{t.key}}: each must be a Word.
        for (name, source) in Templates.sources {
            for match in source.matches(of: /\{\{[#^\/]?t\.([a-z_0-9]+)\}\}/) {
                #expect(Word(rawValue: String(match.output.1)) != nil, "\(name): t.\(match.output.1)")
            }
        }
        #expect(Strings.allZh.count == Strings.zh.count + Strings.consoleZh.count, "the console's words take none of the pages'")
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
            Templates.render("checkout", title: "x", language: .zh, context: ["order_id": Self.hostile, "payable": true, "other_status": Self.hostile,
                                                                                 "lines": [["title": Self.hostile, "quantity": "1", "amount_paid": "1.00"]]]),
            Templates.render("console", title: "x", language: .zh, context: [
                "error": Self.hostile, "nav": [ConsoleView.link(Self.hostile, "/admin")], "user": ["username": Self.hostile],
                "sections": [ConsoleView.section("s", Self.hostile, note: Self.hostile,
                                                 form: ConsoleView.form("/a", submit: "go", fields: [ConsoleView.field(Self.hostile, "f", value: Self.hostile)]),
                                                 table: ConsoleView.table([Self.hostile], [ConsoleView.row("r", [ConsoleView.cell(Self.hostile, link: "/x")],
                                                                                                         actions: [ConsoleView.action(Self.hostile, "/b")])]))],
            ]),
        ]
        for html in pages {
            #expect(!html.contains("<script>alert"), "\(html)")
            #expect(html.contains(Self.escaped), "\(html)")
        }
    }

    @Test func languageFollowsTheQueryThenTheBrowser() {
        func request(_ uri: String, _ accept: String?, cookie: String? = nil) -> Request {
            var head = HTTPRequest(method: .get, scheme: "http", authority: "x", path: uri)
            if let accept { head.headerFields[.acceptLanguage] = accept }
            if let cookie { head.headerFields[.cookie] = cookie }
            return Request(head: head, body: .init(buffer: ByteBuffer()))
        }
        #expect(Language.of(request("/", nil)) == .zh)
        #expect(Language.of(request("/", "en-US,en;q=0.9")) == .en)
        #expect(Language.of(request("/", "zh-CN,zh;q=0.9,en;q=0.8")) == .zh)
        #expect(Language.of(request("/?lang=en", "zh-CN")) == .en)
        #expect(Language.of(request("/?lang=zh", "en")) == .zh)
        #expect(Language.of(request("/admin", "zh-CN", cookie: "tk_lang=en")) == .en, "the cookie of an earlier ?lang= wins over the browser")
    }
}

@Suite struct StorefrontTests {
    /// The course list: every active course, the group price only where a campaign runs now (the
    /// newest when there are two), none for a paused one.
    @Test(arguments: TestDatabase.available)
    func theCourseListShowsRunningGroupPrices(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let (_, product, _) = try await client.groupCampaign()
            _ = try await client.send(.post, "/api/v1/group-campaigns", body: #"{"product_id":"\#(product)","group_price":9500,"group_size":2}"#)
            let other = try #require(try await client.send(.post, "/api/v1/products", body: #"{"title":"手机摄影","price":9900}"#).json["id"] as? String)
            let paused = try #require(try await client.send(.post, "/api/v1/group-campaigns",
                                                            body: #"{"product_id":"\#(other)","group_price":5000,"group_size":2}"#).json["id"] as? String)
            _ = try await client.send(.patch, "/api/v1/group-campaigns/\(paused)", body: #"{"status":"paused"}"#)
            let page = try await client.send(.get, "/", headers: [:]).text
            #expect(page.contains("零基础英语口语 30 天") && page.contains("手机摄影"))
            #expect(page.contains("拼团 ¥95.00") && !page.contains("拼团 ¥99.00") && !page.contains("¥50.00"), "\(page)")
        }
    }

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

            #expect(try await client.payInSandbox(order).status == .seeOther)
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

@Suite struct PortalTests {
    /// A promoter logs in with phone and password, sees its own money and commissions, asks for a
    /// withdrawal with the form, and logs out; wrong passwords and forged forms change nothing.
    @Test(arguments: TestDatabase.available)
    func aPromoterLogsInSeesItsCommissionAndWithdraws(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await OrdersAPITests.world(client)
            let phone = "13900139\(String(Int.random(in: 100...999)))"
            let promoter = try await client.createPromoter("推客小王", phone: phone, parent: world.a)["id"] as! String
            let code = try await client.createLink(promoter: promoter, product: world.product).json["code"] as! String
            _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"visitor-portal-0001"}"#)
            _ = try await client.paidOrder((world.product, world.a, promoter, "visitor-portal-0001"), buyer: "portal-buyer", payment: "portal-pay")
            _ = try await client.send(.post, "/api/v1/adjustments", body: #"{"promoter_id":"\#(promoter)","amount":20000,"reason":"bonus"}"#)

            let token = try await client.promoterToken(promoter)
            expectError(try await client.send(.put, "/api/v1/promoters/\(world.a)/password", headers: token, body: #"{"password":"secret-123"}"#),
                        .forbidden, "forbidden")
            expectError(try await client.send(.put, "/api/v1/promoters/\(promoter)/password", headers: token, body: #"{"password":"short"}"#),
                        .unprocessableContent, "validation_failed")
            #expect(try await client.send(.put, "/api/v1/promoters/\(promoter)/password", headers: token, body: #"{"password":"secret-123"}"#).status == .noContent)

            #expect(try await client.send(.get, "/me", headers: [:]).headers[.location] == "/me/login")
            let form = try await client.send(.get, "/me/login", headers: [:])
            let csrf = try #require(form.headers[values: .setCookie].first { $0.hasPrefix("tk_csrf=") }?.split(separator: ";").first?.dropFirst(8))
            let formHeaders: HTTPFields = [.cookie: "tk_csrf=\(csrf)", .contentType: "application/x-www-form-urlencoded"]
            let wrong = try await client.send(.post, "/me/login", headers: formHeaders, body: "_csrf=\(csrf)&phone=\(phone)&password=wrong-pass")
            #expect(wrong.status == .unauthorized && wrong.text.contains("手机号或密码不正确"))
            expectError(try await client.send(.post, "/me/login", headers: formHeaders, body: "_csrf=forged&phone=\(phone)&password=secret-123"),
                        .forbidden, "csrf_failed")
            let login = try await client.send(.post, "/me/login", headers: formHeaders, body: "_csrf=\(csrf)&phone=\(phone)&password=secret-123")
            #expect(login.status == .seeOther && login.headers[.location] == "/me", "\(login.text)")
            let session = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("tk_session=") })
            #expect(session.contains("HttpOnly") && session.contains("SameSite=Lax"))
            let cookie = "tk_csrf=\(csrf); \(session.split(separator: ";")[0])"

            let dashboard = try await client.send(.get, "/me?lang=en", headers: [.cookie: cookie])
            #expect(dashboard.status == .ok && dashboard.text.contains("推客小王"), "\(dashboard.text)")
            #expect(dashboard.text.contains(#"data-balance="pending">¥100.00"#) && dashboard.text.contains(#"data-balance="available">¥200.00"#))
            #expect(dashboard.text.contains("2000 bps of 50000") && dashboard.text.contains("/r/\(code)"))
            let post: HTTPFields = [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"]
            let asked = try await client.send(.post, "/me/withdraw", headers: post, body: "_csrf=\(csrf)&amount=150.5&channel=alipay")
            #expect(asked.status == .seeOther, "\(asked.text)")
            #expect(try await client.balance(promoter)["withdrawing"] == 15_050)
            let tooMuch = try await client.send(.post, "/me/withdraw", headers: post, body: "_csrf=\(csrf)&amount=1000&channel=alipay")
            #expect(tooMuch.status == .conflict && tooMuch.text.contains("exceeds"))
            #expect(try await client.send(.post, "/me/logout", headers: post, body: "_csrf=\(csrf)").headers[.location] == "/me/login")
            #expect(try await client.send(.get, "/me", headers: [.cookie: cookie]).headers[.location] == "/me/login")
        }
    }
}

@Suite struct MoneyParsingTests {
    @Test func yuanAsPeopleTypeThem() {
        #expect(Money.parse("100") == 10_000)
        #expect(Money.parse("100.5") == 10_050)
        #expect(Money.parse(" 99.90 ") == 9_990)
        #expect(Money.parse("0.01") == 1)
        for bad in ["", "-1", "1.234", "1e3", "1,000", "abc", ".5", "5.", "１００", "99999999999"] { #expect(Money.parse(bad) == nil, "\(bad)") }
    }
}

@Suite struct ConsoleTests {
    static func login(_ client: any TestClientProtocol, _ username: String) async throws -> (cookie: String, csrf: String) {
        let form = try await client.send(.get, "/admin/login", headers: [:])
        let csrf = try #require(form.headers[values: .setCookie].first { $0.hasPrefix("tk_csrf=") }?.split(separator: ";").first?.dropFirst(8))
        let login = try await client.send(.post, "/admin/login", headers: [.cookie: "tk_csrf=\(csrf)", .contentType: "application/x-www-form-urlencoded"],
                                          body: "_csrf=\(csrf)&username=\(username)&password=console-pass")
        #expect(login.status == .seeOther, "\(login.text)")
        let session = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("tk_session=") }?.split(separator: ";").first)
        return ("tk_csrf=\(csrf); \(session)", String(csrf))
    }

    /// Finance approves a withdrawal from the queue; an operator may look but not approve.
    @Test(arguments: TestDatabase.available)
    func onlyFinanceApprovesWithdrawals(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            for (name, role) in [("fin", "finance"), ("ops", "operator")] {
                let created = try await client.send(.post, "/api/v1/admin-users", body: #"{"username":"\#(name)","password":"console-pass","role":"\#(role)"}"#)
                #expect(created.status == .created, "\(created.text)")
            }
            expectError(try await client.send(.post, "/api/v1/admin-users", body: #"{"username":"fin","password":"console-pass","role":"finance"}"#),
                        .conflict, "username_taken")
            expectError(try await client.send(.post, "/api/v1/admin-users", body: #"{"username":"boss","password":"console-pass","role":"king"}"#),
                        .unprocessableContent, "validation_failed")
            let promoter = try await client.createPromoter("P")["id"] as! String
            _ = try await client.send(.post, "/api/v1/adjustments", body: #"{"promoter_id":"\#(promoter)","amount":30000,"reason":"bonus"}"#)
            let withdrawal = try await client.send(.post, "/api/v1/withdrawals", body: #"{"promoter_id":"\#(promoter)","amount":20000,"channel":"bank"}"#)
            let id = try #require(withdrawal.json["id"] as? String)
            #expect(try await client.send(.get, "/admin", headers: [:]).headers[.location] == "/admin/login")

            let ops = try await Self.login(client, "ops")
            let opsPage = try await client.send(.get, "/admin", headers: [.cookie: ops.cookie])
            #expect(opsPage.status == .ok && opsPage.text.contains(#"data-withdrawal="\#(id)""#) && opsPage.text.contains("<svg"), "\(opsPage.text)")
            let refused = try await client.send(.post, "/admin/withdrawals/\(id)/approve",
                                                headers: [.cookie: ops.cookie, .contentType: "application/x-www-form-urlencoded"], body: "_csrf=\(ops.csrf)")
            #expect(refused.status == .forbidden)
            #expect(try await client.send(.get, "/api/v1/withdrawals/\(id)").json["status"] as? String == "requested")

            let fin = try await Self.login(client, "fin")
            let approved = try await client.send(.post, "/admin/withdrawals/\(id)/approve",
                                                 headers: [.cookie: fin.cookie, .contentType: "application/x-www-form-urlencoded"], body: "_csrf=\(fin.csrf)")
            #expect(approved.status == .seeOther, "\(approved.text)")
            let paid = try await client.send(.get, "/api/v1/withdrawals/\(id)").json
            #expect(paid["status"] as? String == "paid" && paid["decided_by"] as? String == "admin:console:fin", "\(paid)")
            let promoterPage = try await client.send(.get, "/admin", headers: [.cookie: fin.cookie])
            #expect(!promoterPage.text.contains(#"data-withdrawal="\#(id)""#))
        }
    }
}

@Suite struct ApplicationFormTests {
    /// Someone applies with the form (agreement shown, signed by name, password chosen); an admin
    /// approves; the new promoter logs in. A bad form comes back with the problem and no password.
    @Test(arguments: TestDatabase.available)
    func applyThenLogIn(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let inviter = try await client.createPromoter("张老师")
            let form = try await client.send(.get, "/me/apply?invite=\(inviter["invite_code"] as! String)", headers: [:])
            #expect(form.status == .ok && form.text.contains(inviter["invite_code"] as! String) && form.text.contains("SHA-256"), "\(form.text)")
            let csrf = try #require(form.headers[values: .setCookie].first { $0.hasPrefix("tk_csrf=") }?.split(separator: ";").first?.dropFirst(8))
            let version = try #require(try await client.send(.get, "/api/v1/agreements/current", headers: [:]).json["version"] as? String)
            let headers: HTTPFields = [.cookie: "tk_csrf=\(csrf)", .contentType: "application/x-www-form-urlencoded"]
            let base = "_csrf=\(csrf)&agreement_version=\(version)&name=%E5%B0%8F%E9%99%88&phone=13700137001&invite_code=\(inviter["invite_code"] as! String)"
            let unsigned = try await client.send(.post, "/me/apply", headers: headers, body: base + "&password=secret-123&signed_name=")
            #expect(unsigned.status == .unprocessableContent && unsigned.text.contains("signed_name") && !unsigned.text.contains("secret-123"))
            let signed = base + "&password=secret-123&signed_name=%E5%B0%8F%E9%99%88&_nonce=apply-nonce-000000001"
            let applied = try await client.send(.post, "/me/apply", headers: headers, body: signed)
            #expect(applied.status == .ok && applied.text.contains("申请已提交"), "\(applied.text)")
            let again = try await client.send(.post, "/me/apply", headers: headers, body: signed)
            #expect(again.status == .ok && again.text == applied.text, "a double submit gets the first answer")

            let applications = try #require(try await client.send(.get, "/api/v1/promoter-applications").json["data"] as? [[String: Any]])
            #expect(applications.count == 1, "a double submit is one application")
            let pending = try #require(applications.first)
            #expect(pending["name"] as? String == "小陈" && pending["parent_id"] as? String == inviter["id"] as? String)
            let login = "_csrf=\(csrf)&phone=13700137001&password=secret-123"
            #expect(try await client.send(.post, "/me/login", headers: headers, body: login).status == .unauthorized, "not approved yet")
            _ = try await client.send(.post, "/api/v1/promoter-applications/\(pending["id"] as! String)/approve", body: "{}")
            #expect(try await client.send(.post, "/me/login", headers: headers, body: login).status == .seeOther)
        }
    }
}

@Suite struct SecureCookieTests {
    /// Behind HTTPS every cookie is `Secure`; over plain HTTP none is (a browser would drop it).
    @Test func cookiesAreSecureOnlyBehindHTTPS() async throws {
        for (url, secure) in [("https://shop.example.com", true), ("http://localhost:8080", false)] {
            let router = Router(context: TuikeRequestContext.self)
            router.middlewares.add(SecureCookieMiddleware(publicURL: url))
            router.get("/c") { _, _ -> Response in
                var response = Response(status: .ok)
                response.headers.append(HTTPField(name: .setCookie, value: "a=1; Path=/; HttpOnly"))
                response.headers.append(HTTPField(name: .setCookie, value: "b=2; Path=/"))
                return response
            }
            try await Application(router: router).test(.router) { client in
                let cookies = try await client.execute(uri: "/c", method: .get).headers[values: .setCookie]
                #expect(cookies.count == 2 && cookies.allSatisfy { $0.hasSuffix("; Secure") == secure }, "\(url): \(cookies)")
            }
        }
    }
}
