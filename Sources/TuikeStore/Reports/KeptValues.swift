import Synchronization

/// Figures that a key names completely (rolled-up days, or a count of the open day, each with the
/// `through` it was made to), made once and kept in memory, so that pages read them once per
/// rollup or recount instead of once per request. A new rollup or recount makes the earlier keys
/// stale: a few are kept, never a history.
final class KeptValues<Value: Sendable>: Sendable {
    private let store = Mutex<[String: Value]>([:])
    private let limit: Int

    init(limit: Int = 16) { self.limit = limit }

    func value(_ key: String, make: () async throws -> Value) async rethrows -> Value {
        if let kept = store.withLock({ $0[key] }) { return kept }
        let value = try await make()
        store.withLock { kept in
            if kept.count >= limit { kept.removeAll() }
            kept[key] = value
        }
        return value
    }
}
