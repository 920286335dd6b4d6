import Dispatch
import NIOCore
import Synchronization
import TuikeCore

/// Runs image work (decoding an upload, drawing a poster) off the event loops and the
/// cooperative pool, at most one job per core at a time. Beyond that, a short queue waits; when
/// it is full the request is refused with 503 at once, so a burst of uncached posters or uploads
/// cannot hold every thread of the server.
final class RenderPool: Sendable {
    private struct State {
        var running = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    let limit: Int
    let maxWaiting: Int

    init(limit: Int = max(1, System.coreCount), maxWaiting: Int = 64) {
        self.limit = limit
        self.maxWaiting = maxWaiting
    }

    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Result { try work() }) }
        }
    }

    private func acquire() async throws {
        let started: Bool? = state.withLock { state in
            if state.running < limit {
                state.running += 1
                return true
            }
            return state.waiting.count < maxWaiting ? false : nil
        }
        guard let started else { throw TuikeError.unavailable("too many images are being drawn; try again in a moment") }
        if started { return }
        await withCheckedContinuation { continuation in
            state.withLock { state in
                // A slot may have freed between the two locks.
                if state.running < limit {
                    state.running += 1
                    continuation.resume()
                } else {
                    state.waiting.append(continuation)
                }
            }
        }
    }

    /// Hands the slot to the next waiter, if any.
    private func release() {
        let next: CheckedContinuation<Void, Never>? = state.withLock { state in
            if state.waiting.isEmpty {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}

/// Posters by the hash of their content, least recently used dropped first once the total passes
/// `capacity` bytes. A poster is about 100–400 KB, so the default keeps a few hundred.
final class PosterCache: Sendable {
    private struct State {
        var entries: [String: (bytes: ByteBuffer, used: UInt64)] = [:]
        var total = 0
        var clock: UInt64 = 0
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 64 * 1_024 * 1_024) { self.capacity = capacity }

    func get(_ key: String) -> ByteBuffer? {
        state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            state.clock &+= 1
            state.entries[key] = (entry.bytes, state.clock)
            return entry.bytes
        }
    }

    func put(_ key: String, _ bytes: ByteBuffer) {
        guard bytes.readableBytes <= capacity else { return }
        state.withLock { state in
            state.clock &+= 1
            if let old = state.entries.updateValue((bytes, state.clock), forKey: key) { state.total -= old.bytes.readableBytes }
            state.total += bytes.readableBytes
            while state.total > capacity, let oldest = state.entries.min(by: { $0.value.used < $1.value.used }) {
                state.entries[oldest.key] = nil
                state.total -= oldest.value.bytes.readableBytes
            }
        }
    }

    var count: Int { state.withLock { $0.entries.count } }
}
