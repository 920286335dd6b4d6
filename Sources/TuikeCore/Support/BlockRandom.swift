#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The system's cryptographically secure randomness, 32 bytes at a time.
///
/// `SystemRandomNumberGenerator` asks the kernel for every 64-bit draw; an id takes two draws and
/// a click takes four, each a `getrandom` call on the hottest path. This one fetches four draws at
/// once through `arc4random_buf` (glibc 2.36+: one `getrandom` call, aborting rather than
/// returning weak bytes; macOS: the system CSPRNG). Make one per use and let it go: a copy made
/// after a draw would repeat the draws after it.
public struct BlockRandom: RandomNumberGenerator {
    private var block = SIMD4<UInt64>()
    private var index = 4

    public init() {}

    public mutating func next() -> UInt64 {
        if index == 4 {
            refill()
            index = 0
        }
        defer { index += 1 }
        return block[index]
    }

    private mutating func refill() {
        withUnsafeMutableBytes(of: &block) { arc4random_buf($0.baseAddress!, $0.count) }
    }
}
