import Logging
import Synchronization
import TuikeCore
import TuikeStore

/// Notes where promoters are seen (docs/rules.md §16): the address of a login, an application
/// and each call with the promoter's token, and the device the portal reports. A promoter's API
/// calls would write on every request, so each promoter, address and device is written at most
/// once every ten minutes per instance (the self-purchase window is hours). A sighting that cannot
/// be written is logged: it never fails the request that made it.
final class SightingRecorder: Sendable {
    let risk: RiskRepository
    let cipher: FieldCipher
    let logger: Logger
    private let recent = Mutex<[String: Int64]>([:])
    static let interval: Int64 = 600_000

    init(risk: RiskRepository, cipher: FieldCipher, logger: Logger) {
        self.risk = risk
        self.cipher = cipher
        self.logger = logger
    }

    func record(promoterID: String, ip: String?, device: String?, source: String, at now: Instant) async {
        var seen: [(RiskSignals.Sighting.Kind, String)] = []
        if let ip, let hash = try? RiskOrigin.ipHash(ip, cipher: cipher) { seen.append((.ip, hash)) }
        if let device, let hash = try? RiskOrigin.deviceHash(device, cipher: cipher) { seen.append((.device, hash)) }
        for (kind, hash) in seen {
            let key = "\(promoterID)|\(kind.rawValue)|\(hash)|\(source)"
            guard due(key, at: now) else { continue }
            do {
                try await risk.sighted(promoterID: promoterID, kind: kind, valueHash: hash, source: source, at: now)
            } catch {
                // Not written: the next request tries again.
                _ = recent.withLock { $0.removeValue(forKey: key) }
                logger.warning("a promoter sighting was not recorded", metadata: ["promoter": "\(promoterID)", "error": "\(error)"])
            }
        }
    }

    /// Whether `key` was not written within the interval; marks it written.
    private func due(_ key: String, at now: Instant) -> Bool {
        recent.withLock { recent in
            if let last = recent[key], now.milliseconds - last < Self.interval, now.milliseconds >= last { return false }
            if recent.count > 50_000 { recent.removeAll() }
            recent[key] = now.milliseconds
            return true
        }
    }
}
