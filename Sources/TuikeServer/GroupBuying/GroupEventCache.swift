import Synchronization
import TuikeCore
import TuikeStore

/// The events of watched groups, shared by every live stream of this instance: however many
/// buyers watch a group, the instance asks the database for its new events at most once per
/// `maxAge` (concurrent askers wait for the same query). Streams on other instances have caches
/// of their own, so the event table stays the one truth across instances.
final class GroupEventCache: Sendable {
    typealias Fetch = @Sendable (_ groupID: String, _ after: Int64) async throws -> [GroupEvent]
    typealias Clock = @Sendable () -> ContinuousClock.Instant

    private struct Entry {
        var events: [GroupEvent] = []
        var fetchedAt: ContinuousClock.Instant?
        var refresh: Task<Void, any Error>?
        var usedAt = ContinuousClock.now
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let fetch: Fetch
    private let clock: Clock
    let maxAge: Duration
    /// Groups nobody asked about for this long are forgotten.
    let idle: Duration

    /// `clock` is injectable so that tests step time instead of sleeping through it.
    init(maxAge: Duration = .milliseconds(200), idle: Duration = .seconds(60), clock: @escaping Clock = { .now }, fetch: @escaping Fetch) {
        self.maxAge = maxAge
        self.idle = idle
        self.clock = clock
        self.fetch = fetch
    }

    /// The group's events after `seq`, at most `maxAge` old.
    func events(groupID: String, after seq: Int64) async throws -> [GroupEvent] {
        let now = clock()
        let pending: Task<Void, any Error>? = entries.withLock { entries in
            if entries.count > 1_000 { entries = entries.filter { now - $0.value.usedAt < idle } }
            var entry = entries[groupID] ?? Entry()
            entry.usedAt = now
            defer { entries[groupID] = entry }
            if let fetched = entry.fetchedAt, now - fetched < maxAge { return nil }
            if let refresh = entry.refresh { return refresh }
            let known = entry.events.last?.seq ?? 0
            let refresh = Task { [fetch] in
                do {
                    let fresh = try await fetch(groupID, known)
                    self.store(groupID, fresh, fetchedAt: now)
                } catch {
                    self.store(groupID, [], fetchedAt: nil)
                    throw error
                }
            }
            entry.refresh = refresh
            return refresh
        }
        try await pending?.value
        return entries.withLock { $0[groupID]?.events.filter { $0.seq > seq } ?? [] }
    }

    private func store(_ groupID: String, _ fresh: [GroupEvent], fetchedAt: ContinuousClock.Instant?) {
        entries.withLock { entries in
            var entry = entries[groupID] ?? Entry()
            let known = entry.events.last?.seq ?? 0
            entry.events += fresh.filter { $0.seq > known }
            entry.fetchedAt = fetchedAt
            entry.refresh = nil
            entries[groupID] = entry
        }
    }
}
