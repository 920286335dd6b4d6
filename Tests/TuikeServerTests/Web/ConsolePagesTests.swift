import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

/// A console user's browser: its cookies, and form posts that carry the CSRF token and a nonce.
struct ConsoleBrowser {
    let client: any TestClientProtocol
    let cookie: String
    let csrf: String

    /// A promoter's portal session, logged in with phone and password through the login form.
    static func portal(_ client: any TestClientProtocol, phone: String, password: String) async throws -> ConsoleBrowser {
        let form = try await client.send(.get, "/me/login", headers: [:])
        let csrf = try #require(form.headers[values: .setCookie].first { $0.hasPrefix("tk_csrf=") }?.split(separator: ";").first?.dropFirst(8))
        let login = try await client.send(.post, "/me/login", headers: [.cookie: "tk_csrf=\(csrf)", .contentType: "application/x-www-form-urlencoded"],
                                          body: "_csrf=\(csrf)&phone=\(phone)&password=\(password)")
        let session = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("tk_session=") }?.split(separator: ";").first)
        return ConsoleBrowser(client: client, cookie: "tk_csrf=\(csrf); \(session)", csrf: String(csrf))
    }

    static func logIn(_ client: any TestClientProtocol, as role: String) async throws -> ConsoleBrowser {
        let created = try await client.send(.post, "/api/v1/admin-users", body: #"{"username":"\#(role)-user","password":"console-pass","role":"\#(role)"}"#)
        #expect(created.status == .created, "\(created.text)")
        let (cookie, csrf) = try await ConsoleTests.login(client, "\(role)-user")
        return ConsoleBrowser(client: client, cookie: cookie, csrf: csrf)
    }

    /// A logged-in console user of each role, by role.
    static func everyRole(_ client: any TestClientProtocol) async throws -> [String: ConsoleBrowser] {
        var browsers: [String: ConsoleBrowser] = [:]
        for role in SessionRepository.roles { browsers[role] = try await logIn(client, as: role) }
        return browsers
    }

    func get(_ path: String) async throws -> TestResponse {
        try await client.send(.get, path, headers: [.cookie: cookie])
    }

    func post(_ path: String, _ fields: [String: String], nonce: String = Identifier.secret(length: 24), csrf: String? = nil) async throws -> TestResponse {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let body = (fields.merging(["_csrf": csrf ?? self.csrf, "_nonce": nonce]) { $1 })
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
        return try await client.send(.post, path, headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"], body: body)
    }
}

@Suite struct ConsolePagesTests {
    /// Every status, kind and trigger a console table shows has words in both languages (a
    /// scheduled settlement's trigger once showed as the raw `scheduled` in the Chinese console).
    @Test func everyLabelledValueIsTranslated() {
        let labelled: [(prefix: String, values: [String])] = [
            ("kind", Product.Kind.allCases.map(\.rawValue)),
            ("state", Product.Status.allCases.map(\.rawValue) + Order.Status.allCases.map(\.rawValue) + Promoter.Status.allCases.map(\.rawValue)
                + GroupStatus.allCases.map(\.rawValue) + GroupCampaign.Status.allCases.map(\.rawValue)),
            ("trigger", SettlementBatch.Trigger.allCases.map(\.rawValue)),
            ("appeal", Appeal.Status.allCases.map(\.rawValue)),
            ("commission", Commission.Status.allCases.map(\.rawValue)),
            ("withdrawal", WithdrawalStatus.allCases.map(\.rawValue)),
            ("role", SessionRepository.roles),
            ("status", GroupStatus.allCases.map(\.rawValue)),
            ("risk", RiskCode.allCases.map(\.rawValue)), ("risk_unit", RiskCode.allCases.map(\.rawValue)),
            ("risk_mode", RiskMode.allCases.map(\.rawValue)), ("risk_case", RiskCase.Status.allCases.map(\.rawValue)),
        ]
        for (prefix, values) in labelled {
            for value in values {
                #expect(Strings.allZh["\(prefix)_\(value)"] != nil && Strings.allEn["\(prefix)_\(value)"] != nil, "\(prefix)_\(value)")
            }
        }
    }

    /// Every page opens for the roles it is meant for and is a 403 page for the others; without a
    /// session every page sends to the login form.
    @Test(arguments: TestDatabase.available)
    func pagesFollowTheRoles(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let browsers = try await ConsoleBrowser.everyRole(client)
            for page in ConsoleController.pages where !page.path.contains("{") {
                #expect(try await client.send(.get, page.path, headers: [:]).headers[.location] == "/admin/login", "\(page.path)")
                for (role, browser) in browsers {
                    let response = try await browser.get(page.path)
                    #expect(response.status == (page.roles.contains(role) ? .ok : .forbidden), "\(role) \(page.path): \(response.text)")
                    if page.roles.contains(role) {
                        #expect(!response.text.contains("data-error"), "\(role) \(page.path): \(response.text)")
                        // Reports whose forms only ask (GET) carry no CSRF token.
                        let readOnly = page.path == "/admin/reconciliation" || page.path.hasPrefix("/admin/analytics")
                        #expect(response.text.contains(#"class="on""#) && (response.text.contains(#"name="_csrf""#) || readOnly), "\(page.path)")
                    }
                }
            }
            let operatorNav = try await browsers["operator"]!.get("/admin").text
            #expect(operatorNav.contains(#"href="/admin/products""#) && !operatorNav.contains(#"href="/admin/settlements""#))
            let financeNav = try await browsers["finance"]!.get("/admin?lang=en").text
            #expect(financeNav.contains(#"href="/admin/reconciliation""#) && !financeNav.contains(#"href="/admin/settings""#) && financeNav.contains("Reconciliation"))
        }
    }

    /// Every role that may submit a form may open the page the form goes back to (a finance user
    /// retrying a group refund once landed on a 403 page).
    @Test func everyFormGoesBackToAPageItsRolesMayOpen() {
        for action in ConsoleController.actions {
            let back = String(action.back.prefix { $0 != "?" })
            if back == "/admin" { continue }  // the dashboard: every role sees it
            let page = ConsoleController.pages.first { $0.path == back }
            #expect(page != nil, "\(action.path) goes back to \(back)")
            if let page { #expect(action.roles.isSubset(of: page.roles), "\(action.path): \(action.roles.subtracting(page.roles)) may not open \(back)") }
        }
    }

    /// A console form is the API request it stands for: accepted → back with a notice; refused →
    /// the page again with the API's own message and status, nothing changed; the same form twice
    /// (same nonce) is one change; a form without the CSRF token changes nothing.
    @Test(arguments: TestDatabase.available)
    func formsAreTheAPIsRequests(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let owner = try await ConsoleBrowser.logIn(client, as: "owner")
            let fields = ["title": TemplateTests.hostile, "price": "12.50", "kind": "course"]
            let created = try await owner.post("/admin/products", fields, nonce: "nonce-one-0123456789")
            #expect(created.status == .seeOther && created.headers[.location] == "/admin/products?notice=done", "\(created.text)")
            #expect(try await owner.post("/admin/products", fields, nonce: "nonce-one-0123456789").status == .seeOther)
            var products = try await client.send(.get, "/api/v1/products").json["data"] as? [[String: Any]] ?? []
            #expect(products.count == 1 && products.first?["price"] as? Int == 1250, "\(products)")
            let list = try await owner.get("/admin/products?notice=done")
            #expect(list.text.contains(TemplateTests.escaped) && !list.text.contains("<script>alert") && list.text.contains("data-notice"))

            let bad = try await owner.post("/admin/products", ["title": "X", "price": "abc"])
            #expect(bad.status == .unprocessableContent && bad.text.contains("price must be an amount"), "\(bad.text)")
            let refused = try await owner.post("/admin/products", ["title": "", "price": "1.00"])
            #expect(refused.status == .unprocessableContent && refused.text.contains("data-error"), "\(refused.text)")
            #expect(try await owner.post("/admin/products", ["title": "Y", "price": "1.00"], csrf: "wrong-token-0123456789012345678901").status == .forbidden)
            products = try await client.send(.get, "/api/v1/products").json["data"] as? [[String: Any]] ?? []
            #expect(products.count == 1)

            let product = try #require(products.first?["id"] as? String)
            #expect(try await owner.post("/admin/products/\(product)/status", ["status": "archived"]).status == .seeOther)
            #expect(try await client.send(.get, "/api/v1/products/\(product)").json["status"] as? String == "archived")

            let before = try await client.send(.get, "/api/v1/program").text
            var settings = ["levels": "6000,500", "rule_type": "percent", "max_total_bps": "5000", "attribution_model": "last_click",
                            "window_days": "15", "binding_days": "0", "freeze_days": "10", "settlement_cycle": "monthly", "time_zone": "Asia/Shanghai",
                            "tax_mode": "prc_labor", "min_amount": "50.00", "fee_bps": "100", "channels": "bank,alipay",
                            "auto_approve_promoters": "true", "order_timeout_seconds": "900"]
            let overCap = try await owner.post("/admin/settings", settings)
            #expect(overCap.status == .unprocessableContent && overCap.text.contains("data-error"), "\(overCap.text)")
            #expect(try await client.send(.get, "/api/v1/program").text == before, "unchanged")
            settings["levels"] = "2000,500"
            #expect(try await owner.post("/admin/settings", settings).status == .seeOther)
            let after = try await client.send(.get, "/api/v1/program").json
            #expect(after["freeze_days"] as? Int == 10 && after["levels"] as? [Int] == [2000, 500] && after["tax_mode"] as? String == "prc_labor")
            #expect((after["withdrawal"] as? [String: Any])?["min_amount"] as? Int == 5000 && after["auto_approve_promoters"] as? Bool == true)
            let form = try await owner.get("/admin/settings").text
            #expect(form.contains(#"value="prc_labor" selected"#) && form.contains(#"value="50.00""#), "\(form)")
        }
    }

    /// Operators review applications and suspend promoters; group campaigns are made from the console.
    @Test(arguments: TestDatabase.available)
    func operatorsReviewPromotersAndRunCampaigns(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let ops = try await ConsoleBrowser.logIn(client, as: "operator")
            var ids: [String] = []
            for (name, phone) in [("Li", "13700000001"), ("Wang", "13700000002")] {
                let applied = try await client.send(.post, "/api/v1/promoter-applications", headers: jsonOnly,
                                                    body: #"{"name":"\#(name)","phone":"\#(phone)","agreement_version":"1","signed_name":"\#(name)"}"#)
                ids.append(try #require(applied.json["id"] as? String, "\(applied.text)"))
            }
            let page = try await ops.get("/admin/promoters")
            #expect(page.text.contains(#"data-row="\#(ids[0])""#) && page.text.contains("137****0001"), "\(page.text)")
            #expect(try await ops.post("/admin/applications/\(ids[0])/approve", [:]).status == .seeOther)
            let noReason = try await ops.post("/admin/applications/\(ids[1])/reject", [:])
            #expect(noReason.status == .unprocessableContent)
            #expect(try await ops.post("/admin/applications/\(ids[1])/reject", ["reason": "资料不全"]).status == .seeOther)
            #expect(try await client.send(.get, "/api/v1/promoters/\(ids[1])").json["status"] as? String == "rejected")
            #expect(try await ops.post("/admin/promoters/\(ids[0])/suspend", ["reason": "投诉"]).status == .seeOther)
            #expect(try await client.send(.get, "/api/v1/promoters/\(ids[0])").json["status"] as? String == "suspended")
            let again = try await ops.post("/admin/promoters/\(ids[0])/suspend", ["reason": "投诉"])
            #expect(again.status == .conflict && again.text.contains("data-error"), "a suspended promoter cannot be suspended: \(again.text)")

            let product = try #require(try await client.send(.post, "/api/v1/products", body: #"{"title":"English","price":19900}"#).json["id"] as? String)
            let campaign = try await ops.post("/admin/group-campaigns", ["product_id": product, "group_size": "3", "group_price": "99.00",
                                                                         "leader_price": "89.00", "duration_hours": "24", "per_user_limit": "1"])
            #expect(campaign.status == .seeOther, "\(campaign.text)")
            let stored = try #require((try await client.send(.get, "/api/v1/group-campaigns").json["data"] as? [[String: Any]])?.first)
            #expect(stored["group_price"] as? Int == 9900 && stored["leader_price"] as? Int == 8900 && stored["duration_seconds"] as? Int == 86_400)
            let tooDear = try await ops.post("/admin/group-campaigns", ["product_id": product, "group_size": "3", "group_price": "299.00"])
            #expect(tooDear.status == .unprocessableContent, "above the list price: \(tooDear.text)")
            let groups = try await ops.get("/admin/groups")
            #expect(groups.status == .ok && groups.text.contains(#"id="campaign-\#(stored["id"] as! String)""#), "\(groups.text)")
            #expect(try await ops.post("/admin/group-campaigns/\(stored["id"] as! String)/status", ["status": "paused"]).status == .seeOther)
            #expect(try await client.send(.get, "/api/v1/group-campaigns/\(stored["id"] as! String)").json["status"] as? String == "paused")
        }
    }

    /// Finance refunds, settles, reads the statements and downloads the CSV files; operators may see
    /// the orders but not refund them.
    @Test(arguments: TestDatabase.available)
    func financeRefundsSettlesAndDownloads(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let (order, _, promoter) = try await RefundsAPITests.paidOrder(client)
            // Past the 7-day freeze first: the console sessions would not outlive the jump.
            _ = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":691200}"#)
            let finance = try await ConsoleBrowser.logIn(client, as: "finance")
            let ops = try await ConsoleBrowser.logIn(client, as: "operator")
            let orders = try await ops.get("/admin/orders?status=paid")
            #expect(orders.text.contains(#"data-row="\#(order)""#) && !orders.text.contains("/admin/orders/\(order)/refund"), "\(orders.text)")
            // The promoter by name (read for the whole table in one request), not by id.
            #expect(orders.text.contains(">B<") && !orders.text.contains(">\(promoter)<"), "\(orders.text)")
            #expect(try await ops.post("/admin/orders/\(order)/refund", ["amount": "10.00"]).status == .forbidden)
            let refund = try await finance.post("/admin/orders/\(order)/refund", ["amount": "200.00", "reason": "换课"])
            #expect(refund.status == .seeOther, "\(refund.text)")
            #expect(try await client.send(.get, "/api/v1/orders/\(order)").json["refunded"] as? Int == 20_000)
            let tooMuch = try await finance.post("/admin/orders/\(order)/refund", ["amount": "100000.00"])
            #expect(tooMuch.status.code >= 400 && tooMuch.text.contains("data-error"), "\(tooMuch.text)")
            #expect(try await client.send(.get, "/api/v1/orders/\(order)").json["refunded"] as? Int == 20_000)

            let now = try #require(try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":0}"#).json["now"] as? String)
            #expect(try await finance.post("/admin/settlements", ["period_end": now]).status == .seeOther)
            let batch = try #require((try await client.send(.get, "/api/v1/settlements").json["data"] as? [[String: Any]])?.first?["id"] as? String)
            let list = try await finance.get("/admin/settlements")
            #expect(list.text.contains("/admin/settlements/\(batch)"))
            // Each cell names its column, which phones show beside the value.
            #expect(list.text.contains(#"<td data-label="触发方式">手动</td>"#), "\(list.text)")
            let statements = try await finance.get("/admin/settlements/\(batch)")
            #expect(statements.status == .ok && statements.text.contains("/admin/exports/statements.csv?settlement_id=\(batch)"), "\(statements.text)")
            // The batch's own lines, whatever else was settled in the same second.
            let statementsCSV = try await finance.get("/admin/exports/statements.csv?settlement_id=\(batch)")
            #expect(statementsCSV.status == .ok && statementsCSV.text.contains("\(batch),") && statementsCSV.text.contains(promoter), "\(statementsCSV.text)")
            expectError(try await client.send(.get, "/api/v1/exports/statements.csv?settlement_id=stl_unknown"), .notFound, "not_found")
            #expect(try await finance.get("/admin/settlements/stl_unknown").status == .notFound)

            let csv = try await finance.get("/admin/exports/commissions.csv")
            #expect(csv.status == .ok && csv.headers[.contentType]?.hasPrefix("text/csv") == true && csv.text.hasPrefix("\u{FEFF}"), "\(csv.text)")
            #expect(try await ops.get("/admin/exports/commissions.csv").status == .forbidden)
            #expect(try await finance.get("/admin/exports/passwords.csv").status == .notFound)
            let report = try await finance.get("/admin/reconciliation?from=2026-01-01")
            #expect(report.status == .ok && report.text.contains("✓") && !report.text.contains("✗"), "\(report.text)")
        }
    }

    /// A promoter appeals a commission from the portal (only its own, once while open); finance
    /// answers in the console with an adjustment that lands in the promoter's balance.
    @Test(arguments: TestDatabase.available)
    func appealFromThePortalAnsweredInTheConsole(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let product = try #require(try await client.send(.post, "/api/v1/products", body: #"{"title":"课","price":50000}"#).json["id"] as? String)
            let a = try await client.createPromoter("A")["id"] as! String
            let b = try await client.createPromoter("B", phone: "13911112222", parent: a)["id"] as! String
            let code = try await client.createLink(promoter: b, product: product).json["code"] as! String
            _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"visitor-appeal-0001"}"#)
            let order = try await client.paidOrder((product, a, b, "visitor-appeal-0001"))
            let mine = try #require(try await RefundsAPITests.commission(client, order: order, promoter: b)?["id"] as? String)
            let theirs = try #require(try await RefundsAPITests.commission(client, order: order, promoter: a)?["id"] as? String)
            #expect(try await client.send(.put, "/api/v1/promoters/\(b)/password", body: #"{"password":"secret-123"}"#).status == .noContent)

            let portal = try await ConsoleBrowser.portal(client, phone: "13911112222", password: "secret-123")
            #expect(try await portal.get("/me").text.contains(#"name="commission_id" value="\#(mine)""#))
            #expect(try await portal.get("/me?status=pending").text.contains(#"data-commission="\#(mine)""#))
            #expect(!(try await portal.get("/me?status=reversed").text.contains(#"data-commission="\#(mine)""#)), "filtered by status")
            let sent = try await portal.post("/me/appeals", ["commission_id": mine, "message": "少算了 <b>一级</b>"])
            #expect(sent.status == .seeOther && sent.headers[.location] == "/me?notice=appeal_sent", "\(sent.text)")
            let twice = try await portal.post("/me/appeals", ["commission_id": mine, "message": "again"])
            #expect(twice.status == .conflict && twice.text.contains("status failed"), "\(twice.text)")
            #expect(try await portal.post("/me/appeals", ["commission_id": theirs, "message": "mine too"]).status == .forbidden)
            let page = try await portal.get("/me").text
            #expect(page.contains("少算了 &lt;b&gt;一级&lt;/b&gt;") && page.contains("处理中"), "\(page)")

            let appeal = try #require((try await client.send(.get, "/api/v1/appeals?status=open").json["data"] as? [[String: Any]])?.first)
            #expect(appeal["commission_id"] as? String == mine)
            let finance = try await ConsoleBrowser.logIn(client, as: "finance")
            #expect(try await finance.get("/admin/appeals").text.contains(#"data-row="\#(appeal["id"] as! String)""#))
            let bad = try await finance.post("/admin/appeals/\(appeal["id"] as! String)/answer", ["answer": "ok", "adjustment": "abc"])
            #expect(bad.status == .unprocessableContent)
            let before = try await client.send(.get, "/api/v1/promoters/\(b)/balance").json["available"] as? Int ?? -1
            let answered = try await finance.post("/admin/appeals/\(appeal["id"] as! String)/answer", ["answer": "已补发", "adjustment": "5.00"])
            #expect(answered.status == .seeOther, "\(answered.text)")
            #expect(try await client.send(.get, "/api/v1/promoters/\(b)/balance").json["available"] as? Int == before + 500)
            #expect(try await portal.get("/me").text.contains("已补发"))
            for path in ["/admin", "/admin/orders", "/admin/exports/commissions.csv"] {
                #expect(try await portal.get(path).status == .forbidden, "a promoter's session opens no console page: \(path)")
            }
            #expect(try await portal.post("/admin/withdrawals/wdr_x/approve", [:]).status == .forbidden)
        }
    }

    /// Moves the sandbox clock to just after the start of the next 15-minute throttle window, so
    /// a test's attempts (up to a minute on a loaded machine) never straddle a window boundary.
    /// A fresh test database starts with the clock at real time.
    static func startThrottleWindow(_ client: any TestClientProtocol) async throws {
        let now = Int64(Date().timeIntervalSince1970)
        _ = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":\#(900 - now % 900 + 1)}"#)
    }

    /// Five attempts per account in 15 minutes, counted in the database before the password is
    /// checked: 40 wrong passwords at once get at most five answers of 401, the rest 429, and then
    /// even the right password waits for the next window.
    @Test(arguments: TestDatabase.available)
    func loginsAreThrottled(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            _ = try await client.send(.post, "/api/v1/admin-users", body: #"{"username":"fin","password":"console-pass","role":"finance"}"#)
            try await Self.startThrottleWindow(client)
            let form = try await client.send(.get, "/admin/login", headers: [:])
            let csrf = try #require(form.headers[values: .setCookie].first { $0.hasPrefix("tk_csrf=") }?.split(separator: ";").first?.dropFirst(8))
            let headers: HTTPFields = [.cookie: "tk_csrf=\(csrf)", .contentType: "application/x-www-form-urlencoded"]
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<40 {
                    group.addTask { try await client.send(.post, "/admin/login", headers: headers, body: "_csrf=\(csrf)&username=fin&password=guess").status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count <= 5 && statuses.filter { $0 == .tooManyRequests }.count >= 35, "\(statuses)")
            let right = "_csrf=\(csrf)&username=fin&password=console-pass"
            let refused = try await client.send(.post, "/admin/login", headers: headers, body: right)
            #expect(refused.status == .tooManyRequests && refused.text.contains("15"), "\(refused.text)")
            #expect((1...900).contains(Int(refused.headers[.retryAfter] ?? "") ?? 0), "a refused login says when to come back")
            let other = try await client.send(.post, "/me/login", headers: headers, body: "_csrf=\(csrf)&phone=13800000000&password=x")
            #expect(other.status == .unauthorized, "another account is not blocked")
            _ = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":900}"#)
            #expect(try await client.send(.post, "/admin/login", headers: headers, body: right).status == .seeOther)
        }
    }

    /// Spraying many accounts from one address: after fifty attempts in the window that address is
    /// refused whatever the account, while another address still gets its answers.
    @Test(arguments: TestDatabase.available)
    func oneAddressIsThrottledAcrossAccounts(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            try await Self.startThrottleWindow(client)
            let form = try await client.send(.get, "/admin/login", headers: [:])
            let csrf = try #require(form.headers[values: .setCookie].first { $0.hasPrefix("tk_csrf=") }?.split(separator: ";").first?.dropFirst(8))
            func attempt(_ user: String, from address: String) async throws -> HTTPResponse.Status {
                try await client.send(.post, "/admin/login", headers: [.cookie: "tk_csrf=\(csrf)", .contentType: "application/x-www-form-urlencoded",
                                                                      .xForwardedFor: address],
                                      body: "_csrf=\(csrf)&username=\(user)&password=guess").status
            }
            var statuses: [HTTPResponse.Status] = []
            for index in 0..<50 { statuses.append(try await attempt("user-\(index)", from: "198.51.100.7")) }
            #expect(statuses.allSatisfy { $0 == .unauthorized }, "\(statuses)")
            #expect(try await attempt("user-50", from: "198.51.100.7") == .tooManyRequests)
            #expect(try await attempt("user-50", from: "198.51.100.8") == .unauthorized)
        }
    }

    /// Guesses at one account from one address are stopped after five, and the account's owner,
    /// from another address, still logs in: the guesser cannot lock the owner out.
    @Test(arguments: TestDatabase.available)
    func guessesDoNotLockTheOwnerOut(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            _ = try await client.send(.post, "/api/v1/admin-users", body: #"{"username":"fin","password":"console-pass","role":"finance"}"#)
            try await Self.startThrottleWindow(client)
            let form = try await client.send(.get, "/admin/login", headers: [:])
            let csrf = try #require(form.headers[values: .setCookie].first { $0.hasPrefix("tk_csrf=") }?.split(separator: ";").first?.dropFirst(8))
            func attempt(_ password: String, from address: String) async throws -> HTTPResponse.Status {
                try await client.send(.post, "/admin/login", headers: [.cookie: "tk_csrf=\(csrf)", .contentType: "application/x-www-form-urlencoded",
                                                                      .xForwardedFor: address],
                                      body: "_csrf=\(csrf)&username=fin&password=\(password)").status
            }
            // 120 guesses: past the account's own limit (100) had they all been counted.
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<120 { statuses.append(try await attempt("guess", from: "198.51.100.7")) }
            #expect(statuses.prefix(5).allSatisfy { $0 == .unauthorized } && statuses.dropFirst(5).allSatisfy { $0 == .tooManyRequests }, "\(statuses)")
            #expect(try await attempt("console-pass", from: "198.51.100.7") == .tooManyRequests)
            #expect(try await attempt("console-pass", from: "203.0.113.9") == .seeOther)
        }
    }

    /// `GET /api/v1/orders`: newest first, by status, pages by cursor, admins only.
    @Test(arguments: TestDatabase.available)
    func ordersList(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let (paid, a, _) = try await RefundsAPITests.paidOrder(client)
            let product = try #require(try await client.send(.post, "/api/v1/products", body: #"{"title":"Two","price":100}"#).json["id"] as? String)
            let unpaid = try #require(try await client.send(.post, "/api/v1/orders",
                                                            body: #"{"buyer_id":"b2","items":[{"product_id":"\#(product)","quantity":1}]}"#).json["id"] as? String)
            let all = try await client.send(.get, "/api/v1/orders?limit=1")
            #expect((all.json["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [unpaid] && all.json["has_more"] as? Bool == true)
            let next = try await client.send(.get, "/api/v1/orders?limit=1&cursor=\(all.json["next_cursor"] as! String)")
            #expect((next.json["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [paid])
            let byStatus = try await client.send(.get, "/api/v1/orders?status=pending_payment")
            #expect((byStatus.json["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [unpaid])
            #expect((try await client.send(.get, "/api/v1/orders?buyer_id=buyer-1").json["data"] as? [[String: Any]])?.count == 1)
            expectError(try await client.send(.get, "/api/v1/orders?status=lost"), .unprocessableContent, "validation_failed")
            let token = try #require(try await client.send(.post, "/api/v1/promoters/\(a)/tokens").json["token"] as? String)
            expectError(try await client.send(.get, "/api/v1/orders", headers: [.authorization: "Bearer \(token)"]), .forbidden, "forbidden")
        }
    }
}
