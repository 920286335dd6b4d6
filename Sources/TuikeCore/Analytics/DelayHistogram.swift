/// How long paid orders took from their click to their payment, kept as counts in buckets whose
/// bounds grow by a fifth: a day's histogram is a few hundred bytes however many orders it has,
/// and the days of a month add up bucket by bucket, so the funnel's median over any span comes
/// from the rollups without reading a payment. The median is the middle of its bucket, within a
/// tenth of the exact value (exact below 10 seconds, where buckets are one second wide).
public struct DelayHistogram: Sendable, Equatable {
    /// Counts by bucket index (`bounds[i] ..< bounds[i + 1]` seconds); absent buckets are empty.
    public private(set) var counts: [Int: Int64] = [:]

    public init() {}

    /// Lower bounds in seconds: 0, 1, 2 … then each a fifth above the last, up past ten years.
    public static let bounds: [Int64] = {
        var bounds: [Int64] = [0, 1]
        while let last = bounds.last, last < 400_000_000 { bounds.append(max(last + 1, last * 6 / 5)) }
        return bounds
    }()

    public var total: Int64 { counts.values.reduce(0) { $0 &+ $1 } }

    /// Records one order paid `seconds` after its click (a clock that ran backwards counts as 0).
    public mutating func add(seconds: Int64) {
        counts[Self.bucket(of: max(0, seconds)), default: 0] &+= 1
    }

    public mutating func merge(_ other: DelayHistogram) {
        for (bucket, count) in other.counts { counts[bucket, default: 0] &+= count }
    }

    static func bucket(of seconds: Int64) -> Int {
        // The last bound not above `seconds`, by binary search.
        var (low, high) = (0, Self.bounds.count - 1)
        while low < high {
            let middle = (low + high + 1) / 2
            if Self.bounds[middle] <= seconds { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// The median delay in seconds (the lower middle of an even count), as the middle of its
    /// bucket rounded down; nil without orders.
    public var medianSeconds: Int64? {
        let total = self.total
        guard total > 0 else { return nil }
        let wanted = (total - 1) / 2 + 1
        var seen: Int64 = 0
        for bucket in counts.keys.sorted() {
            seen &+= counts[bucket] ?? 0
            guard seen >= wanted else { continue }
            let low = Self.bounds[bucket]
            let high = bucket + 1 < Self.bounds.count ? Self.bounds[bucket + 1] : low + 1
            return low + (high - 1 - low) / 2
        }
        return nil
    }

    /// `bucket:count` pairs by bucket, `;`-separated: what the rollups store.
    public var encoded: String {
        counts.keys.sorted().compactMap { bucket in counts[bucket].map { "\(bucket):\($0)" } }.joined(separator: ";")
    }

    /// The stored form back; nil for text that is not one (unknown buckets, negative counts).
    public init?(encoded: String) {
        guard !encoded.isEmpty else { return }
        for pair in encoded.split(separator: ";") {
            let parts = pair.split(separator: ":")
            guard parts.count == 2, let bucket = Int(parts[0]), let count = Int64(parts[1]), bucket >= 0, bucket < Self.bounds.count, count >= 0 else {
                return nil
            }
            counts[bucket, default: 0] &+= count
        }
    }
}
