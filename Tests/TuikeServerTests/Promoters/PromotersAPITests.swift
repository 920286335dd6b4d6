import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

/// Helpers that drive the API like an integrator would.
extension TestClientProtocol {
    func createPromoter(_ name: String, phone: String? = nil, parent: String? = nil, buyer: String? = nil) async throws -> [String: Any] {
        var fields = [#""name":"\#(name)""#]
        if let phone { fields.append(#""phone":"\#(phone)""#) }
        if let parent { fields.append(#""parent_id":"\#(parent)""#) }
        if let buyer { fields.append(#""buyer_id":"\#(buyer)""#) }
        let response = try await send(.post, "/api/v1/promoters", body: "{\(fields.joined(separator: ","))}")
        #expect(response.status == .created, "\(response.text)")
        return response.json
    }

    func promoterToken(_ id: String) async throws -> HTTPFields {
        let response = try await send(.post, "/api/v1/promoters/\(id)/tokens")
        #expect(response.status == .created, "\(response.text)")
        return [.authorization: "Bearer \(response.json["token"] as! String)", .contentType: "application/json"]
    }

    func createLink(promoter: String, product: String? = nil, to: String? = nil, headers: HTTPFields = adminAuth) async throws -> TestResponse {
        var fields = [#""promoter_id":"\#(promoter)""#]
        if let product { fields.append(#""product_id":"\#(product)""#) }
        if let to { fields.append(#""to":"\#(to)""#) }
        return try await send(.post, "/api/v1/links", headers: headers, body: "{\(fields.joined(separator: ","))}")
    }
}

@Suite struct PromotersAPITests {
    @Test(arguments: TestDatabase.available)
    func applyApproveAndTheEvidence(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let agreement = try await client.send(.get, "/api/v1/agreements/current", headers: [:])
            #expect(agreement.status == .ok)
            #expect(agreement.json["version"] as? String == "1")
            #expect((agreement.json["text"] as? String)?.contains("推广") == true)
            let digest = try #require(agreement.json["sha256"] as? String)

            let upline = try await client.createPromoter("张老师")
            let inviteCode = try #require(upline["invite_code"] as? String)
            let applied = try await client.send(.post, "/api/v1/promoter-applications",
                                                headers: [.contentType: "application/json", .userAgent: "Mozilla/5.0 (iPhone) MicroMessenger", .xForwardedFor: "203.0.113.7"],
                                                body: #"{"name":"王小明","phone":"13912345678","invite_code":"\#(inviteCode.lowercased())","agreement_version":"1","signed_name":"王小明"}"#)
            #expect(applied.status == .created, "\(applied.text)")
            #expect(applied.json["status"] as? String == "applied")
            let id = try #require(applied.json["id"] as? String)

            let pending = try await client.send(.get, "/api/v1/promoter-applications")
            #expect((pending.json["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])

            let approved = try await client.send(.post, "/api/v1/promoter-applications/\(id)/approve")
            #expect(approved.status == .ok, "\(approved.text)")
            #expect(approved.json["status"] as? String == "active")
            #expect(approved.json["parent_id"] as? String == upline["id"] as? String)
            #expect(approved.json["phone"] as? String == "139****5678")
            expectError(try await client.send(.post, "/api/v1/promoter-applications/\(id)/approve"), .conflict, "invalid_transition")

            let evidence = try await client.send(.get, "/api/v1/promoters/\(id)/agreements")
            let rows = try #require(evidence.json["data"] as? [[String: Any]])
            #expect(rows.count == 1)
            #expect(rows[0]["sha256"] as? String == digest)
            #expect(rows[0]["signed_name"] as? String == "王小明")
            #expect(rows[0]["user_agent"] as? String == "Mozilla/5.0 (iPhone) MicroMessenger")
            #expect(rows[0]["ip"] as? String == "203.0.113.7")

            let team = try await client.send(.get, "/api/v1/promoters/\(upline["id"] as! String)/team")
            #expect((team.json["data"] as? [[String: Any]])?.first?["name"] as? String == "王小明")
        }
    }

    /// `?ids=` lists just the promoters named (unknown ids are left out), so a console table gets
    /// its names in one request; more than 100 ids is refused.
    @Test(arguments: TestDatabase.available)
    func listingByIds(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let a = try #require(try await client.createPromoter("甲")["id"] as? String)
            _ = try await client.createPromoter("乙")
            let c = try #require(try await client.createPromoter("丙")["id"] as? String)
            let listed = try await client.send(.get, "/api/v1/promoters?ids=\(a),%20\(c),prm_unknown,")
            #expect(listed.status == .ok, "\(listed.text)")
            #expect((listed.json["data"] as? [[String: Any]])?.map { $0["name"] as? String } == ["丙", "甲"])
            let none = try await client.send(.get, "/api/v1/promoters?ids=")
            #expect((none.json["data"] as? [[String: Any]])?.isEmpty == true)
            let many = (0...100).map { "prm_\($0)" }.joined(separator: ",")
            expectError(try await client.send(.get, "/api/v1/promoters?ids=\(many)"), .unprocessableContent, "validation_failed")
        }
    }

    @Test(arguments: TestDatabase.available)
    func rejectSuspendReactivateTerminate(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let applied = try await client.send(.post, "/api/v1/promoter-applications", headers: jsonOnly,
                                                body: #"{"name":"Li","phone":"13700000000","agreement_version":"1","signed_name":"Li"}"#)
            let id = try #require(applied.json["id"] as? String)
            expectError(try await client.send(.post, "/api/v1/promoter-applications/\(id)/reject", body: "{}"), .badRequest, "invalid_request")
            let rejected = try await client.send(.post, "/api/v1/promoter-applications/\(id)/reject", body: #"{"reason":"资料不全"}"#)
            #expect(rejected.json["status"] as? String == "rejected")
            #expect(rejected.json["rejection_reason"] as? String == "资料不全")
            expectError(try await client.send(.post, "/api/v1/promoters/\(id)/reactivate"), .conflict, "invalid_transition")

            let active = try await client.createPromoter("Wang")
            let activeID = active["id"] as! String
            #expect(try await client.send(.post, "/api/v1/promoters/\(activeID)/suspend", body: #"{"reason":"刷单嫌疑"}"#).json["status"] as? String == "suspended")
            expectError(try await client.send(.post, "/api/v1/promoters/\(activeID)/suspend"), .conflict, "invalid_transition")
            #expect(try await client.send(.post, "/api/v1/promoters/\(activeID)/reactivate").json["status"] as? String == "active")
            #expect(try await client.send(.post, "/api/v1/promoters/\(activeID)/terminate").json["status"] as? String == "terminated")
            expectError(try await client.send(.post, "/api/v1/promoters/\(activeID)/reactivate"), .conflict, "invalid_transition")
            expectError(try await client.send(.post, "/api/v1/promoters/prm_missing/suspend"), .notFound, "not_found")
            let audit = try await client.send(.get, "/api/v1/promoters/\(activeID)/audit")
            #expect((audit.json["data"] as? [[String: Any]])?.compactMap { $0["action"] as? String }
                    == ["promoter.suspended", "promoter.active", "promoter.terminated"])
        }
    }

    @Test(arguments: TestDatabase.available)
    func applicationsRefuseBadInput(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"name":"A","phone":"13700000000","agreement_version":"0","signed_name":"A"}"#, .unprocessableContent, "validation_failed"),
                (#"{"name":"A","phone":"12345","agreement_version":"1","signed_name":"A"}"#, .unprocessableContent, "validation_failed"),
                (#"{"name":"A","phone":"13700000000","agreement_version":"1","signed_name":" "}"#, .unprocessableContent, "validation_failed"),
                (#"{"name":"A","phone":"13700000000","agreement_version":"1","signed_name":"A","invite_code":"NOPE2345"}"#, .unprocessableContent, "validation_failed"),
                (#"{"name":"","phone":"13700000000","agreement_version":"1","signed_name":"A"}"#, .unprocessableContent, "validation_failed"),
                (#"{"name":"A","phone":13700000000,"agreement_version":"1","signed_name":"A"}"#, .badRequest, "invalid_request"),
                (#"{"name":"A","agreement_version":"1","signed_name":"A"}"#, .badRequest, "invalid_request"),
                (#"{"name":"A""#, .badRequest, "malformed_json"),
            ]
            for (body, status, code) in cases {
                expectError(try await client.send(.post, "/api/v1/promoter-applications", headers: jsonOnly, body: body), status, code)
            }
            #expect(try await PromoterRepository(database: tuike.database, cipher: testCipher).list(status: nil, parentID: nil, limit: 10, before: nil).isEmpty)
            _ = try await client.createPromoter("Zhao", phone: "13700000000")
            // A taken phone is answered like a free one (nobody can learn whose phone it is), and nothing is stored.
            let taken = try await client.send(.post, "/api/v1/promoter-applications", headers: jsonOnly,
                                              body: #"{"name":"A","phone":"137-0000-0000","agreement_version":"1","signed_name":"A"}"#)
            let free = try await client.send(.post, "/api/v1/promoter-applications", headers: jsonOnly,
                                             body: #"{"name":"B","phone":"13700000009","agreement_version":"1","signed_name":"B"}"#)
            #expect(taken.status == .created && free.status == .created)
            #expect(Set(taken.json.keys) == Set(free.json.keys) && taken.json["status"] as? String == "applied", "\(taken.text)")
            expectError(try await client.send(.get, "/api/v1/promoters/\(taken.json["id"] as? String ?? "")"), .notFound, "not_found")
            #expect(try await PromoterRepository(database: tuike.database, cipher: testCipher).list(status: nil, parentID: nil, limit: 10, before: nil).count == 2)
        }
    }

    @Test(arguments: TestDatabase.available)
    func autoApprovalMakesApplicantsActive(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            #expect(try await client.send(.put, "/api/v1/program", body: #"{"auto_approve_promoters":true}"#).status == .ok)
            let applied = try await client.send(.post, "/api/v1/promoter-applications", headers: jsonOnly,
                                                body: #"{"name":"A","phone":"13700000001","agreement_version":"1","signed_name":"A"}"#)
            #expect(applied.json["status"] as? String == "active")
        }
    }

    @Test(arguments: TestDatabase.available)
    func reparentingIsForAdminsAndRefusesCycles(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let a = try await client.createPromoter("A")["id"] as! String
            let b = try await client.createPromoter("B", parent: a)["id"] as! String
            expectError(try await client.send(.put, "/api/v1/promoters/\(a)/parent", body: #"{"parent_id":"\#(b)","reason":"x"}"#),
                        .unprocessableContent, "validation_failed")
            let token = try await client.promoterToken(b)
            expectError(try await client.send(.put, "/api/v1/promoters/\(b)/parent", headers: token, body: #"{"parent_id":null,"reason":"x"}"#),
                        .forbidden, "forbidden")
            let moved = try await client.send(.put, "/api/v1/promoters/\(b)/parent", body: #"{"parent_id":null,"reason":"团队拆分"}"#)
            #expect(moved.status == .ok && moved.json["parent_id"] is NSNull)
        }
    }

    /// A promoter token reads and acts only on its own promoter, links, stats and team.
    @Test(arguments: TestDatabase.available)
    func promotersSeeOnlyTheirOwn(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let mine = try await client.createPromoter("Mine")["id"] as! String
            let other = try await client.createPromoter("Other")["id"] as! String
            let token = try await client.promoterToken(mine)
            let otherLink = try await client.createLink(promoter: other).json["code"] as! String

            #expect(try await client.send(.get, "/api/v1/promoters/\(mine)", headers: token).status == .ok)
            #expect(try await client.send(.get, "/api/v1/promoters/\(mine)/stats", headers: token).status == .ok)
            #expect(try await client.send(.get, "/api/v1/promoters/\(mine)/team", headers: token).status == .ok)
            let own = try await client.createLink(promoter: mine, headers: token)
            #expect(own.status == .created, "\(own.text)")

            for path in ["/api/v1/promoters/\(other)", "/api/v1/promoters/\(other)/stats", "/api/v1/promoters/\(other)/team",
                         "/api/v1/promoters/\(other)/agreements", "/api/v1/links/\(otherLink)", "/api/v1/links/\(otherLink)/stats",
                         "/api/v1/links?promoter_id=\(other)"] {
                expectError(try await client.send(.get, path, headers: token), .forbidden, "forbidden")
            }
            expectError(try await client.createLink(promoter: other, headers: token), .forbidden, "forbidden")
            expectError(try await client.send(.post, "/api/v1/links/\(otherLink)/disable", headers: token), .forbidden, "forbidden")
            expectError(try await client.send(.get, "/api/v1/promoters", headers: token), .forbidden, "forbidden")
            expectError(try await client.send(.post, "/api/v1/promoters/\(other)/tokens", headers: token), .forbidden, "forbidden")
            let listed = try await client.send(.get, "/api/v1/links", headers: token)
            #expect((listed.json["data"] as? [[String: Any]])?.compactMap { $0["promoter_id"] as? String } == [mine])
        }
    }
}

@Suite struct AgreementsAPITests {
    /// Publishing a new version: the old text stays, applicants must sign the new one, a version
    /// is never replaced, and only admins publish.
    @Test(arguments: TestDatabase.available)
    func newVersionsReplaceNothingAndMustBeSigned(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let published = try await client.send(.post, "/api/v1/agreements", body: #"{"version":"2","text":"推客推广合作协议（第 2 版）"}"#)
            #expect(published.status == .created, "\(published.text)")
            let current = try await client.send(.get, "/api/v1/agreements/current", headers: [:])
            #expect(current.json["version"] as? String == "2")
            #expect(current.json["sha256"] as? String == published.json["sha256"] as? String)
            expectError(try await client.send(.post, "/api/v1/agreements", body: #"{"version":"2","text":"changed"}"#), .conflict, "version_exists")
            expectError(try await client.send(.post, "/api/v1/agreements", body: #"{"version":"3","text":"  "}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/agreements", headers: jsonOnly, body: #"{"version":"3","text":"x"}"#), .unauthorized, "unauthorized")
            expectError(try await client.send(.post, "/api/v1/promoter-applications", headers: jsonOnly,
                                              body: #"{"name":"A","phone":"13700000009","agreement_version":"1","signed_name":"A"}"#),
                        .unprocessableContent, "validation_failed")
            let applied = try await client.send(.post, "/api/v1/promoter-applications", headers: jsonOnly,
                                                body: #"{"name":"A","phone":"13700000009","agreement_version":"2","signed_name":"A"}"#)
            #expect(applied.status == .created)
        }
    }
}
