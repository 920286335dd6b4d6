import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

@Suite struct ProductsAPITests {
    static func count(_ tuike: TuikeApp) async throws -> Int64 { try await ProductRepository(database: tuike.database).count() }

    @Test(arguments: TestDatabase.available)
    func createGetListPatch(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let created = try await client.send(.post, "/api/v1/products", body: #"{"title":"Python 数据分析实战","price":39900,"stock":100}"#)
            #expect(created.status == .created)
            let product = created.json
            let id = try #require(product["id"] as? String)
            #expect(product["title"] as? String == "Python 数据分析实战")
            #expect(product["price"] as? Int == 39_900)
            #expect(product["kind"] as? String == "course")
            #expect(product["status"] as? String == "active")
            #expect(product["stock"] as? Int == 100)
            #expect((product["created_at"] as? String)?.hasSuffix("Z") == true)

            let fetched = try await client.send(.get, "/api/v1/products/\(id)", headers: [:])
            #expect(fetched.status == .ok)
            #expect(fetched.json["title"] as? String == "Python 数据分析实战")

            let patched = try await client.send(.patch, "/api/v1/products/\(id)", body: #"{"price":29900,"stock":null,"kind":"service"}"#)
            #expect(patched.status == .ok)
            #expect(patched.json["price"] as? Int == 29_900)
            #expect(patched.json["stock"] is NSNull)
            #expect(patched.json["kind"] as? String == "service")
            #expect(patched.json["title"] as? String == "Python 数据分析实战")
        }
    }

    @Test(arguments: TestDatabase.available)
    func listPagesNewestFirst(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            for index in 0..<5 {
                let response = try await client.send(.post, "/api/v1/products", body: #"{"title":"课程 \#(index)","price":\#(index * 100)}"#)
                #expect(response.status == .created)
            }
            let first = try await client.send(.get, "/api/v1/products?limit=2", headers: [:])
            let titles = (first.json["data"] as? [[String: Any]])?.compactMap { $0["title"] as? String }
            #expect(titles == ["课程 4", "课程 3"])
            #expect(first.json["has_more"] as? Bool == true)
            let cursor = try #require(first.json["next_cursor"] as? String)
            let rest = try await client.send(.get, "/api/v1/products?limit=10&cursor=\(cursor)", headers: [:])
            #expect((rest.json["data"] as? [[String: Any]])?.count == 3)
            #expect(rest.json["has_more"] as? Bool == false)
            #expect(rest.json["next_cursor"] is NSNull)
        }
    }

    @Test(arguments: TestDatabase.available)
    func archivedProductsAreHiddenFromThePublic(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let id = try #require(try await client.send(.post, "/api/v1/products", body: #"{"title":"旧课","price":100,"status":"archived"}"#).json["id"] as? String)
            expectError(try await client.send(.get, "/api/v1/products/\(id)", headers: [:]), .notFound, "not_found")
            #expect(try await client.send(.get, "/api/v1/products/\(id)").status == .ok)
            let publicList = try await client.send(.get, "/api/v1/products", headers: [:])
            #expect((publicList.json["data"] as? [Any])?.isEmpty == true)
            let adminList = try await client.send(.get, "/api/v1/products?status=archived")
            #expect((adminList.json["data"] as? [Any])?.count == 1)
            expectError(try await client.send(.get, "/api/v1/products?status=archived", headers: [:]), .unauthorized, "unauthorized")
        }
    }

    @Test(arguments: TestDatabase.available)
    func badInputIsRefusedAndChangesNothing(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"title":"x","price":100"#, .badRequest, "malformed_json"),
                ("", .badRequest, "malformed_json"),
                ("[1,2]", .badRequest, "malformed_json"),
                ("null", .badRequest, "malformed_json"),
                (#"{"title":"x","price":"100"}"#, .badRequest, "invalid_request"),
                (#"{"title":"x","price":12.5}"#, .badRequest, "invalid_request"),
                (#"{"title":"x"}"#, .badRequest, "invalid_request"),
                (#"{"title":42,"price":1}"#, .badRequest, "invalid_request"),
                (#"{"title":"x","price":100,"colour":"red"}"#, .unprocessableContent, "validation_failed"),
                // A misspelt field is named even when another field has the wrong type.
                (#"{"title":42,"price":1,"colour":"red"}"#, .unprocessableContent, "validation_failed"),
                (#"{"title":"x","price":-1}"#, .unprocessableContent, "validation_failed"),
                (#"{"title":"  ","price":1}"#, .unprocessableContent, "validation_failed"),
                (#"{"title":"x","price":1,"kind":"ebook"}"#, .unprocessableContent, "validation_failed"),
                (#"{"title":"x","price":1,"stock":-2}"#, .unprocessableContent, "validation_failed"),
                (#"{"title":"x","price":1,"status":"deleted"}"#, .unprocessableContent, "validation_failed"),
            ]
            for (body, status, code) in cases {
                expectError(try await client.send(.post, "/api/v1/products", body: body), status, code)
            }
            #expect(try await Self.count(tuike) == 0)
        }
    }

    @Test(arguments: TestDatabase.available)
    func authIsRequiredToChangeTheCatalog(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let body = #"{"title":"x","price":1}"#
            expectError(try await client.send(.post, "/api/v1/products", headers: jsonOnly, body: body), .unauthorized, "unauthorized")
            expectError(try await client.send(.post, "/api/v1/products", headers: [.authorization: "Bearer nope"], body: body), .unauthorized, "invalid_token")
            expectError(try await client.send(.post, "/api/v1/products", headers: [.authorization: "Basic abc"], body: body), .unauthorized, "invalid_token")
            let promoterToken = try await TokenRepository(database: tuike.database).issue(role: "promoter", subjectID: "prm_1", label: "t", at: tuike.clock.now())
            expectError(try await client.send(.post, "/api/v1/products", headers: [.authorization: "Bearer \(promoterToken)"], body: body), .forbidden, "forbidden")
            expectError(try await client.send(.patch, "/api/v1/products/prod_x", headers: jsonOnly, body: #"{"price":1}"#), .unauthorized, "unauthorized")
            #expect(try await Self.count(tuike) == 0)
        }
    }

    @Test(arguments: TestDatabase.available)
    func patchRefusesUnknownIdsAndBadValues(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            expectError(try await client.send(.patch, "/api/v1/products/prod_missing", body: #"{"price":1}"#), .notFound, "not_found")
            expectError(try await client.send(.get, "/api/v1/products/prod_missing"), .notFound, "not_found")
            let id = try #require(try await client.send(.post, "/api/v1/products", body: #"{"title":"课","price":100}"#).json["id"] as? String)
            expectError(try await client.send(.patch, "/api/v1/products/\(id)", body: "{}"), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.patch, "/api/v1/products/\(id)", body: #"{"price":-5}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.patch, "/api/v1/products/\(id)", body: #"{"prize":5}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.patch, "/api/v1/products/\(id)", body: #"{"price":"5"}"#), .badRequest, "invalid_request")
            expectError(try await client.send(.patch, "/api/v1/products/\(id)", body: #"{"price":5"#), .badRequest, "malformed_json")
            #expect(try await client.send(.get, "/api/v1/products/\(id)").json["price"] as? Int == 100)
        }
    }

    @Test(arguments: TestDatabase.available)
    func listRejectsBadPaging(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            expectError(try await client.send(.get, "/api/v1/products?limit=abc"), .badRequest, "invalid_request")
            expectError(try await client.send(.get, "/api/v1/products?limit=0"), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.get, "/api/v1/products?limit=101"), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.get, "/api/v1/products?status=gone"), .unprocessableContent, "validation_failed")
        }
    }
}

@Suite struct BearerTokenTests {
    /// The header's token, with the scheme in any case and whitespace trimmed as before the fast path.
    @Test func theTokenIsTakenFromTheHeader() {
        #expect(AuthMiddleware.bearerToken("Bearer abc") == "abc")
        #expect(AuthMiddleware.bearerToken("bEARER abc.def_1") == "abc.def_1")
        #expect(AuthMiddleware.bearerToken("Bearer   abc  ") == "abc")
        #expect(AuthMiddleware.bearerToken("Bearer \u{3000}abc\t") == "abc")
        #expect(AuthMiddleware.bearerToken("Bearer a b") == "a b")
        #expect(AuthMiddleware.bearerToken("Bearer") == nil)
        #expect(AuthMiddleware.bearerToken("Bearer ") == nil)
        #expect(AuthMiddleware.bearerToken("Basic abc") == nil)
        #expect(AuthMiddleware.bearerToken("Bearers abc") == nil)
    }
}
