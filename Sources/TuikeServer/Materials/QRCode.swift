import CTuikeGraphics
import TuikeCore

/// A QR symbol made by libqrencode: its modules, dark or light, row by row.
///
/// Level M (15 % of the codewords recoverable) by default; H (30 %) when a logo covers the middle,
/// so that the covered modules are well inside what the code can restore. Every size we draw keeps
/// the four-module quiet zone ISO/IEC 18004 asks for.
struct QRCode: Sendable, Equatable {
    enum Correction: Sendable { case medium, high }

    /// Modules per side.
    let width: Int
    let dark: [Bool]

    static let quietZone = 4
    /// A link's URL is far shorter; the limit keeps a symbol small enough to scan from a phone.
    static let maxTextLength = 512

    init(_ text: String, correction: Correction) throws(TuikeError) {
        guard !text.isEmpty, text.utf8.count <= Self.maxTextLength else {
            throw .validation("a QR code holds 1 to \(Self.maxTextLength) bytes of text")
        }
        let level = correction == .high ? QR_ECLEVEL_H : QR_ECLEVEL_M
        guard let code = QRcode_encodeString(text, 0, level, QR_MODE_8, 1) else { throw .validation("the text cannot be encoded as a QR code") }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        guard width > 0, let data = code.pointee.data else { throw .validation("the text cannot be encoded as a QR code") }
        self.width = width
        // Bit 0 of each byte is the module's colour; the other bits describe its role.
        dark = (0..<(width * width)).map { data[$0] & 1 != 0 }
    }

    func isDark(x: Int, y: Int) -> Bool { dark[y * width + x] }

    /// The dark modules as horizontal runs, row by row: one rectangle per run when drawn.
    var darkRuns: [(row: Int, start: Int, length: Int)] {
        var runs: [(row: Int, start: Int, length: Int)] = []
        for y in 0..<width {
            var x = 0
            while x < width {
                guard isDark(x: x, y: y) else { x += 1; continue }
                let start = x
                while x < width, isDark(x: x, y: y) { x += 1 }
                runs.append((y, start, x - start))
            }
        }
        return runs
    }

    /// Modules with the quiet zone on both sides.
    var sideWithQuietZone: Int { width + 2 * Self.quietZone }

    /// Whole pixels per module for an image of about `size` pixels, at least one.
    func modulePixels(forSize size: Int) -> Int { max(1, size / sideWithQuietZone) }

    /// The symbol as SVG: one path of unit squares on a white square, the quiet zone included.
    /// `logo` draws the brand mark over the middle (only with `.high` correction).
    func svg(size: Int, logo: QRLogo?) -> String {
        let side = sideWithQuietZone
        var path = ""
        path.reserveCapacity(width * width * 4)
        for run in darkRuns {
            path += "M\(run.start + Self.quietZone) \(run.row + Self.quietZone)h\(run.length)v1h-\(run.length)z"
        }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(size)" height="\(size)" viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">\
            <rect width="\(side)" height="\(side)" fill="#ffffff"/><path fill="#000000" d="\(path)"/>
            """
        if let logo {
            let box = QRLogo.boxModules(symbolWidth: width)
            let origin = Self.quietZone + (width - box) / 2
            let font = Double(box) * 0.62
            svg += """
                <rect x="\(origin)" y="\(origin)" width="\(box)" height="\(box)" rx="\(max(1, box / 5))" fill="#ffffff"/>\
                <rect x="\(origin + 1)" y="\(origin + 1)" width="\(box - 2)" height="\(box - 2)" rx="\(max(1, box / 6))" fill="\(logo.colour.hex)"/>\
                <text x="\(Double(origin) + Double(box) / 2)" y="\(Double(origin) + Double(box) / 2)" font-size="\(font)" \
                font-family="WenQuanYi Zen Hei, Noto Sans CJK SC, sans-serif" fill="#ffffff" text-anchor="middle" \
                dominant-baseline="central" shape-rendering="geometricPrecision">\(HTML.escape(logo.mark))</text>
                """
        }
        return svg + "</svg>\n"
    }
}

/// The merchant's mark over the middle of a QR code: the first character of the program's name
/// on its brand colour. It covers at most a fifth of the symbol's width (4 % of its area), far
/// inside the 30 % that level H restores.
struct QRLogo: Sendable, Equatable, Hashable {
    let mark: String
    let colour: RGB

    static func boxModules(symbolWidth: Int) -> Int {
        let box = symbolWidth / 5
        // Odd, so that the box sits on whole modules around the centre module.
        return box % 2 == 0 ? box + 1 : box
    }
}

/// An sRGB colour, `#rrggbb`.
struct RGB: Sendable, Equatable, Hashable {
    let red: UInt8, green: UInt8, blue: UInt8

    init(red: UInt8, green: UInt8, blue: UInt8) { (self.red, self.green, self.blue) = (red, green, blue) }

    init?(hex text: String) {
        let digits = text.hasPrefix("#") ? text.dropFirst() : Substring(text)
        guard digits.count == 6, digits.allSatisfy(\.isHexDigit), let value = UInt32(digits, radix: 16) else { return nil }
        (red, green, blue) = (UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff))
    }

    var hex: String {
        let digits = [red, green, blue].map { byte in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }
        return "#" + digits.joined()
    }

    var components: (Double, Double, Double) { (Double(red) / 255, Double(green) / 255, Double(blue) / 255) }
}
