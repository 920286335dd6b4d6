import CTuikeGraphics
import Foundation
import TuikeCore

/// Everything a poster shows. Two posters with equal content are byte for byte the same, and the
/// cache key is a hash of this content with the renderer's version: an unchanged poster comes
/// from the cache, any change (a price, a group member, a template colour) makes a new one.
struct PosterContent: Sendable, Hashable {
    var template: PosterTemplate
    var programName: String
    var title: String
    var price: Int64
    /// The group-buy running for the product: its price, size and how many places the group
    /// shown still has (nil when no group is open yet).
    var group: Group?
    var promoterName: String
    var copyLine: String
    /// SHA-256 of the cover and background images (the bytes drawn are those media's renditions).
    var coverSHA256: String?
    var backgroundSHA256: String?
    var qrText: String

    struct Group: Sendable, Hashable {
        var price: Int64
        var size: Int64
        var missing: Int64?
    }

    /// Bumped whenever drawing changes, so cached posters of the old drawing are not served.
    static let rendererVersion = 1

    /// Hex SHA-256 over a canonical encoding of every field: the ETag and cache key.
    var hash: String {
        var parts: [String] = [
            "v\(Self.rendererVersion)", template.id, template.layout.rawValue, template.brandColour, template.backgroundColour,
            template.copyLine, programName, title, String(price), promoterName, copyLine, coverSHA256 ?? "-", backgroundSHA256 ?? "-", qrText,
        ]
        if let group { parts += [String(group.price), String(group.size), group.missing.map(String.init) ?? "-"] }
        return PosterService.digest(parts)
    }

    static func yuan(_ amount: Int64) -> String { "¥" + Money.format(amount) }
}

/// Draws posters with cairo and pango (`Canvas`). Pure: content and decoded images in, PNG out.
enum PosterRenderer {
    static func render(_ content: PosterContent, cover: Raster?, background: Raster?) throws(TuikeError) -> [UInt8] {
        let (width, height) = content.template.layout.size
        let raster = try Raster(width: width, height: height)
        let brand = RGB(hex: content.template.brandColour) ?? RGB(red: 232, green: 82, blue: 63)
        let paper = RGB(hex: content.template.backgroundColour) ?? RGB(red: 255, green: 255, blue: 255)
        let qr = try QRCode(content.qrText, correction: .medium)
        raster.draw { cr in
            Canvas.fill(cr, paper)
            cairo_paint(cr)
            background?.paint(cover: 0, 0, Double(width), Double(height), on: cr)
            switch content.template.layout {
            case .portrait: portrait(content, cover: cover, brand: brand, qr: qr, cr: cr)
            case .square: square(content, cover: cover, brand: brand, qr: qr, cr: cr)
            }
        }
        return try raster.png()
    }

    static let ink = RGB(red: 34, green: 34, blue: 34)
    static let muted = RGB(red: 110, green: 110, blue: 110)
    static let white = RGB(red: 255, green: 255, blue: 255)

    /// 720 × 1280: name of the school, the cover as a square, the title on two lines at most,
    /// the price (and the group's), then a card with the promoter, the copy and the QR code.
    private static func portrait(_ content: PosterContent, cover: Raster?, brand: RGB, qr: QRCode, cr: OpaquePointer) {
        let margin = 40.0, inner = 640.0
        Canvas.text(content.programName, x: margin, y: 40, width: inner, style: .init(size: 28, bold: true, colour: brand), on: cr)
        coverBlock(content, cover: cover, brand: brand, x: margin, y: 100, w: inner, h: inner, cr: cr)
        var y = 770.0
        y += Canvas.text(content.title, x: margin, y: y, width: inner, style: .init(size: 40, bold: true, colour: ink, maxLines: 2), on: cr) + 16
        offerLine(content, brand: brand, x: margin, y: y, width: inner, size: 48, cr: cr)
        // The card at the bottom.
        let cardY = 1_010.0, cardH = 230.0
        Canvas.fill(cr, white)
        Canvas.roundedRectangle(cr, margin, cardY, inner, cardH, 20)
        cairo_fill(cr)
        let qrSize = 200.0
        qr.draw(on: cr, x: margin + inner - qrSize - 15, y: cardY + 15, size: qrSize, logo: nil)
        let textWidth = inner - qrSize - 70
        Canvas.initialAvatar(content.promoterName, centreX: margin + 60, centreY: cardY + 62, radius: 36, colour: brand, on: cr)
        Canvas.text(content.promoterName, x: margin + 110, y: cardY + 30, width: textWidth - 90, style: .init(size: 28, bold: true, colour: ink), on: cr)
        Canvas.text("为你推荐", x: margin + 110, y: cardY + 68, width: textWidth - 90, style: .init(size: 22, colour: muted), on: cr)
        Canvas.text(content.copyLine, x: margin + 24, y: cardY + 120, width: textWidth, style: .init(size: 26, colour: ink, maxLines: 3), on: cr)
    }

    /// 800 × 800: the cover across the top, then title, price, promoter and QR code.
    private static func square(_ content: PosterContent, cover: Raster?, brand: RGB, qr: QRCode, cr: OpaquePointer) {
        let margin = 32.0
        coverBlock(content, cover: cover, brand: brand, x: 0, y: 0, w: 800, h: 420, radius: 0, cr: cr)
        let qrSize = 230.0, textWidth = 800 - qrSize - 3 * margin
        qr.draw(on: cr, x: 800 - margin - qrSize, y: 800 - margin - qrSize, size: qrSize, logo: nil)
        var y = 448.0
        y += Canvas.text(content.title, x: margin, y: y, width: textWidth, style: .init(size: 34, bold: true, colour: ink, maxLines: 2), on: cr) + 12
        offerLine(content, brand: brand, x: margin, y: y, width: textWidth, size: 40, cr: cr)
        Canvas.initialAvatar(content.promoterName, centreX: margin + 26, centreY: 718, radius: 26, colour: brand, on: cr)
        Canvas.text(content.promoterName + " 推荐", x: margin + 64, y: 702, width: textWidth - 64, style: .init(size: 24, bold: true, colour: ink), on: cr)
        Canvas.text(content.copyLine, x: margin, y: 750, width: textWidth, style: .init(size: 20, colour: muted), on: cr)
    }

    /// The cover cropped to fill the box, or the title on the brand colour when there is none.
    private static func coverBlock(_ content: PosterContent, cover: Raster?, brand: RGB, x: Double, y: Double, w: Double, h: Double,
                                   radius: Double = 24, cr: OpaquePointer) {
        if let cover {
            cover.paint(cover: x, y, w, h, radius: radius, on: cr)
            return
        }
        Canvas.fill(cr, brand)
        Canvas.roundedRectangle(cr, x, y, w, h, radius)
        cairo_fill(cr)
        Canvas.text(content.title, x: x + 48, y: y + h / 2 - 90, width: w - 96,
                    style: .init(size: 52, bold: true, colour: white, alignment: .centre, maxLines: 3), on: cr)
    }

    /// "¥199.00", or for a group-buy "3人团 ¥99.00", the usual price struck through and
    /// "还差 N 人" on a pill when a group is open.
    private static func offerLine(_ content: PosterContent, brand: RGB, x: Double, y: Double, width: Double, size: Double, cr: OpaquePointer) {
        guard let group = content.group else {
            Canvas.text(PosterContent.yuan(content.price), x: x, y: y, width: width, style: .init(size: size, bold: true, colour: brand), on: cr)
            return
        }
        let label = "\(group.size)人团 "
        let labelSize = size * 0.5
        Canvas.text(label, x: x, y: y + size * 0.42, width: width, style: .init(size: labelSize, bold: true, colour: brand), on: cr)
        let labelWidth = Canvas.textWidth(label, size: labelSize, bold: true, on: cr)
        let groupPrice = PosterContent.yuan(group.price)
        Canvas.text(groupPrice, x: x + labelWidth, y: y, width: width - labelWidth, style: .init(size: size, bold: true, colour: brand), on: cr)
        var next = x + labelWidth + Canvas.textWidth(groupPrice, size: size, bold: true, on: cr) + 16
        let usual = PosterContent.yuan(content.price)
        let usualSize = size * 0.45, usualWidth = Canvas.textWidth(usual, size: usualSize, bold: false, on: cr)
        if next + usualWidth < x + width {
            Canvas.text(usual, x: next, y: y + size * 0.45, width: usualWidth + 4, style: .init(size: usualSize, colour: muted), on: cr)
            Canvas.fill(cr, muted)
            cairo_set_line_width(cr, 2)
            cairo_move_to(cr, next, y + size * 0.45 + usualSize * 0.62)
            cairo_line_to(cr, next + usualWidth, y + size * 0.45 + usualSize * 0.62)
            cairo_stroke(cr)
            next += usualWidth + 16
        }
        guard let missing = group.missing, missing > 0 else { return }
        let pill = "还差 \(missing) 人", pillSize = size * 0.42
        let pillWidth = Canvas.textWidth(pill, size: pillSize, bold: true, on: cr) + 28
        let pillX = next + pillWidth <= x + width ? next : x
        let pillY = next + pillWidth <= x + width ? y + size * 0.3 : y + size * 1.35
        Canvas.fill(cr, brand)
        Canvas.roundedRectangle(cr, pillX, pillY, pillWidth, pillSize * 1.6, pillSize * 0.8)
        cairo_fill(cr)
        Canvas.text(pill, x: pillX, y: pillY + pillSize * 0.28, width: pillWidth, style: .init(size: pillSize, bold: true, colour: white, alignment: .centre), on: cr)
    }
}
