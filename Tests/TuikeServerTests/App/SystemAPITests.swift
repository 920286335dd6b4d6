import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

@Suite struct SystemAPITests {
    @Test(arguments: TestDatabase.available)
    func healthMetricsAndUnknownRoutes(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let health = try await client.send(.get, "/healthz", headers: [:])
            #expect(health.status == .ok)
            #expect(health.text == #"{"status":"ok"}"#)
            let metrics = try await client.send(.get, "/metrics", headers: [:])
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            expectError(try await client.send(.get, "/api/v1/nothing-here", headers: [:]), .notFound, "not_found")
        }
    }

    /// Every route the router serves is in the OpenAPI document and every documented operation is
    /// served, with and without the sandbox.
    @Test(arguments: [true, false])
    func openAPIDocumentMatchesTheRouter(sandbox: Bool) async throws {
        try await TestDatabase.sqlite.withDatabase(migrated: false) { database async throws in
            let (tuike, _) = try await TuikeApp.prepare(database: database, options: .init(sandbox: sandbox, adminToken: adminToken, cipher: testCipher), logger: TestDatabase.logger)
            let (router, _) = buildRouter(tuike)
            let served = Set(router.routes.map { "\($0.method.rawValue.lowercased()) \($0.path.description)" })
            let app = Application(router: router, logger: TestDatabase.logger)
            let documented = try await app.test(.router) { client in
                let response = try await client.send(.get, "/api/v1/openapi.json", headers: [:])
                #expect(response.status == .ok)
                #expect(response.json["openapi"] as? String == "3.1.0")
                let paths = try #require(response.json["paths"] as? [String: [String: Any]])
                return Set(paths.flatMap { path, methods in methods.keys.map { "\($0) \(path)" } })
            }
            #expect(served == documented)
            #expect(served.contains("post /api/v1/sandbox/clock/advance") == sandbox)
            #expect(served.contains("get /api/v1/products/{id}"))
        }
    }

    /// The document keeps OpenAPI's own spelling (`requestBody`, `securitySchemes`, `$ref` targets
    /// such as `Error`), and every reference names a component it has. Served through the API's
    /// snake_case encoder, 145 operations' references dangled and their request bodies were lost to
    /// tools (schemathesis said so).
    @Test func everyReferenceOfTheDocumentResolves() async throws {
        try await withTestApp(.sqlite) { client, _ async throws in
            let response = try await client.send(.get, "/api/v1/openapi.json", headers: [:])
            let text = String(decoding: response.body.readableBytesView, as: UTF8.self)
            let components = try #require((response.json["components"] as? [String: Any])?["schemas"] as? [String: Any])
            #expect(components["Error"] != nil && components["Order"] != nil)
            #expect((response.json["components"] as? [String: Any])?["securitySchemes"] != nil)
            let references = Set(text.matches(of: /"\$ref":"#\/components\/schemas\/([A-Za-z]+)"/).map { String($0.output.1) })
            #expect(references.count > 20)
            #expect(references.subtracting(components.keys).isEmpty, "dangling: \(references.subtracting(components.keys).sorted())")
            let paths = try #require(response.json["paths"] as? [String: [String: Any]])
            #expect((paths["/api/v1/orders"]?["post"] as? [String: Any])?["requestBody"] != nil)
            for spelling in ["request_body", "additional_properties", "security_schemes", "one_of", "max_length", "operation_id"] {
                #expect(!text.contains("\"\(spelling)\":"), "\(spelling)")
            }
            #expect(text.contains("\"additionalProperties\":"))
        }
    }

    @Test(arguments: TestDatabase.available)
    func theTestClockMovesForwardAndRunsDueJobs(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let before = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":0}"#)
            #expect(before.status == .ok)
            let start = try #require(Instant(rfc3339: before.json["now"] as? String ?? ""))
            try await JobQueue(database: tuike.database).schedule(kind: JobHandlers.purgeIdempotencyKeys, at: start.adding(seconds: 3_600), dedupeKey: "test", now: start)

            let after = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":7200}"#)
            #expect(after.status == .ok)
            let moved = try #require(Instant(rfc3339: after.json["now"] as? String ?? ""))
            #expect(moved.milliseconds - start.milliseconds >= 7_200_000)
            #expect(after.json["offset_seconds"] as? Int == 7_200)
            let done = try await tuike.database.read { db in
                try await db.first("SELECT status FROM jobs WHERE dedupe_key = 'test'")!.decode(column: "status", as: String.self)
            }
            #expect(done == "done")
        }
    }

    @Test(arguments: TestDatabase.available)
    func theTestClockRefusesBadInput(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            expectError(try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":-1}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":"10"}"#), .badRequest, "invalid_request")
            expectError(try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{}"#), .badRequest, "invalid_request")
            expectError(try await client.send(.post, "/api/v1/sandbox/clock/advance", headers: jsonOnly, body: #"{"seconds":10}"#), .unauthorized, "unauthorized")
            #expect(tuike.sandboxClock?.offsetMilliseconds == 0)
        }
    }

    @Test(arguments: TestDatabase.available)
    func withoutTheSandboxTheClockRouteDoesNotExist(database kind: TestDatabase) async throws {
        try await withTestApp(kind, sandbox: false) { client, _ async throws in
            expectError(try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":10}"#), .notFound, "not_found")
        }
    }

    @Test(arguments: TestDatabase.available)
    func theDemoSchoolLoadsOnceIntoAnEmptyDatabase(database kind: TestDatabase) async throws {
        try await withTestApp(kind, demo: true) { client, tuike async throws in
            let list = try await client.send(.get, "/api/v1/products?limit=100", headers: [:])
            let titles = (list.json["data"] as? [[String: Any]])?.compactMap { $0["title"] as? String } ?? []
            #expect(titles.count == DemoSchool.courses.count + 1)
            #expect(titles.contains("Python 数据分析实战") && titles.contains("推客学堂定制 T 恤"))
            // The goods: orders in every fulfilment state, a return on its way back, a video with its numbers.
            for state in FulfilmentStatus.allCases {
                #expect((try await client.send(.get, "/api/v1/fulfilment?status=\(state.rawValue)").json["data"] as? [Any])?.isEmpty == false, "\(state)")
            }
            #expect((try await client.send(.get, "/api/v1/after-sales?status=returning").json["data"] as? [Any])?.count == 1)
            let videos = try await client.send(.get, "/api/v1/video-performance").json["data"] as? [[String: Any]]
            #expect((videos?.first?["plays"] as? Int ?? 0) > 0 && (videos?.first?["orders"] as? Int ?? 0) > 0, "\(videos ?? [])")
            let promoters = try await client.send(.get, "/api/v1/promoters?limit=100")
            #expect((promoters.json["data"] as? [Any])?.count == DemoSchool.promoters.count)
            let applications = try await client.send(.get, "/api/v1/promoter-applications")
            #expect((applications.json["data"] as? [[String: Any]])?.first?["name"] as? String == "陈同学")
            #expect(try await ClickRepository(database: tuike.database).count() > 500)
            let commissions = try await client.send(.get, "/api/v1/commissions?limit=100").json["data"] as? [[String: Any]] ?? []
            let statuses = Set(commissions.compactMap { $0["status"] as? String })
            #expect(statuses.isSuperset(of: ["pending", "held", "settled", "withdrawn", "reversed"]), "\(statuses)")
            // Risk: a self-purchase waiting for review, a click flood recorded.
            let cases = try await client.send(.get, "/api/v1/risk/cases").json["data"] as? [[String: Any]] ?? []
            let byStatus = Dictionary(grouping: cases) { $0["status"] as? String ?? "" }.mapValues { $0.compactMap { ($0["signals"] as? [[String: Any]])?.first?["code"] as? String } }
            #expect(byStatus == ["open": ["self_purchase_ip"], "recorded": ["click_flood"]], "\(cases)")
            let withdrawals = try await client.send(.get, "/api/v1/withdrawals").json["data"] as? [[String: Any]] ?? []
            #expect(Set(withdrawals.compactMap { $0["status"] as? String }) == ["paid", "requested", "rejected"])
            #expect((try await client.send(.get, "/api/v1/appeals?status=open").json["data"] as? [Any])?.count == 1)
            #expect((try await client.send(.get, "/api/v1/settlements").json["data"] as? [Any])?.count == 1)
            let campaign = try #require((try await client.send(.get, "/api/v1/group-campaigns", headers: [:]).json["data"] as? [[String: Any]])?.first)
            let joinable = try await client.send(.get, "/api/v1/group-campaigns/\(campaign["id"] as! String)/groups", headers: [:]).json["data"] as? [Any]
            #expect(joinable?.count == 2)
            let metrics = try await client.send(.get, "/api/v1/group-campaigns/\(campaign["id"] as! String)/metrics").json
            #expect(metrics["succeeded"] as? Int == 1 && metrics["failed"] as? Int == 1 && metrics["refunds"] as? Int == 2, "\(metrics)")
            try await client.expectBalanced()
            // Every event the demo wrote is of a type webhooks can subscribe to and the document names.
            let written = try await tuike.database.read { db in
                try await db.rows("SELECT DISTINCT type FROM events").map { try $0.decode(column: "type", as: String.self) }
            }
            #expect(written.count > 10)
            #expect(Set(written).subtracting(EventsController.types).isEmpty, "\(Set(written).subtracting(EventsController.types))")
            #expect(try await DemoSchool(app: tuike).loadIfEmpty() == false)
        }
    }
}
