import CTuikeGraphics
import TuikeCore

/// A cairo image surface, destroyed with its owner. Used by one thread at a time: a render makes
/// its own surfaces and drops them before it returns.
final class Raster {
    let surface: OpaquePointer
    let width: Int
    let height: Int

    /// A blank surface; `alpha` keeps transparency (uploads), otherwise opaque (posters, QR codes).
    init(width: Int, height: Int, alpha: Bool = false) throws(TuikeError) {
        guard (1...Self.maxSide).contains(width), (1...Self.maxSide).contains(height),
              let surface = cairo_image_surface_create(alpha ? CAIRO_FORMAT_ARGB32 : CAIRO_FORMAT_RGB24, Int32(width), Int32(height))
        else { throw .validation("an image must be 1 to \(Self.maxSide) pixels on each side") }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
            cairo_surface_destroy(surface)
            throw .unavailable("out of memory for a \(width)×\(height) image")
        }
        (self.surface, self.width, self.height) = (surface, width, height)
    }

    /// Takes ownership of a surface cairo made (from a PNG stream).
    init(adopting surface: OpaquePointer) throws(TuikeError) {
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
            cairo_surface_destroy(surface)
            throw .validation("the image could not be decoded")
        }
        (self.surface, width, height) = (surface, Int(cairo_image_surface_get_width(surface)), Int(cairo_image_surface_get_height(surface)))
    }

    deinit { cairo_surface_destroy(surface) }

    static let maxSide = ImageProbe.maxSide

    var stride: Int { Int(cairo_image_surface_get_stride(surface)) }

    /// Draws with a fresh cairo context, destroyed afterwards.
    func draw<T>(_ body: (OpaquePointer) throws -> T) rethrows -> T {
        let cr = cairo_create(surface)
        defer { cairo_destroy(cr) }
        // cairo_create never returns NULL: on failure it returns a context in an error state, which
        // ignores drawing; the status check after encoding catches it.
        guard let cr else { fatalError("cairo_create returned NULL, which cairo documents it never does") }
        return try body(cr)
    }

    /// The surface as PNG bytes. The same pixels always give the same bytes.
    func png() throws(TuikeError) -> [UInt8] {
        cairo_surface_flush(surface)
        var out: [UInt8] = []
        out.reserveCapacity(width * height / 4)
        let status = withUnsafeMutablePointer(to: &out) { pointer in
            cairo_surface_write_to_png_stream(surface, { closure, data, length in
                guard let closure else { return CAIRO_STATUS_WRITE_ERROR }
                let buffer = closure.assumingMemoryBound(to: [UInt8].self)
                if let data, length > 0 { buffer.pointee.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length))) }
                return CAIRO_STATUS_SUCCESS
            }, pointer)
        }
        guard status == CAIRO_STATUS_SUCCESS else { throw .unavailable("the PNG could not be written") }
        return out
    }

    /// The surface as baseline JPEG (4:2:0), for photo renditions, with any transparency on white.
    func jpeg(quality: Int32 = 82) throws(TuikeError) -> [UInt8] {
        let opaque = try flattened()
        cairo_surface_flush(opaque.surface)
        guard let handle = tjInitCompress() else { throw .unavailable("the JPEG encoder could not start") }
        defer { tjDestroy(handle) }
        guard let pixels = cairo_image_surface_get_data(opaque.surface) else { throw .unavailable("the image has no pixels") }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        // cairo's RGB24 is a native-endian 0xXXRRGGBB word: B, G, R, X in memory on the little-endian
        // machines Tuike runs on.
        let result = tjCompress2(handle, pixels, Int32(opaque.width), Int32(opaque.stride), Int32(opaque.height), Int32(TJPF_BGRX.rawValue),
                                 &buffer, &size, Int32(TJSAMP_420.rawValue), quality, Int32(TJFLAG_ACCURATEDCT))
        defer { if let buffer { tjFree(buffer) } }
        guard result == 0, let buffer, size > 0 else { throw .unavailable("the JPEG could not be written") }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
    }

    /// An opaque copy on white, or this surface if it has no alpha channel.
    func flattened() throws(TuikeError) -> Raster {
        guard cairo_image_surface_get_format(surface) == CAIRO_FORMAT_ARGB32 else { return self }
        let copy = try Raster(width: width, height: height)
        copy.draw { cr in
            cairo_set_source_rgb(cr, 1, 1, 1)
            cairo_paint(cr)
            cairo_set_source_surface(cr, surface, 0, 0)
            cairo_paint(cr)
        }
        return copy
    }

    /// A copy `targetWidth` wide (never wider than this one), the height in proportion, filtered
    /// for downscaling.
    func scaled(toWidth targetWidth: Int) throws(TuikeError) -> Raster {
        let newWidth = min(targetWidth, width)
        let newHeight = max(1, (height * newWidth + width / 2) / width)
        let copy = try Raster(width: newWidth, height: newHeight, alpha: cairo_image_surface_get_format(surface) == CAIRO_FORMAT_ARGB32)
        copy.draw { cr in
            cairo_scale(cr, Double(newWidth) / Double(width), Double(newHeight) / Double(height))
            cairo_set_source_surface(cr, surface, 0, 0)
            // Edge pixels repeat outward, so the filter never blends in a dark border.
            cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD)
            cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD)
            cairo_paint(cr)
        }
        return copy
    }

    /// Paints this image over `cr`'s rectangle, cropped to fill it (centre crop) and optionally
    /// with rounded corners.
    func paint(cover x: Double, _ y: Double, _ w: Double, _ h: Double, radius: Double = 0, on cr: OpaquePointer) {
        cairo_save(cr)
        Canvas.roundedRectangle(cr, x, y, w, h, radius)
        cairo_clip(cr)
        let scale = max(w / Double(width), h / Double(height))
        cairo_translate(cr, x + (w - Double(width) * scale) / 2, y + (h - Double(height) * scale) / 2)
        cairo_scale(cr, scale, scale)
        cairo_set_source_surface(cr, surface, 0, 0)
        cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD)
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD)
        cairo_paint(cr)
        cairo_restore(cr)
    }
}
