/// What an uploaded image really is, read from its first bytes. The declared Content-Type and the
/// file name are the uploader's word and are never consulted: an HTML or SVG page renamed `.png`
/// would otherwise be served from our origin as a page. The size is read from the header so that a
/// decompression bomb (a few kilobytes declaring 60000 x 60000 pixels) is refused before anything
/// tries to decode it.
public struct ImageProbe: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        case png, jpeg, webp

        public var mimeType: String {
            switch self {
            case .png: "image/png"
            case .jpeg: "image/jpeg"
            case .webp: "image/webp"
            }
        }

        var displayName: String {
            switch self {
            case .png: "PNG"
            case .jpeg: "JPEG"
            case .webp: "WebP"
            }
        }
    }

    public enum Failure: Error, Equatable, Sendable {
        /// Not one of the accepted formats at all.
        case unsupported(String)
        /// Claims to be an accepted format but its header is damaged or cut short.
        case malformed(String)
        /// A well-formed header that declares more pixels than we are willing to decode.
        case tooLarge(String)

        public var message: String {
            switch self {
            case .unsupported(let message), .malformed(let message), .tooLarge(let message): message
            }
        }

        /// The same refusal as the project's error: 415, 422 or 413.
        public var tuikeError: TuikeError {
            switch self {
            case .unsupported(let message): return .unsupportedType(message)
            case .malformed(let message): return .validation(message)
            case .tooLarge(let message): return .tooLarge(message)
            }
        }
    }

    public let format: Format
    public let width: Int
    public let height: Int
    public var mimeType: String { format.mimeType }

    public init(format: Format, width: Int, height: Int) {
        self.format = format
        self.width = width
        self.height = height
    }

    /// Longest side a product image may have; larger photos are downscaled before upload.
    public static let maxSide = 8_192
    /// About 160 MB once decoded to RGBA, the most one request may make a decoder allocate.
    public static let maxPixels = 40_000_000

    static let accepted = "only PNG, JPEG and WebP images are accepted"

    public static func probe(_ bytes: [UInt8]) throws(Failure) -> ImageProbe {
        let reader = ByteReader(bytes: bytes)
        // The first four bytes of the PNG signature are enough to know the uploader meant a PNG, so
        // a damaged rest is reported as a damaged PNG rather than as an unknown format.
        if reader.matches([0x89, 0x50, 0x4E, 0x47], at: 0) { return try png(reader) }
        if reader.matches([0xFF, 0xD8, 0xFF], at: 0) { return try jpeg(reader) }
        if reader.matches(Array("RIFF".utf8), at: 0) { return try webp(reader) }
        throw .unsupported("\(describe(bytes)) is not accepted: \(accepted)")
    }

    // MARK: - PNG

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    /// Bit depths each colour type allows (PNG specification, table 11.1).
    static let pngDepths: [Int: Set<Int>] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]

    private static func png(_ reader: ByteReader) throws(Failure) -> ImageProbe {
        guard reader.matches(pngSignature, at: 0) else { throw .malformed("the PNG signature is damaged") }
        // Signature, chunk length and type, the 13 header bytes and their CRC.
        guard reader.count >= 33 else { throw .malformed("the PNG file is cut short before the end of its header") }
        // IHDR must be the first chunk, so its fields sit at fixed offsets.
        guard reader.be32(8) == 13, reader.matches(Array("IHDR".utf8), at: 12) else {
            throw .malformed("the PNG file does not start with a 13-byte IHDR header chunk")
        }
        guard let width = reader.be32(16), let height = reader.be32(20), let depth = reader.u8(24), let colour = reader.u8(25),
              let compression = reader.u8(26), let filter = reader.u8(27), let interlace = reader.u8(28)
        else { throw .malformed("the PNG file is cut short before the end of its header") }
        guard let depths = pngDepths[colour], depths.contains(depth) else {
            throw .malformed("the PNG header has bit depth \(depth) with colour type \(colour), which is not a valid combination")
        }
        guard compression == 0, filter == 0, interlace <= 1 else {
            throw .malformed("the PNG header names an unknown compression, filter or interlace method")
        }
        return try checked(.png, width: width, height: height)
    }

    // MARK: - JPEG

    private static func jpeg(_ reader: ByteReader) throws(Failure) -> ImageProbe {
        let truncated = Failure.malformed("the JPEG file is cut short before its frame header")
        var position = 2
        // Every step moves `position` forward by at least one byte, so the walk ends.
        while position < reader.count {
            guard let lead = reader.u8(position) else { throw truncated }
            guard lead == 0xFF else { throw .malformed("the JPEG file has data where a marker was expected (byte \(position))") }
            // Any number of 0xFF fill bytes may precede a marker (ITU T.81 B.1.1.2).
            while reader.u8(position) == 0xFF { position += 1 }
            guard let marker = reader.u8(position) else { throw truncated }
            position += 1
            switch marker {
            case 0x01, 0xD0...0xD7:
                continue    // standalone markers have no length
            case 0xD9:
                throw .malformed("the JPEG file ends before its frame header")
            case 0xDA:
                throw .malformed("the JPEG file starts its image data before its frame header")
            case 0x00, 0xD8:
                throw .malformed("the JPEG file has a misplaced marker (byte \(position - 1))")
            default:
                break
            }
            guard let length = reader.be16(position) else { throw truncated }
            guard length >= 2 else { throw .malformed("the JPEG file has a segment with an impossible length of \(length)") }
            let end = position + length
            guard end <= reader.count else { throw truncated }
            if isFrameHeader(marker) {
                // Length, precision, height, width, component count, then three bytes per component.
                guard length >= 8, let height = reader.be16(position + 3), let width = reader.be16(position + 5) else {
                    throw .malformed("the JPEG frame header is too short")
                }
                return try checked(.jpeg, width: width, height: height)
            }
            position = end
        }
        throw truncated
    }

    /// SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    static func isFrameHeader(_ marker: Int) -> Bool {
        switch marker {
        case 0xC0...0xC3, 0xC5...0xC7, 0xC9...0xCB, 0xCD...0xCF: true
        default: false
        }
    }

    // MARK: - WebP

    private static func webp(_ reader: ByteReader) throws(Failure) -> ImageProbe {
        guard reader.count >= 12 else { throw .malformed("the RIFF file is cut short before its form type") }
        guard reader.matches(Array("WEBP".utf8), at: 8) else {
            throw .unsupported("a RIFF file that is not WebP (such as WAV or AVI) is not accepted: \(accepted)")
        }
        let truncated = Failure.malformed("the WebP file is cut short before its image header")
        guard let riffSize = reader.le32(4), let chunkSize = reader.le32(16) else { throw truncated }
        guard riffSize >= 12 + chunkSize else { throw .malformed("the WebP file's RIFF size is smaller than its first chunk") }
        let data = 20

        // The first chunk decides the kind of WebP; each one keeps its size somewhere else.
        if reader.matches(Array("VP8 ".utf8), at: 12) {
            guard chunkSize >= 10 else { throw .malformed("the WebP lossy chunk is too short") }
            guard let tag = reader.u8(data), let rawWidth = reader.le16(data + 6), let rawHeight = reader.le16(data + 8) else { throw truncated }
            guard tag & 1 == 0 else { throw .malformed("the WebP lossy image does not start with a key frame") }
            guard reader.matches([0x9D, 0x01, 0x2A], at: data + 3) else { throw .malformed("the WebP lossy frame has no start code") }
            // The top two bits are an upscaling hint, not part of the size.
            return try checked(.webp, width: rawWidth & 0x3FFF, height: rawHeight & 0x3FFF)
        }
        if reader.matches(Array("VP8L".utf8), at: 12) {
            guard chunkSize >= 5 else { throw .malformed("the WebP lossless chunk is too short") }
            guard let signature = reader.u8(data), let bits = reader.le32(data + 1) else { throw truncated }
            guard signature == 0x2F else { throw .malformed("the WebP lossless chunk has no signature") }
            guard bits >> 29 == 0 else { throw .malformed("the WebP lossless chunk has an unknown version") }
            return try checked(.webp, width: (bits & 0x3FFF) + 1, height: ((bits >> 14) & 0x3FFF) + 1)
        }
        if reader.matches(Array("VP8X".utf8), at: 12) {
            guard chunkSize >= 10 else { throw .malformed("the WebP extended header chunk is too short") }
            guard let widthMinusOne = reader.le24(data + 4), let heightMinusOne = reader.le24(data + 7) else { throw truncated }
            return try checked(.webp, width: widthMinusOne + 1, height: heightMinusOne + 1)
        }
        throw .malformed("the WebP file does not start with a VP8, VP8L or VP8X chunk")
    }

    // MARK: - Limits

    private static func checked(_ format: Format, width: Int, height: Int) throws(Failure) -> ImageProbe {
        guard width > 0, height > 0 else {
            throw .malformed("the \(format.displayName) image declares a size of \(width) x \(height) pixels")
        }
        guard width <= maxSide, height <= maxSide else {
            throw .tooLarge("the image is \(width) x \(height) pixels; each side may be at most \(maxSide) pixels")
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= maxPixels else {
            throw .tooLarge("the image is \(width) x \(height) pixels; at most \(maxPixels) pixels in all are accepted")
        }
        return ImageProbe(format: format, width: width, height: height)
    }

    /// A name for what the bytes seem to be, so the refusal tells the uploader what went wrong.
    static func describe(_ bytes: [UInt8]) -> String {
        let reader = ByteReader(bytes: bytes)
        if bytes.isEmpty { return "an empty file" }
        if reader.matches(Array("GIF8".utf8), at: 0) { return "a GIF image" }
        if reader.matches(Array("ftyp".utf8), at: 4) { return "a HEIC, AVIF or video file" }
        if reader.matches([0x42, 0x4D], at: 0) { return "a BMP image" }
        // HTML, SVG and XML, possibly after a byte-order mark and blank lines.
        var start = reader.matches([0xEF, 0xBB, 0xBF], at: 0) ? 3 : 0
        while let byte = reader.u8(start), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { start += 1 }
        if reader.u8(start) == 0x3C { return "a text or markup file (HTML, SVG or XML)" }
        return "this file type"
    }
}

/// Bounds-checked big- and little-endian reads: every read past the end is `nil`, never a trap.
struct ByteReader {
    let bytes: [UInt8]

    var count: Int { bytes.count }

    func u8(_ offset: Int) -> Int? {
        offset >= 0 && offset < bytes.count ? Int(bytes[offset]) : nil
    }

    func be16(_ offset: Int) -> Int? {
        guard let high = u8(offset), let low = u8(offset + 1) else { return nil }
        return high << 8 | low
    }

    func be32(_ offset: Int) -> Int? {
        guard let high = be16(offset), let low = be16(offset + 2) else { return nil }
        return high << 16 | low
    }

    func le16(_ offset: Int) -> Int? {
        guard let low = u8(offset), let high = u8(offset + 1) else { return nil }
        return high << 8 | low
    }

    func le24(_ offset: Int) -> Int? {
        guard let low = le16(offset), let high = u8(offset + 2) else { return nil }
        return high << 16 | low
    }

    func le32(_ offset: Int) -> Int? {
        guard let low = le16(offset), let high = le16(offset + 2) else { return nil }
        return high << 16 | low
    }

    func matches(_ expected: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, offset <= bytes.count, expected.count <= bytes.count - offset else { return false }
        return bytes[offset..<(offset + expected.count)].elementsEqual(expected)
    }
}
