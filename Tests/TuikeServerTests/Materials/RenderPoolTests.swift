import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeTestSupport

/// The render pool's bound, and the console upload's guard: unhappy paths of materials.
@Suite struct RenderPoolTests {
    @Test func aFullPoolRefusesAtOnceAndRecovers() async throws {
        let pool = RenderPool(limit: 1, maxWaiting: 1)
        let gate = Mutex(false)
        // One job runs (held until released), one waits; a third is refused with 503 at once.
        async let running: Int = pool.run {
            while !gate.withLock({ $0 }) { usleep(1_000) }
            return 1
        }
        try await Task.sleep(for: .milliseconds(200))
        async let waiting: Int = pool.run { 2 }
        try await Task.sleep(for: .milliseconds(200))
        await #expect(throws: TuikeError.self) { try await pool.run { 3 } }
        gate.withLock { $0 = true }
        let (first, second) = try await (running, waiting)
        #expect(first == 1 && second == 2)
        #expect(try await pool.run { 4 } == 4)
    }

    @Test(arguments: TestDatabase.available)
    func consoleUploadsNeedASessionAndTheFormsToken(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, app async throws in
            let png = try TestImages.png()
            for uri in ["/admin/media", "/admin/media?_csrf=abc"] {
                let response = try await client.execute(uri: uri, method: .post, headers: [.contentType: "image/png", .cookie: "tk_csrf=xyz"],
                                                        body: ByteBuffer(bytes: png))
                expectError(response, .forbidden, "csrf_failed")
            }
            let noSession = try await client.execute(uri: "/admin/media?_csrf=xyz", method: .post, headers: [.contentType: "image/png", .cookie: "tk_csrf=xyz"],
                                                     body: ByteBuffer(bytes: png))
            expectError(noSession, .forbidden, "forbidden")
            #expect(try await OrdersAPITests.count("media", in: app.database) == 0)
        }
    }
}
