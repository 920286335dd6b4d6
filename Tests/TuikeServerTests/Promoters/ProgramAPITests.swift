import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

@Suite struct ProgramAPITests {
    @Test(arguments: TestDatabase.available)
    func getReturnsTheDefaultsAndPutAcceptsThemBack(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let current = try await client.send(.get, "/api/v1/program")
            #expect(current.status == .ok)
            #expect(current.json["levels"] as? [Int] == [2000, 500])
            #expect(current.json["time_zone"] as? String == "Asia/Shanghai")
            #expect((current.json["withdrawal"] as? [String: Any])?["min_amount"] as? Int == 10_000)
            // Read, change one field, write back.
            var changed = current.json
            changed["freeze_days"] = 14
            let body = String(decoding: try JSONSerialization.data(withJSONObject: changed), as: UTF8.self)
            let saved = try await client.send(.put, "/api/v1/program", body: body)
            #expect(saved.status == .ok, "\(saved.text)")
            #expect(saved.json["freeze_days"] as? Int == 14)
            #expect(try await client.send(.get, "/api/v1/program").json["freeze_days"] as? Int == 14)
        }
    }

    @Test(arguments: TestDatabase.available)
    func aPartialPutKeepsTheOtherFields(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let saved = try await client.send(.put, "/api/v1/program", body: #"{"levels":[1500,500,300],"withdrawal":{"fee_bps":100}}"#)
            #expect(saved.status == .ok, "\(saved.text)")
            let settings = try await ProgramRepository(database: tuike.database).current()
            #expect(settings.levels == [1500, 500, 300])
            #expect(settings.withdrawal.feeBps == 100)
            #expect(settings.withdrawal.minAmount == 10_000)
            #expect(settings.freezeDays == 7)
        }
    }

    @Test(arguments: TestDatabase.available)
    func nonCompliantOrInvalidSettingsAreRefusedAndNothingChanges(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"levels":[1000,500,300,100]}"#, .unprocessableContent, "compliance_violation"),
                (#"{"levels":[4000,1000,500]}"#, .unprocessableContent, "compliance_violation"),
                (#"{"levels":[3000,1000],"max_total_bps":3999}"#, .unprocessableContent, "compliance_violation"),
                (#"{"window_days":0}"#, .unprocessableContent, "validation_failed"),
                (#"{"time_zone":"Atlantis/Capital"}"#, .unprocessableContent, "validation_failed"),
                (#"{"attribution_model":"random"}"#, .unprocessableContent, "validation_failed"),
                (#"{"settlement_cycle":"daily"}"#, .unprocessableContent, "validation_failed"),
                (#"{"levelz":[1]}"#, .unprocessableContent, "validation_failed"),
                (#"{"withdrawal":{"min_amount":100,"fees":1}}"#, .unprocessableContent, "validation_failed"),
                (#"{"withdrawal":{"channels":["paypal"]}}"#, .unprocessableContent, "validation_failed"),
                (#"{"levels":"2000"}"#, .badRequest, "invalid_request"),
                (#"{"window_days":"30"}"#, .badRequest, "invalid_request"),
                (#"{"auto_approve_promoters":"yes"}"#, .badRequest, "invalid_request"),
                (#"{"levels":[2000,500]"#, .badRequest, "malformed_json"),
            ]
            for (body, status, code) in cases {
                expectError(try await client.send(.put, "/api/v1/program", body: body), status, code)
            }
            #expect(try await ProgramRepository(database: tuike.database).current() == .defaults)
        }
    }

    @Test(arguments: TestDatabase.available)
    func onlyAdminsMayReadOrChangeTheProgram(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            expectError(try await client.send(.get, "/api/v1/program", headers: [:]), .unauthorized, "unauthorized")
            expectError(try await client.send(.put, "/api/v1/program", headers: jsonOnly, body: #"{"freeze_days":1}"#), .unauthorized, "unauthorized")
            let promoterToken = try await TokenRepository(database: tuike.database).issue(role: "promoter", subjectID: "prm_1", label: "t", at: tuike.clock.now())
            expectError(try await client.send(.get, "/api/v1/program", headers: [.authorization: "Bearer \(promoterToken)"]), .forbidden, "forbidden")
            #expect(try await ProgramRepository(database: tuike.database).current() == .defaults)
        }
    }
}
