import CTuikeGraphics
import TuikeCore

/// QR codes as PNG images and their place on posters.
extension QRCode {
    static let minSize = 128
    static let maxSize = 1_024

    /// A PNG about `size` pixels square: whole pixels per module, so every edge is sharp, with
    /// the rest of the width added to the quiet zone; never smaller than one pixel per module
    /// plus the quiet zone.
    func png(size: Int, logo: QRLogo?) throws(TuikeError) -> [UInt8] {
        let side = max(size, sideWithQuietZone)
        let raster = try Raster(width: side, height: side)
        raster.draw { cr in
            cairo_set_source_rgb(cr, 1, 1, 1)
            cairo_paint(cr)
            draw(on: cr, x: 0, y: 0, size: Double(side), logo: logo)
        }
        return try raster.png()
    }

    /// Draws the symbol, quiet zone included, into a `size`-pixel square at (x, y), with whole
    /// pixels per module (the leftover goes to the margins) and no antialiasing, so modules never blur.
    func draw(on cr: OpaquePointer, x: Double, y: Double, size: Double, logo: QRLogo?) {
        let module = Double(modulePixels(forSize: Int(size)))
        let offsetX = (x + (size - module * Double(width)) / 2).rounded(.down)
        let offsetY = (y + (size - module * Double(width)) / 2).rounded(.down)
        cairo_save(cr)
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE)
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_rectangle(cr, x, y, size, size)
        cairo_fill(cr)
        cairo_set_source_rgb(cr, 0, 0, 0)
        for run in darkRuns {
            cairo_rectangle(cr, offsetX + Double(run.start) * module, offsetY + Double(run.row) * module, Double(run.length) * module, module)
        }
        cairo_fill(cr)
        cairo_restore(cr)
        guard let logo else { return }
        let box = Double(QRLogo.boxModules(symbolWidth: width)) * module
        let boxX = offsetX + (Double(width) * module - box) / 2, boxY = offsetY + (Double(width) * module - box) / 2
        cairo_set_source_rgb(cr, 1, 1, 1)
        Canvas.roundedRectangle(cr, boxX, boxY, box, box, box / 5)
        cairo_fill(cr)
        let inset = max(1, module)
        Canvas.fill(cr, logo.colour)
        Canvas.roundedRectangle(cr, boxX + inset, boxY + inset, box - 2 * inset, box - 2 * inset, box / 6)
        cairo_fill(cr)
        let fontSize = box * 0.58
        Canvas.text(logo.mark, x: boxX, y: boxY + (box - fontSize * 1.2) / 2, width: box,
                    style: .init(size: fontSize, bold: true, colour: RGB(red: 255, green: 255, blue: 255), alignment: .centre), on: cr)
    }
}
