import Foundation
import SQLKit
import TuikeCore

/// Risk rules, exclusions, sightings and cases (docs/rules.md §16).
public struct RiskRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    // MARK: rules

    /// Every rule: the stored row, or the default for a signal never changed.
    public func rules() async throws -> [RiskRule] {
        try await database.read { db in try await Self.rules(in: db) }
    }

    static func rules(in db: any SQLDatabase) async throws -> [RiskRule] {
        var stored: [RiskCode: RiskRule] = [:]
        for row in try await db.rows("SELECT code, mode, threshold, weight, version FROM risk_rules") {
            guard let code = RiskCode(rawValue: try row.decode(column: "code", as: String.self)) else { continue }
            stored[code] = RiskRule(code: code, mode: try row.decodeEnum(column: "mode", as: RiskMode.self),
                                    threshold: try row.decode(column: "threshold", as: Int64.self), weight: try row.decode(column: "weight", as: Int64.self),
                                    version: try row.decode(column: "version", as: Int64.self))
        }
        return RiskCode.allCases.map { stored[$0] ?? RiskRule.defaultRule($0) }
    }

    /// Changes a rule: its version goes up by one, and the change is in the audit trail.
    public func setRule(_ code: RiskCode, mode: RiskMode?, threshold: Int64?, weight: Int64?, actor: String, at now: Instant) async throws -> RiskRule {
        let dialect = database.dialect
        return try await database.write { db in
            // One change at a time, so versions never repeat.
            if dialect.kind == .postgres { try await db.execute("SELECT pg_advisory_xact_lock(7368763)") }
            let current = try await Self.rules(in: db).first { $0.code == code } ?? RiskRule.defaultRule(code)
            var next = try current.changed(mode: mode, threshold: threshold, weight: weight)
            next.version = current.version + 1
            try await db.execute("""
                INSERT INTO risk_rules (code, mode, threshold, weight, version, updated_at)
                VALUES (\(bind: code.rawValue), \(bind: next.mode.rawValue), \(bind: next.threshold), \(bind: next.weight), \(bind: next.version),
                        \(bind: now.milliseconds))
                ON CONFLICT (code) DO UPDATE SET mode = excluded.mode, threshold = excluded.threshold, weight = excluded.weight,
                    version = excluded.version, updated_at = excluded.updated_at
                """)
            try await AuditLog.append(actor: actor, action: "risk_rule.changed", subject: "risk_rule:\(code.rawValue)",
                                      detail: "v\(next.version): mode \(current.mode.rawValue)→\(next.mode.rawValue), threshold \(current.threshold)→\(next.threshold), weight \(current.weight)→\(next.weight)",
                                      at: now, in: db)
            return next
        }
    }

    // MARK: exclusions

    /// A trusted promoter left out of a rule, with the reason (audited); `reason` nil takes it back.
    public func setExclusion(promoterID: String, code: RiskCode, reason: String?, actor: String, at now: Instant) async throws {
        try await database.write { db in
            guard try await PromoterRepository.find(promoterID, in: db) != nil else { throw TuikeError.notFound("promoter", promoterID) }
            if let reason {
                try await db.execute("""
                    INSERT INTO risk_exclusions (promoter_id, code, reason, created_at) VALUES (\(bind: promoterID), \(bind: code.rawValue), \(bind: reason),
                        \(bind: now.milliseconds))
                    ON CONFLICT (promoter_id, code) DO UPDATE SET reason = excluded.reason
                    """)
            } else {
                try await db.execute("DELETE FROM risk_exclusions WHERE promoter_id = \(bind: promoterID) AND code = \(bind: code.rawValue)")
            }
            try await AuditLog.append(actor: actor, action: reason == nil ? "risk_exclusion.removed" : "risk_exclusion.added",
                                      subject: "promoter:\(promoterID)", detail: "\(code.rawValue)\(reason.map { ": \($0)" } ?? "")", at: now, in: db)
        }
    }

    public func exclusions(promoterID: String) async throws -> [(code: RiskCode, reason: String)] {
        try await database.read { db in
            guard try await PromoterRepository.find(promoterID, in: db) != nil else { throw TuikeError.notFound("promoter", promoterID) }
            return try await db.rows("SELECT code, reason FROM risk_exclusions WHERE promoter_id = \(bind: promoterID) ORDER BY code").compactMap { row in
                guard let code = RiskCode(rawValue: try row.decode(column: "code", as: String.self)) else { return nil }
                return (code, try row.decode(column: "reason", as: String.self))
            }
        }
    }

    // MARK: sightings

    /// Notes that a promoter used an address or device (keyed hashes) `source`-wise; only the
    /// last time per address and device is kept.
    public func sighted(promoterID: String, kind: RiskSignals.Sighting.Kind, valueHash: String, source: String, at now: Instant) async throws {
        try await database.writeStatement { db in
            try await db.execute("""
                INSERT INTO promoter_sightings (promoter_id, kind, value_hash, source, seen_at)
                VALUES (\(bind: promoterID), \(bind: kind.rawValue), \(bind: valueHash), \(bind: source), \(bind: now.milliseconds))
                ON CONFLICT (promoter_id, kind, value_hash) DO UPDATE SET source = excluded.source, seen_at = excluded.seen_at
                WHERE promoter_sightings.seen_at < excluded.seen_at
                """)
        }
    }
}

/// How addresses and devices are kept for risk: keyed hashes (the data key's HMAC), so equal
/// values match and nothing else can be read back. An IPv6 address counts by its /64.
public enum RiskOrigin {
    public static let maxDeviceLength = 128

    public static func ipHash(_ ip: String, cipher: FieldCipher) throws(TuikeError) -> String {
        guard let bytes = AddressRanges.bytes(ip) else { throw .validation("ip must be an IPv4 or IPv6 address") }
        // From the bytes, so an IPv4-mapped IPv6 address (a dual-stack socket's view) matches the
        // same address written as IPv4.
        return cipher.hash("risk-ip:" + (bytes.count == 4 ? bytes.map(String.init).joined(separator: ".") : AddressRanges.limitKey(ip)))
    }

    public static func deviceHash(_ device: String, cipher: FieldCipher) throws(TuikeError) -> String {
        guard (1...maxDeviceLength).contains(device.count), device.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline }) else {
            throw .validation("device_id must be 1 to \(maxDeviceLength) visible ASCII characters")
        }
        return cipher.hash("risk-device:" + device)
    }
}
