import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

/// Every route of the served OpenAPI document, called by every kind of caller, answers as its
/// declared access says (`x-access`, and `x-console-roles` for console pages and forms). The
/// routes come from the document, so a route is covered the day it is added.
@Suite struct AccessSweepTests {
    struct Route { let method: HTTPRequest.Method; let path: String; let access: String; let roles: [String]? }

    static func routes(_ client: any TestClientProtocol) async throws -> [Route] {
        let document = try await client.send(.get, "/api/v1/openapi.json", headers: [:]).json
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var routes: [Route] = []
        for (path, operations) in paths {
            for (method, operation) in operations {
                let operation = try #require(operation as? [String: Any])
                let access = try #require(operation["x-access"] as? String, "\(method) \(path) declares no access")
                routes.append(Route(method: try #require(HTTPRequest.Method(method.uppercased())), path: path, access: access,
                                    roles: operation["x-console-roles"] as? [String]))
            }
        }
        return routes.sorted { ($0.path, $0.method.rawValue) < ($1.path, $1.method.rawValue) }
    }

    /// The path with its parameters filled: `{id}` and `{code}` name the given promoter's
    /// promoter and link; any other parameter an id that does not exist.
    static func fill(_ path: String, promoter: String, link: String) -> String {
        path.replacingOccurrences(of: "{id}", with: path.hasPrefix("/api/v1/promoters/") ? promoter : "none_0000")
            .replacingOccurrences(of: "{code}", with: link)
            .replacingOccurrences(of: #"\{[a-z_]+\}"#, with: "none_0000", options: .regularExpression)
    }

    static func makePromoter(_ client: any TestClientProtocol, _ name: String) async throws -> (id: String, token: String, link: String) {
        let created = try await client.send(.post, "/api/v1/promoters", body: #"{"name":"\#(name)"}"#).json
        let id = try #require(created["id"] as? String)
        let token = try #require(try await client.send(.post, "/api/v1/promoters/\(id)/tokens").json["token"] as? String)
        let product = try #require(try await client.send(.post, "/api/v1/products", body: #"{"title":"\#(name) course","price":100}"#).json["id"] as? String)
        let link = try await client.send(.post, "/api/v1/links", body: #"{"promoter_id":"\#(id)","product_id":"\#(product)"}"#).json
        return (id, token, try #require(link["code"] as? String, "\(link)"))
    }

    @Test(arguments: TestDatabase.available)
    func everyRouteEnforcesItsDeclaredAccess(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let mine = try await Self.makePromoter(client, "Mine")
            let theirs = try await Self.makePromoter(client, "Theirs")
            let buyer = try await client.signInBuyer("13600136000")
            let routes = try await Self.routes(client)
            #expect(routes.count > 100)
            let body = "{}"
            func call(_ route: Route, _ path: String, token: String?) async throws -> HTTPResponse.Status {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let token { headers[.authorization] = "Bearer \(token)" }
                return try await client.send(route.method, path, headers: headers, body: route.method == .get ? nil : body).status
            }
            var checked = 0
            for route in routes where route.roles == nil && route.access != "public" {
                let other = Self.fill(route.path, promoter: theirs.id, link: theirs.link)
                let label = "\(route.method) \(route.path)"
                #expect(try await call(route, other, token: nil) == .unauthorized, "\(label) anonymous")
                #expect(try await call(route, other, token: "wrong-token-0000") == .unauthorized, "\(label) wrong token")
                let asPromoter = try await call(route, other, token: mine.token)
                // Signing out revokes the token sent: that route gets a token of its own.
                let signsOut = route.method == .delete && route.path == "/api/v1/buyer/sessions"
                let asBuyer = try await call(route, other, token: signsOut ? try await client.signInBuyer("13600136001").token : buyer.token)
                // A buyer's token opens only the routes made for buyers.
                if ["admin", "promoter_self", "admin_or_promoter"].contains(route.access) {
                    #expect(asBuyer == .forbidden, "\(label) as a buyer: \(asBuyer)")
                }
                switch route.access {
                case "admin_or_buyer":
                    #expect(asPromoter == .forbidden, "\(label) as a promoter: \(asPromoter)")
                    // Another buyer's or an unknown resource does not exist for this buyer.
                    // (A body this sweep leaves empty may be refused first.)
                    #expect(asBuyer == .notFound || route.method == .get && !route.path.contains("{")
                            || route.method != .get && asBuyer.code >= 400 && asBuyer.code < 500 && asBuyer != .unauthorized && asBuyer != .forbidden,
                            "\(label) as a buyer: \(asBuyer)")
                case "buyer":
                    #expect(asPromoter == .forbidden, "\(label) as a promoter: \(asPromoter)")
                    #expect(asBuyer != .unauthorized && asBuyer != .forbidden, "\(label) as a buyer: \(asBuyer)")
                    #expect(try await call(route, other, token: adminToken) == .forbidden, "\(label) as admin")
                    checked += 1
                    continue
                case "admin":
                    #expect(asPromoter == .forbidden, "\(label) as a promoter: \(asPromoter)")
                case "promoter_self":
                    #expect(asPromoter == .forbidden, "\(label) as another promoter: \(asPromoter)")
                    if route.method == .get {
                        let own = try await call(route, Self.fill(route.path, promoter: mine.id, link: mine.link), token: mine.token)
                        // A further path parameter names something that does not exist: 404.
                        let further = route.path.replacingOccurrences(of: "{id}", with: "").contains("{")
                        #expect(own.code < 300 || further && own == .notFound, "\(label) as itself: \(own)")
                    }
                case "admin_or_promoter":
                    // Another promoter's resource is refused (403) or not shown to exist (404);
                    // an unknown id is a 404 either way.
                    #expect(asPromoter.code >= 400 && asPromoter != .unauthorized || route.method == .get && !route.path.contains("{"),
                            "\(label) as another promoter: \(asPromoter)")
                default:
                    Issue.record("\(label): unknown access \(route.access)")
                }
                if route.method == .get {
                    let asAdmin = try await call(route, other, token: adminToken)
                    #expect(asAdmin != .unauthorized && asAdmin != .forbidden, "\(label) as admin: \(asAdmin)")
                }
                checked += 1
            }
            #expect(checked > 80)
        }
    }

    /// Console pages and forms: without a session they send to the login form; a console user
    /// whose role is not declared gets a 403 page, before any lookup or change.
    @Test(arguments: TestDatabase.available)
    func everyConsoleRouteEnforcesItsRoles(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let browsers = try await ConsoleBrowser.everyRole(client)
            var checked = 0
            for route in try await Self.routes(client) {
                guard let roles = route.roles else { continue }
                let path = Self.fill(route.path, promoter: "none_0000", link: "none_0000")
                let anonymous = try await client.send(route.method, path, headers: [:])
                #expect(anonymous.status == .seeOther || anonymous.status == .forbidden, "\(route.method) \(route.path) anonymous: \(anonymous.status)")
                for (role, browser) in browsers where !roles.contains(role) {
                    let response = route.method == .get ? try await browser.get(path) : try await browser.post(path, [:])
                    #expect(response.status == .forbidden, "\(route.method) \(route.path) as \(role): \(response.status)")
                }
                for (role, browser) in browsers where roles.contains(role) && route.method == .get && !route.path.contains("{") {
                    let response = try await browser.get(path)
                    #expect(response.status == .ok, "\(route.method) \(route.path) as \(role): \(response.status)")
                }
                checked += 1
            }
            #expect(checked > 20)
        }
    }
}
