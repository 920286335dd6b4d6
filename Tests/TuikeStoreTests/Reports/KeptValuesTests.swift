import Synchronization
import Testing
@testable import TuikeStore

/// Kept figures are made once per key, even when a hundred readers ask at once.
@Suite struct KeptValuesTests {
    struct Failed: Error {}

    final class Count: Sendable {
        private let value = Atomic<Int>(0)
        func next() -> Int { value.add(1, ordering: .relaxed).newValue }
        var total: Int { value.load(ordering: .relaxed) }
    }

    @Test func aKeyIsMadeOnceForEveryoneAskingAtOnce() async throws {
        let kept = KeptValues<Int>(limit: 2)
        let made = Count()
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    try await kept.value("k") {
                        _ = made.next()
                        try await Task.sleep(for: .milliseconds(50))
                        return 7
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(values.count == 100 && values.allSatisfy { $0 == 7 })
        #expect(made.total == 1)
        #expect(await kept.value("k") { 8 } == 7)
    }

    /// When the first maker fails, it alone sees its error: the waiters ask again, and one makes it.
    @Test func aFailedMakerLeavesTheWaitersToMakeIt() async throws {
        let kept = KeptValues<Int>()
        let made = Count()
        let results = await withTaskGroup(of: Int?.self) { group in
            for index in 0..<20 {
                group.addTask {
                    try? await kept.value("k") {
                        let turn = made.next()
                        try await Task.sleep(for: .milliseconds(index == 0 ? 0 : 20))
                        if turn == 1 { throw Failed() }
                        return turn
                    }
                }
            }
            return await group.reduce(into: [Int?]()) { $0.append($1) }
        }
        #expect(results.filter { $0 == nil }.count == 1, "\(results)")
        // The waiters asked again, and one of them made it for the rest.
        #expect(results.compactMap { $0 }.allSatisfy { $0 > 1 } && Set(results.compactMap { $0 }).count == 1, "\(results)")
    }

    /// Only kept values count toward the limit; older keys go, the newest stays.
    @Test func theLimitDropsKeptValuesOnly() async {
        let kept = KeptValues<Int>(limit: 2)
        for key in 0..<5 { _ = await kept.value("\(key)") { key } }
        #expect(await kept.value("4") { -1 } == 4)
        #expect(await kept.value("0") { -1 } == -1)
    }
}
