import Testing
@testable import TuikeCore

@Suite struct ImageProbeTests {
    enum Outcome: Equatable {
        case image(ImageProbe.Format, Int, Int)
        case unsupported, malformed, tooLarge
    }

    static func outcome(_ bytes: [UInt8]) -> Outcome {
        do {
            let probe = try ImageProbe.probe(bytes)
            return .image(probe.format, probe.width, probe.height)
        } catch {
            switch error {
            case .unsupported: return .unsupported
            case .malformed: return .malformed
            case .tooLarge: return .tooLarge
            }
        }
    }

    static func message(_ bytes: [UInt8]) -> String {
        do {
            _ = try ImageProbe.probe(bytes)
            return ""
        } catch {
            return error.message
        }
    }

    // MARK: - Builders: just the headers, by the byte

    static func be16(_ value: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    static func be32(_ value: Int) -> [UInt8] {
        be16(value >> 16) + be16(value)
    }

    static func le16(_ value: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)]
    }

    static func le24(_ value: Int) -> [UInt8] {
        le16(value) + [UInt8(truncatingIfNeeded: value >> 16)]
    }

    static func le32(_ value: Int) -> [UInt8] {
        le16(value) + le16(value >> 16)
    }

    static func png(width: Int, height: Int, depth: UInt8 = 8, colour: UInt8 = 6) -> [UInt8] {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        bytes += be32(13)
        bytes += Array("IHDR".utf8)
        bytes += be32(width)
        bytes += be32(height)
        bytes += [depth, colour, 0, 0, 0]
        bytes += [0, 0, 0, 0]   // CRC, not checked by the probe
        return bytes
    }

    static func jpeg(width: Int, height: Int, frame: UInt8 = 0xC0) -> [UInt8] {
        var bytes: [UInt8] = [0xFF, 0xD8]
        // APP0 (JFIF), 16 bytes with its length.
        bytes += [0xFF, 0xE0, 0x00, 0x10]
        bytes += Array("JFIF".utf8)
        bytes += [0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]
        // A fill byte, then DQT with two bytes of (meaningless) table.
        bytes += [0xFF, 0xFF, 0xDB, 0x00, 0x04, 0x00, 0x00]
        // A standalone restart marker, which has no length.
        bytes += [0xFF, 0xD0]
        // SOF: length 11, precision 8, height, width, one component.
        bytes += [0xFF, frame, 0x00, 0x0B, 0x08]
        bytes += be16(height)
        bytes += be16(width)
        bytes += [0x01, 0x01, 0x11, 0x00]
        bytes += [0xFF, 0xD9]
        return bytes
    }

    static func webp(_ chunk: String, _ data: [UInt8]) -> [UInt8] {
        var body: [UInt8] = Array("WEBP".utf8)
        body += Array(chunk.utf8)
        body += le32(data.count)
        body += data
        if data.count % 2 == 1 { body.append(0) }
        var bytes: [UInt8] = Array("RIFF".utf8)
        bytes += le32(body.count)
        bytes += body
        return bytes
    }

    static func lossy(width: Int, height: Int) -> [UInt8] {
        var data: [UInt8] = [0x50, 0x01, 0x00]     // frame tag: bit 0 clear, a key frame
        data += [0x9D, 0x01, 0x2A]
        // The top two bits are the upscaling hint and must not count as size.
        data += le16(width | 0x4000)
        data += le16(height | 0x8000)
        return webp("VP8 ", data)
    }

    static func lossless(width: Int, height: Int) -> [UInt8] {
        var data: [UInt8] = [0x2F]
        data += le32((width - 1) | (height - 1) << 14)
        return webp("VP8L", data)
    }

    static func extended(width: Int, height: Int) -> [UInt8] {
        var data: [UInt8] = [0x10, 0, 0, 0]
        data += le24(width - 1)
        data += le24(height - 1)
        return webp("VP8X", data)
    }

    // MARK: - Accepted

    @Test func eachFormatIsReadFromItsHeader() throws {
        #expect(Self.outcome(Self.png(width: 640, height: 480)) == .image(.png, 640, 480))
        #expect(Self.outcome(Self.png(width: 1, height: 1, depth: 1, colour: 0)) == .image(.png, 1, 1))
        #expect(Self.outcome(Self.jpeg(width: 1024, height: 768)) == .image(.jpeg, 1024, 768))
        #expect(Self.outcome(Self.jpeg(width: 300, height: 200, frame: 0xC2)) == .image(.jpeg, 300, 200), "progressive")
        #expect(Self.outcome(Self.lossy(width: 400, height: 300)) == .image(.webp, 400, 300))
        #expect(Self.outcome(Self.lossless(width: 1000, height: 2000)) == .image(.webp, 1000, 2000))
        #expect(Self.outcome(Self.lossless(width: 16_384, height: 1)) == .tooLarge, "14 bits hold up to 16384")
        #expect(Self.outcome(Self.extended(width: 1, height: 1)) == .image(.webp, 1, 1))

        let probe = try ImageProbe.probe(Self.jpeg(width: 10, height: 20))
        #expect(probe == ImageProbe(format: .jpeg, width: 10, height: 20))
        #expect(probe.mimeType == "image/jpeg")
        #expect(try ImageProbe.probe(Self.png(width: 1, height: 1)).mimeType == "image/png")
        #expect(try ImageProbe.probe(Self.extended(width: 1, height: 1)).mimeType == "image/webp")
    }

    @Test func theLimitsAreInclusive() {
        #expect(Self.outcome(Self.extended(width: 8_000, height: 5_000)) == .image(.webp, 8_000, 5_000), "exactly 40,000,000 pixels")
        #expect(Self.outcome(Self.extended(width: 8_001, height: 5_000)) == .tooLarge)
        #expect(Self.outcome(Self.png(width: 8_192, height: 4_882)) == .image(.png, 8_192, 4_882))
        #expect(Self.outcome(Self.png(width: 8_193, height: 1)) == .tooLarge)
        #expect(Self.outcome(Self.png(width: 8_192, height: 8_192)) == .tooLarge, "each side fits, the area does not")
    }

    // MARK: - Refused

    @Test func markupRenamedAsAnImageIsNotAnImage() {
        let html = Array("<html><body><script>alert(1)</script></body></html>".utf8)
        #expect(Self.outcome(html) == .unsupported)
        #expect(Self.message(html).contains("only PNG, JPEG and WebP images are accepted"))
        let svg = Array("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".utf8)
        #expect(Self.outcome(svg) == .unsupported)
        #expect(Self.message(svg).contains("HTML, SVG or XML"))
        #expect(Self.outcome([0xEF, 0xBB, 0xBF] + Array("\n  <svg/>".utf8)) == .unsupported)
        #expect(Self.outcome(Array("GIF89a\u{1}\0\u{1}\0".utf8)) == .unsupported)
        #expect(Self.message(Array("GIF89a".utf8)).contains("GIF"))
        #expect(Self.outcome([]) == .unsupported)
        #expect(Self.outcome(Array("RIFF\u{24}\0\0\0WAVEfmt ".utf8)) == .unsupported)
        #expect(Self.outcome([0x89, 0x50]) == .unsupported, "too short to be anything")
    }

    @Test func aDecompressionBombIsRefusedByItsDeclaredSize() {
        #expect(Self.outcome(Self.jpeg(width: 60_000, height: 60_000)) == .tooLarge)
        #expect(Self.outcome(Self.png(width: 100_000, height: 100_000)) == .tooLarge)
        #expect(Self.outcome(Self.png(width: Int(UInt32.max), height: Int(UInt32.max))) == .tooLarge)
        #expect(Self.outcome(Self.extended(width: 1 << 24, height: 1 << 24)) == .tooLarge)
        #expect(Self.message(Self.jpeg(width: 60_000, height: 60_000)).contains("60000 x 60000"))
    }

    @Test func aZeroSideIsMalformed() {
        #expect(Self.outcome(Self.png(width: 0, height: 10)) == .malformed)
        #expect(Self.outcome(Self.jpeg(width: 10, height: 0)) == .malformed)
        #expect(Self.outcome(Self.lossy(width: 0, height: 10)) == .malformed)
    }

    @Test func truncatedOrDamagedHeadersAreMalformed() {
        let png = Self.png(width: 640, height: 480)
        #expect(Self.outcome(Array(png.prefix(8))) == .malformed, "signature only")
        #expect(Self.outcome(Array(png.prefix(20))) == .malformed)
        #expect(Self.outcome(Array(png.prefix(4)) + [0, 0, 0, 0]) == .malformed, "damaged signature")
        var notHeaderFirst = png
        notHeaderFirst.replaceSubrange(12..<16, with: Array("IDAT".utf8))
        #expect(Self.outcome(notHeaderFirst) == .malformed)
        #expect(Self.outcome(Self.png(width: 1, height: 1, depth: 4, colour: 2)) == .malformed, "truecolour needs 8 or 16 bits")
        #expect(Self.outcome(Self.png(width: 1, height: 1, depth: 8, colour: 5)) == .malformed)

        // APP0 says 16 bytes follow, the file ends after 4.
        #expect(Self.outcome([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46]) == .malformed)
        #expect(Self.outcome([0xFF, 0xD8, 0xFF]) == .malformed)
        #expect(Self.outcome([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01]) == .malformed, "a length below 2")
        #expect(Self.outcome([0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34]) == .malformed, "scan data before the frame header")
        #expect(Self.outcome([0xFF, 0xD8, 0xFF, 0xD9]) == .malformed, "end of image without a frame")
        #expect(Self.outcome([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 0x41]) == .malformed, "data where a marker should be")
        let jpeg = Self.jpeg(width: 10, height: 10)
        #expect(Self.outcome(Array(jpeg.prefix(jpeg.count - 8))) == .malformed, "cut inside the frame header")

        let lossy = Self.lossy(width: 10, height: 10)
        #expect(Self.outcome(Array(lossy.prefix(24))) == .malformed)
        #expect(Self.outcome(Array(lossy.prefix(10))) == .malformed)
        var interFrame = lossy
        interFrame[20] |= 1
        #expect(Self.outcome(interFrame) == .malformed)
        var noStartCode = lossy
        noStartCode[23] = 0
        #expect(Self.outcome(noStartCode) == .malformed)
        #expect(Self.outcome(Self.webp("VP8L", [0x2E, 0, 0, 0, 0])) == .malformed, "no lossless signature")
        #expect(Self.outcome(Self.webp("ALPH", [0, 0, 0, 0])) == .malformed)
        #expect(Self.outcome(Self.webp("VP8X", [0, 0, 0, 0])) == .malformed, "chunk too short")
    }

    @Test func failuresSpeakTheProjectsErrors() {
        #expect(ImageProbe.Failure.unsupported("x").tuikeError.kind == .unsupportedType)
        #expect(ImageProbe.Failure.malformed("x").tuikeError == .validation("x"))
        #expect(ImageProbe.Failure.tooLarge("x").tuikeError.kind == .tooLarge)
    }
}
