import Synchronization

/// Figures that a key names completely (rolled-up days, or a count of the open day, each with the
/// `through` it was made to), made once and kept in memory, so that pages read them once per
/// rollup or recount instead of once per request. A new rollup or recount makes the earlier keys
/// stale: a few are kept, never a history.
///
/// A key is made once even when many ask for it at once: the first asker makes it, the others
/// wait for its value (sixteen dashboards opened together would otherwise make the same figures
/// sixteen times, one after another on the report thread). If the first one fails, the waiters
/// ask again and one of them makes it. A `make` must never ask for its own key.
final class KeptValues<Value: Sendable>: Sendable {
    private enum Slot {
        case kept(Value)
        case making([CheckedContinuation<Value?, Never>])
    }

    private enum Turn {
        case kept(Value)
        case make
        case wait
    }

    private let store = Mutex<[String: Slot]>([:])
    private let limit: Int

    init(limit: Int = 16) { self.limit = limit }

    func value(_ key: String, make: () async throws -> Value) async rethrows -> Value {
        let turn = store.withLock { slots -> Turn in
            switch slots[key] {
            case .kept(let value): return .kept(value)
            case .making: return .wait
            case nil:
                slots[key] = .making([])
                return .make
            }
        }
        switch turn {
        case .kept(let value):
            return value
        case .wait:
            let made = await withCheckedContinuation { (waiter: CheckedContinuation<Value?, Never>) in
                let waiting = store.withLock { slots -> Bool in
                    guard case .making(let waiters) = slots[key] else { return false }
                    slots[key] = .making(waiters + [waiter])
                    return true
                }
                // Made (or given up) between the two locks: look again, or make it here.
                if !waiting {
                    waiter.resume(returning: store.withLock { slots in
                        if case .kept(let value) = slots[key] { return value }
                        return nil
                    })
                }
            }
            if let made { return made }
            // The maker failed: ask again, so that one of the waiters makes it for the rest.
            return try await value(key, make: make)
        case .make:
            let value: Value
            do {
                value = try await make()
            } catch {
                finish(key, with: nil)
                throw error
            }
            finish(key, with: value)
            return value
        }
    }

    private func finish(_ key: String, with value: Value?) {
        let waiters = store.withLock { slots -> [CheckedContinuation<Value?, Never>] in
            guard case .making(let waiters) = slots[key] else { return [] }
            if let value {
                let kept = slots.filter { if case .kept = $0.value { return true } else { return false } }.count
                // Only kept values count toward the limit: a key being made is never dropped.
                if kept >= limit { slots = slots.filter { if case .making = $0.value { return true } else { return false } } }
                slots[key] = .kept(value)
            } else {
                slots[key] = nil
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }
}
