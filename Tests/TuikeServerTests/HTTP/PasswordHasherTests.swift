import Testing
import TuikeCore
@testable import TuikeServer

@Suite struct PasswordHasherTests {
    /// A check without an account does the same work and says no; a right password says yes.
    @Test func unknownAccountsAreCheckedLikeKnownOnes() async throws {
        let hasher = PasswordHasher()
        let hash = try await hasher.hash("secret-123")
        #expect(try await hasher.verify("secret-123", hash: hash))
        #expect(try await !hasher.verify("secret-124", hash: hash))
        #expect(try await !hasher.verify("secret-123", hash: nil))
    }

    /// A burst far beyond the queue is refused (429) rather than queued without bound.
    @Test func aBurstBeyondTheQueueIsRefused() async throws {
        let hasher = PasswordHasher()
        let results = try await OrdersAPITests.atOnce(200) { _ -> String in
            do {
                return try await hasher.verify("guess", hash: nil) ? "yes" : "no"
            } catch let error as TuikeError {
                return error.code
            }
        }
        #expect(results.filter { $0 == "rate_limited" }.count >= 200 - PasswordHasher.maxWaiting - 8, "\(results.count)")
        #expect(results.allSatisfy { $0 == "no" || $0 == "rate_limited" })
    }
}
