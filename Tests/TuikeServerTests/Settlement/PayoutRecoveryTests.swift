import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

@Suite struct PayoutRecoveryTests {
    /// An instance approves a withdrawal and dies before the provider answers: the withdrawal
    /// stays `approved`, and ten minutes later the recovery job pays it, once; the same job again
    /// (or a late first answer) changes nothing, and the ledger balances.
    @Test(arguments: TestDatabase.available)
    func aPayoutInterruptedAfterApprovalIsFinishedByTheJob(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let promoter = try await client.createPromoter("P")["id"] as! String
            _ = try await client.send(.post, "/api/v1/adjustments", body: #"{"promoter_id":"\#(promoter)","amount":30000,"reason":"bonus"}"#)
            let id = try #require(try await client.send(.post, "/api/v1/withdrawals",
                                                        body: #"{"promoter_id":"\#(promoter)","amount":20000,"channel":"bank"}"#).json["id"] as? String)
            let repository = WithdrawalRepository(database: tuike.database)
            // The approval commits; the crash comes before the provider is asked.
            let (approved, now) = try await repository.approve(id, by: "admin:test", provider: "sandbox", at: tuike.clock.now())
            #expect(approved.status == .approved && now)
            #expect(try await client.send(.get, "/api/v1/withdrawals/\(id)").json["status"] as? String == "approved")

            _ = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":\#(WithdrawalRepository.payoutRecoverySeconds - 60)}"#)
            #expect(try await client.send(.get, "/api/v1/withdrawals/\(id)").json["status"] as? String == "approved", "not before its time")
            _ = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":120}"#)
            let paid = try await client.send(.get, "/api/v1/withdrawals/\(id)").json
            #expect(paid["status"] as? String == "paid", "\(paid)")

            let again = try await PayoutService(withdrawals: repository, provider: SandboxPayoutProvider(), channels: [], clock: tuike.clock).payOut(approved, resuming: true)
            #expect(again.status == .paid, "a late answer for a finished payout changes nothing")
            let balance = try await client.send(.get, "/api/v1/promoters/\(promoter)/balance").json
            #expect(balance["available"] as? Int == 10_000 && balance["withdrawn"] as? Int == 20_000, "\(balance)")
            #expect(try await client.send(.get, "/api/v1/ledger/trial-balance").json["balanced"] as? Bool == true)
        }
    }
}
