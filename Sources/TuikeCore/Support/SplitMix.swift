/// SplitMix64: a deterministic generator for what must come out the same on every run (property
/// tests that can be replayed from their seed, benchmark data). Never for ids or secrets: those
/// use `BlockRandom` and the system's generator.
public struct SplitMix: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number from 0 up to (not including) `bound`; 0 when `bound` is below 1.
    public mutating func next(_ bound: Int) -> Int {
        Int(next() % UInt64(max(bound, 1)))
    }
}
