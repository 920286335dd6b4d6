/// Ids are `prefix_` + 8 base62 characters of the creation time in milliseconds + 12 random
/// base62 characters. Base62 in ASCII order sorts like the number it encodes, so ids of one kind
/// sort by creation time, which gives stable cursor pagination without a second column.
public enum Identifier {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    public static func make(_ prefix: String, at instant: Instant) -> String {
        var generator = BlockRandom()
        return make(prefix, at: instant, using: &generator)
    }

    public static func make(_ prefix: String, at instant: Instant, using generator: inout some RandomNumberGenerator) -> String {
        let prefixBytes = prefix.utf8.count
        // One allocation: ids are made on every write, clicks included.
        return String(unsafeUninitializedCapacity: prefixBytes + 21) { buffer in
            var position = buffer.initialize(fromContentsOf: prefix.utf8)
            buffer[position] = UInt8(ascii: "_")
            position += 1
            var time = UInt64(max(instant.milliseconds, 0))
            for index in stride(from: position + 7, through: position, by: -1) {
                buffer[index] = alphabet[Int(time % 62)]
                time /= 62
            }
            position += 8
            // Six base62 digits from each of two 64-bit draws: 71 random bits from two draws
            // instead of twelve.
            for _ in 0..<2 {
                var draw = generator.next()
                for _ in 0..<6 {
                    buffer[position] = alphabet[Int(draw % 62)]
                    draw /= 62
                    position += 1
                }
            }
            return position
        }
    }

    /// The smallest id of `prefix` made at or after `instant`: every id made earlier sorts below
    /// it (in binary order), every id made then or later at or above it. A time range of such ids
    /// is a range of their primary key.
    public static func lowerBound(_ prefix: String, at instant: Instant) -> String {
        var time = UInt64(max(instant.milliseconds, 0))
        var digits = [UInt8](repeating: 0, count: 8)
        for index in stride(from: 7, through: 0, by: -1) {
            digits[index] = alphabet[Int(time % 62)]
            time /= 62
        }
        return prefix + "_" + String(decoding: digits, as: UTF8.self)
    }

    /// A random base62 string with `length * log2(62)` bits of entropy (43 characters ≈ 256 bits).
    public static func secret(length: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<length).map { _ in alphabet[Int(generator.next(upperBound: UInt64(62)))] }
        return String(decoding: bytes, as: UTF8.self)
    }
}
