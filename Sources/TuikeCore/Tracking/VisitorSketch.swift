import Foundation

/// Distinct visitors over a range of days, from one small sketch per day: the days' visitor sets
/// are too large to keep, and distinct counts do not add up.
///
/// A sketch starts exact: the set of its visitors' 64-bit hashes, up to `exactLimit` of them (a
/// collision among a few hundred 64-bit hashes is vanishingly unlikely). Past that it becomes a
/// HyperLogLog of 2^11 registers (2 KiB, standard error about 2.3 %). Sketches merge without
/// loss: the union of two exact sets is exact while it stays small, and merged registers are those
/// of the union. `isExact` tells a page whether to call the count an estimate.
public struct VisitorSketch: Sendable, Equatable {
    public static let precision = 11
    public static let registerCount = 1 << precision
    public static let exactLimit = 256

    private enum Storage: Sendable, Equatable {
        case exact(Set<UInt64>)
        case registers([UInt8])
    }

    private var storage: Storage = .exact([])

    public init() {}

    public init<S: Sequence>(visitors: S) where S.Element == String {
        for visitor in visitors { add(visitor) }
    }

    public var isExact: Bool { if case .exact = storage { true } else { false } }

    public mutating func add(_ visitor: String) { add(hash: Self.hash(visitor)) }

    public mutating func add(hash: UInt64) {
        switch storage {
        case .exact(var hashes):
            hashes.insert(hash)
            if hashes.count > Self.exactLimit {
                var registers = [UInt8](repeating: 0, count: Self.registerCount)
                for each in hashes { Self.place(each, in: &registers) }
                storage = .registers(registers)
            } else {
                storage = .exact(hashes)
            }
        case .registers(var registers):
            Self.place(hash, in: &registers)
            storage = .registers(registers)
        }
    }

    public mutating func merge(_ other: VisitorSketch) {
        switch (storage, other.storage) {
        case (_, .exact(let hashes)):
            for hash in hashes { add(hash: hash) }
        case (.exact(let hashes), .registers(var registers)):
            for hash in hashes { Self.place(hash, in: &registers) }
            storage = .registers(registers)
        case (.registers(var mine), .registers(let theirs)):
            for index in mine.indices where theirs[index] > mine[index] { mine[index] = theirs[index] }
            storage = .registers(mine)
        }
    }

    /// The number of distinct visitors: exact while `isExact`, else the HyperLogLog estimate with
    /// its small-range correction (linear counting while many registers are still empty).
    public var count: Int64 {
        switch storage {
        case .exact(let hashes):
            return Int64(hashes.count)
        case .registers(let registers):
            let m = Double(Self.registerCount)
            let alpha = 0.7213 / (1 + 1.079 / m)
            var sum = 0.0
            var zeros = 0
            for register in registers {
                sum += 1 / Double(UInt64(1) << UInt64(register))
                if register == 0 { zeros += 1 }
            }
            var estimate = alpha * m * m / sum
            if estimate <= 2.5 * m, zeros > 0 { estimate = m * log(m / Double(zeros)) }
            return Int64(estimate.rounded())
        }
    }

    // MARK: Storage bytes: 1 then 8 bytes per hash (big-endian), or 2 then the registers.

    public var bytes: [UInt8] {
        switch storage {
        case .exact(let hashes):
            var bytes: [UInt8] = [1]
            bytes.reserveCapacity(1 + hashes.count * 8)
            for hash in hashes.sorted() {
                for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: hash >> UInt64(shift))) }
            }
            return bytes
        case .registers(let registers):
            return [2] + registers
        }
    }

    /// Nil for bytes no sketch writes.
    public init?(bytes: [UInt8]) {
        guard let kind = bytes.first else { return nil }
        let body = bytes.dropFirst()
        switch kind {
        case 1 where body.count % 8 == 0 && body.count / 8 <= Self.exactLimit:
            var hashes = Set<UInt64>()
            var index = body.startIndex
            while index < body.endIndex {
                var hash: UInt64 = 0
                for offset in 0..<8 { hash = hash << 8 | UInt64(body[index + offset]) }
                hashes.insert(hash)
                index += 8
            }
            storage = .exact(hashes)
        case 2 where body.count == Self.registerCount && body.allSatisfy({ $0 <= 64 - Self.precision + 1 }):
            storage = .registers(Array(body))
        default:
            return nil
        }
    }

    /// FNV-1a over the id's bytes, then MurmurHash3's finaliser to spread the bits: stable across
    /// processes and builds, unlike Swift's seeded `Hasher`.
    public static func hash(_ visitor: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in visitor.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash = hash &* 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return hash
    }

    /// The register is the hash's top `precision` bits; its value the position of the first 1 in
    /// the rest (1-based), so a register holds at most 64 - precision + 1.
    private static func place(_ hash: UInt64, in registers: inout [UInt8]) {
        let index = Int(hash >> UInt64(64 - precision))
        let rest = hash << UInt64(precision)
        let rank = UInt8(min(rest.leadingZeroBitCount, 64 - precision) + 1)
        if rank > registers[index] { registers[index] = rank }
    }
}
