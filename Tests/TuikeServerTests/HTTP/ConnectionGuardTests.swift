import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

/// `ConnectionGuard` and `ConnectionCap` on a real socket, with short limits.
@Suite(.serialized) struct ConnectionGuardTests {
    static func limits(perAddress: Int = 256) -> ConnectionLimits {
        var limits = ConnectionLimits()
        limits.idleTimeout = .milliseconds(800)
        limits.headerTimeout = .milliseconds(800)
        limits.bodyTimeout = .milliseconds(800)
        limits.perAddress = perAddress
        return limits
    }

    static func withServer(limits: ConnectionLimits, trusted: TrustedProxies = .none,
                           _ body: @escaping @Sendable (any TestClientProtocol, Int) async throws -> Void) async throws {
        try await TestDatabase.sqlite.withDatabase(migrated: false) { database async throws in
            let (tuike, _) = try await TuikeApp.prepare(
                database: database, options: .init(sandbox: true, adminToken: adminToken, cipher: testCipher, trustedProxies: trusted),
                logger: TestDatabase.logger)
            let app = Application(router: buildRouter(tuike).router, server: httpServer(tuike, limits: limits, logger: TestDatabase.logger),
                                  configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: TestDatabase.logger)
            try await app.test(.live) { client in try await body(client, try #require(client.port)) }
        }
    }

    /// Whether `/healthz` answers on a fresh connection while the held ones wait (tests do not
    /// time: the wait only bounds a server that would not answer at all).
    static func healthzAnswers(port: Int) async throws -> Bool {
        let reader = try RawStreamReader(port: port, sending: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        defer { reader.stop() }
        return try await reader.waitFor(#"{"status":"ok"}"#, seconds: 5)
    }

    /// A kept-alive connection that sends nothing more is closed after the idle timeout, and one
    /// that never sends a byte likewise; the server answers others quickly meanwhile.
    @Test func idleConnectionsAreClosed() async throws {
        try await Self.withServer(limits: Self.limits()) { _, port in
            let used = try RawStreamReader(port: port, sending: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let silent = try RawStreamReader(port: port, sending: "")
            #expect(try await used.waitFor(#"{"status":"ok"}"#))
            #expect(try await Self.healthzAnswers(port: port))
            #expect(try await used.waitUntilClosed(seconds: 3))
            #expect(try await silent.waitUntilClosed(seconds: 3))
        }
    }

    /// Headers sent a few bytes at a time never complete in time: the connection is closed after
    /// the header timeout even though bytes keep coming. A body that stops is closed too.
    @Test func slowHeadersAndStalledBodiesAreClosed() async throws {
        try await Self.withServer(limits: Self.limits()) { _, port in
            let trickle = try RawStreamReader(port: port, sending: "GET /healthz HTTP/1.1\r\n")
            let stalled = try RawStreamReader(port: port, sending: "POST /api/v1/products HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                  + "Authorization: Bearer \(adminToken)\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ti")
            // A header line every 100 ms for up to 10 s: far longer than the 0.8 s header timeout.
            var sent = 0
            while sent < 100, !trickle.closed.withLock({ $0 }) {
                trickle.send("X-Slow-\(sent): 1\r\n")
                sent += 1
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(sent < 100, "closed while the headers were still trickling in")
            #expect(!trickle.received.withLock { $0.contains("200 OK") })
            #expect(try await stalled.waitUntilClosed(seconds: 3))
            #expect(try await Self.healthzAnswers(port: port))
        }
    }

    /// A request being answered is never cut: an event stream outlives every timeout.
    @Test func aLiveStreamIsNotClosed() async throws {
        try await Self.withServer(limits: Self.limits()) { client, port in
            let (campaign, _, _) = try await client.groupCampaign(size: 2)
            let (group, _) = try await client.openGroup(campaign)
            let reader = try RawStreamReader(port: port, path: "/api/v1/groups/\(group)/events")
            #expect(try await reader.waitFor("event: reserved"))
            try await Task.sleep(for: .seconds(2))
            #expect(!reader.closed.withLock { $0 })
            reader.stop()
        }
    }

    /// One address holds at most its limit of connections; a further one is closed at once, and
    /// a place frees when a connection ends.
    @Test func connectionsPerAddressAreCapped() async throws {
        // Long idle limits: the answered connections must stay open (and keep their places) however
        // slowly a loaded machine answers them.
        var limits = Self.limits(perAddress: 4)
        limits.idleTimeout = .seconds(30)
        limits.headerTimeout = .seconds(30)
        try await Self.withServer(limits: limits) { client, port in
            let ok = #"{"status":"ok"}"#
            // The test client holds a kept-alive connection of its own from the same address:
            // once it has answered, that connection is sure to count, leaving three places.
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            // Accepted connections become active on several event loops, in no fixed order: which
            // of the four is refused is not known, only that one is.
            let readers = try (0..<4).map { _ in try RawStreamReader(port: port, sending: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") }
            func answered(_ reader: RawStreamReader) -> Bool { reader.received.withLock { $0.contains(ok) } }
            func refused(_ reader: RawStreamReader) -> Bool { reader.closed.withLock { $0 } && reader.received.withLock { $0.isEmpty } }
            // Each connection either answers or is closed without a byte; the bound only ends a
            // server that does neither.
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline, !readers.allSatisfy({ answered($0) || refused($0) }) {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(readers.filter(answered).count == 3)
            #expect(readers.filter(refused).count == 1)
            readers.first(where: answered)?.stop()
            // The server learns of the close a moment later: a newcomer is refused until then, and
            // answered after.
            var admitted = false
            while ContinuousClock.now < deadline, !admitted {
                let later = try RawStreamReader(port: port, sending: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                admitted = try await later.waitFor(ok, seconds: 2)
                later.stop()
                if !admitted { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(admitted)
            for reader in readers { reader.stop() }
        }
    }
}
