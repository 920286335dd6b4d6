import Foundation
import Testing
import TuikeCore
@testable import TuikeServer

/// Every QR code Tuike makes must scan: each one here is read back by an independent decoder,
/// zbar (`zbarimg`, Debian's zbar-tools), and must give exactly the text encoded. SVGs are
/// rasterised by librsvg (`rsvg-convert`) first.
@Suite struct QRCodeTests {
    static let url = "https://school.example.com/r/Ab3dEf9h?s=qr"

    @Test(arguments: [128, 300, 1_024])
    func pngScansAtEverySize(size: Int) throws {
        let code = try QRCode(Self.url, correction: .medium)
        let png = try code.png(size: size, logo: nil)
        #expect(try Scanner.decode(png: png) == [Self.url])
        #expect(PNGInfo.size(png)?.width == size)
    }

    @Test(arguments: [128, 512])
    func pngWithALogoScans(size: Int) throws {
        let code = try QRCode(Self.url, correction: .high)
        let png = try code.png(size: size, logo: QRLogo(mark: "推", colour: RGB(red: 232, green: 82, blue: 63)))
        #expect(try Scanner.decode(png: png) == [Self.url])
    }

    @Test(arguments: [false, true])
    func svgScansOnceRasterised(logo: Bool) throws {
        let code = try QRCode(Self.url, correction: logo ? .high : .medium)
        let svg = code.svg(size: 128, logo: logo ? QRLogo(mark: "A", colour: RGB(red: 47, green: 111, blue: 223)) : nil)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"128\""))
        #expect(try Scanner.decode(png: Scanner.rasterise(svg: svg, size: 128)) == [Self.url])
    }

    @Test func theQuietZoneIsFourModules() throws {
        let code = try QRCode(Self.url, correction: .medium)
        let size = code.sideWithQuietZone * 3
        let png = try code.png(size: size, logo: nil)
        #expect(PNGInfo.size(png)?.width == size)
        // The symbol's top-left finder pattern starts exactly four modules in.
        #expect(code.isDark(x: 0, y: 0))
        #expect(code.modulePixels(forSize: size) == 3)
    }

    @Test func theSameTextGivesTheSameBytes() throws {
        let one = try QRCode(Self.url, correction: .medium).png(size: 256, logo: nil)
        let two = try QRCode(Self.url, correction: .medium).png(size: 256, logo: nil)
        #expect(one == two)
    }

    @Test func emptyAndOverlongTextIsRefused() {
        #expect(throws: TuikeError.self) { try QRCode("", correction: .medium) }
        #expect(throws: TuikeError.self) { try QRCode(String(repeating: "a", count: QRCode.maxTextLength + 1), correction: .medium) }
    }
}

/// The independent decoder and rasteriser the QR tests use.
enum Scanner {
    /// The texts zbar finds in a PNG.
    static func decode(png: [UInt8]) throws -> [String] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tuike-qr-\(UUID().uuidString).png")
        try Data(png).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try run("zbarimg", ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", file.path])
        return output.split(separator: "\n").map(String.init)
    }

    static func rasterise(svg: String, size: Int) throws -> [UInt8] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tuike-qr-\(UUID().uuidString).svg")
        try Data(svg.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let out = file.deletingPathExtension().appendingPathExtension("png")
        defer { try? FileManager.default.removeItem(at: out) }
        _ = try run("rsvg-convert", ["-w", String(size), "-h", String(size), "-b", "white", "-o", out.path, file.path])
        return Array(try Data(contentsOf: out))
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

/// A PNG's size from its IHDR chunk.
enum PNGInfo {
    static func size(_ png: [UInt8]) -> (width: Int, height: Int)? {
        guard png.count > 24 else { return nil }
        func word(_ at: Int) -> Int { png[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (word(16), word(20))
    }
}
