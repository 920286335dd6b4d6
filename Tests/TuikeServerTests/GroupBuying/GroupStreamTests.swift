import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport
@Suite struct GroupStreamTests {
    /// A watcher on a real connection sees `joined` and then `succeeded` within a second of each change.
    @Test func aWatcherSeesJoinedAndSucceededLive() async throws {
        try await TestDatabase.sqlite.withDatabase(migrated: false) { database async throws in
            let (tuike, _) = try await TuikeApp.prepare(database: database, options: .init(sandbox: true, adminToken: adminToken, cipher: testCipher),
                                                        logger: TestDatabase.logger)
            let app = Application(router: buildRouter(tuike).router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                  logger: TestDatabase.logger)
            try await app.test(.live) { client async throws in
                let (campaign, _, _) = try await client.groupCampaign(size: 2)
                let (group, leaderOrder) = try await client.openGroup(campaign)
                let reader = try RawStreamReader(port: try #require(client.port), path: "/api/v1/groups/\(group)/events")
                #expect(try await reader.waitFor("event: reserved"))
                #expect(reader.received.withLock { $0.contains("text/event-stream") })

                _ = try await client.pay(leaderOrder)
                #expect(try await reader.waitFor("event: joined", seconds: 1.5))
                let member = try await client.joinGroup(group, buyer: "buyer-b")
                #expect(try await reader.waitFor(#""reserved":1"#, seconds: 1.5))
                _ = try await client.pay((member.json["order"] as! [String: Any])["id"] as! String)
                #expect(try await reader.waitFor("event: succeeded", seconds: 1.5))
                #expect(reader.received.withLock { $0.contains(#""members":2,"reserved":0,"size":2,"status":"succeeded""#) })
                reader.stop()
            }
        }
    }
}

@Suite struct GroupStreamPacingTests {
    /// An idle stream sends heartbeat comments, and ends (the last chunk) once it has run its
    /// longest; the browser then reconnects with `Last-Event-ID`.
    @Test func anIdleStreamBeatsAndEnds() async throws {
        try await TestDatabase.sqlite.withDatabase(migrated: false) { database async throws in
            let (tuike, _) = try await TuikeApp.prepare(database: database, options: .init(sandbox: true, adminToken: adminToken, cipher: testCipher),
                                                        logger: TestDatabase.logger)
            let timing = GroupsController.StreamTiming(heartbeat: .milliseconds(300), poll: .milliseconds(50), longest: .seconds(2))
            let app = Application(router: buildRouter(tuike, groupStreamTiming: timing).router,
                                  configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: TestDatabase.logger)
            try await app.test(.live) { client async throws in
                let (campaign, _, _) = try await client.groupCampaign(size: 2)
                let (group, _) = try await client.openGroup(campaign)
                let reader = try RawStreamReader(port: try #require(client.port), path: "/api/v1/groups/\(group)/events")
                #expect(try await reader.waitFor("event: reserved"))
                #expect(try await reader.waitFor(": heartbeat", seconds: 1.5))
                #expect(try await reader.waitFor("\r\n0\r\n\r\n", seconds: 4))
                reader.stop()
            }
        }
    }
}

@Suite struct GroupEventCacheTests {
    static func event(_ seq: Int64) -> GroupEvent {
        GroupEvent(groupID: "g", seq: seq, type: "joined", members: seq, reserved: 0, size: 3, status: "forming", createdAt: Instant(milliseconds: seq))
    }

    /// 200 watchers asking at once cost one query; a later ask within `maxAge` costs none; after
    /// it, one more that asks only for what is new.
    @Test func watchersShareOneQuery() async throws {
        let calls = Mutex<[Int64]>([])
        let stored = Mutex<[GroupEvent]>([Self.event(1), Self.event(2)])
        let now = Mutex(ContinuousClock.now)
        let cache = GroupEventCache(maxAge: .milliseconds(300), clock: { now.withLock { $0 } }) { _, after in
            calls.withLock { $0.append(after) }
            try await Task.sleep(for: .milliseconds(20))
            return stored.withLock { $0.filter { $0.seq > after } }
        }
        let seen = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<200 { group.addTask { try await cache.events(groupID: "g", after: Int64(index % 2)).count } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(calls.withLock { $0 } == [0] && Set(seen) == [1, 2])
        stored.withLock { $0.append(Self.event(3)) }
        now.withLock { $0 += .milliseconds(299) }
        #expect(try await cache.events(groupID: "g", after: 2).isEmpty, "fresh enough: no query")
        now.withLock { $0 += .milliseconds(2) }
        #expect(try await cache.events(groupID: "g", after: 2).map(\.seq) == [3])
        #expect(calls.withLock { $0 } == [0, 2])
    }

    /// Past 1,000 watched groups, those nobody asked about for `idle` are forgotten: asking again
    /// reads their events from the start; a group asked about recently is kept.
    @Test func idleGroupsAreForgotten() async throws {
        let calls = Mutex<[String: [Int64]]>([:])
        let now = Mutex(ContinuousClock.now)
        let cache = GroupEventCache(maxAge: .milliseconds(100), idle: .seconds(60), clock: { now.withLock { $0 } }) { group, after in
            calls.withLock { $0[group, default: []].append(after) }
            return [GroupEvent(groupID: group, seq: 1, type: "joined", members: 1, reserved: 0, size: 3, status: "forming",
                                     createdAt: Instant(milliseconds: 1))]
        }
        for index in 0...1_000 { _ = try await cache.events(groupID: "g\(index)", after: 0) }
        now.withLock { $0 += .seconds(59) }
        _ = try await cache.events(groupID: "g0", after: 0)
        now.withLock { $0 += .seconds(2) }
        _ = try await cache.events(groupID: "new", after: 0)
        _ = try await cache.events(groupID: "g1", after: 0)
        _ = try await cache.events(groupID: "g0", after: 0)
        #expect(calls.withLock { $0["g1"] } == [0, 0], "forgotten: read again from the start")
        #expect(calls.withLock { $0["g0"] } == [0, 1, 1], "kept: asks only for what is new")
    }
}
