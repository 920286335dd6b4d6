import CTuikeGraphics
import TuikeCore

/// Decodes an uploaded PNG, JPEG or WebP fully, after `ImageProbe` has read its declared size and
/// refused sizes beyond the limits: a truncated or corrupt image fails here, before anything is
/// stored. Each decoder writes straight into a cairo surface, so the pixels can be scaled and drawn.
enum ImageDecoder {
    static func decode(_ bytes: [UInt8], as probe: ImageProbe) throws(TuikeError) -> Raster {
        let raster: Raster
        switch probe.format {
        case .png: raster = try png(bytes)
        case .jpeg: raster = try jpeg(bytes, probe: probe)
        case .webp: raster = try webp(bytes, probe: probe)
        }
        guard raster.width == probe.width, raster.height == probe.height else {
            throw .unsupportedType("the image's pixels do not match the size its header declares")
        }
        return raster
    }

    private static func png(_ bytes: [UInt8]) throws(TuikeError) -> Raster {
        final class Cursor { let bytes: [UInt8]; var offset = 0; init(_ bytes: [UInt8]) { self.bytes = bytes } }
        let cursor = Cursor(bytes)
        let surface = withExtendedLifetime(cursor) {
            cairo_image_surface_create_from_png_stream({ closure, data, length in
                guard let closure, let data else { return CAIRO_STATUS_READ_ERROR }
                let cursor = Unmanaged<Cursor>.fromOpaque(closure).takeUnretainedValue()
                let wanted = Int(length)
                // A short read is an error: cairo then reports the image as unreadable, which is
                // how a truncated PNG is refused.
                guard wanted <= cursor.bytes.count - cursor.offset else { return CAIRO_STATUS_READ_ERROR }
                cursor.bytes.withUnsafeBufferPointer { source in
                    if let base = source.baseAddress { data.update(from: base + cursor.offset, count: wanted) }
                }
                cursor.offset += wanted
                return CAIRO_STATUS_SUCCESS
            }, Unmanaged.passUnretained(cursor).toOpaque())
        }
        guard let surface else { throw .unsupportedType("the PNG could not be decoded") }
        do {
            return try Raster(adopting: surface)
        } catch {
            throw .unsupportedType("the PNG is truncated or corrupt")
        }
    }

    private static func jpeg(_ bytes: [UInt8], probe: ImageProbe) throws(TuikeError) -> Raster {
        guard let handle = tjInitDecompress() else { throw .unavailable("the JPEG decoder could not start") }
        defer { tjDestroy(handle) }
        let raster = try Raster(width: probe.width, height: probe.height)
        guard let pixels = cairo_image_surface_get_data(raster.surface) else { throw .unavailable("no memory for the image") }
        var source = bytes
        let result = source.withUnsafeMutableBufferPointer { buffer in
            tjDecompress2(handle, buffer.baseAddress, UInt(buffer.count), pixels, Int32(probe.width), Int32(raster.stride), Int32(probe.height),
                          // A progressive JPEG of thousands of tiny scans would hold a render slot for long.
                          Int32(TJPF_BGRX.rawValue), Int32(TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS | TJFLAG_STOPONWARNING))
        }
        // libjpeg only warns about a truncated file ("premature end of data") and pads it with grey;
        // a warning is refused like an error, so a broken upload is never stored.
        guard result == 0 else { throw .unsupportedType("the JPEG is truncated or corrupt") }
        cairo_surface_mark_dirty(raster.surface)
        return raster
    }

    private static func webp(_ bytes: [UInt8], probe: ImageProbe) throws(TuikeError) -> Raster {
        let raster = try Raster(width: probe.width, height: probe.height, alpha: true)
        guard let pixels = cairo_image_surface_get_data(raster.surface) else { throw .unavailable("no memory for the image") }
        let stride = raster.stride
        let decoded = bytes.withUnsafeBufferPointer { buffer in
            WebPDecodeBGRAInto(buffer.baseAddress, buffer.count, pixels, stride * probe.height, Int32(stride))
        }
        guard decoded != nil else { throw .unsupportedType("the WebP image is truncated or corrupt") }
        // cairo wants premultiplied alpha; WebP gives straight alpha.
        for row in 0..<probe.height {
            let line = pixels + row * stride
            for column in 0..<probe.width {
                let pixel = line + column * 4
                let alpha = UInt16(pixel[3])
                guard alpha < 255 else { continue }
                pixel[0] = UInt8((UInt16(pixel[0]) * alpha + 127) / 255)
                pixel[1] = UInt8((UInt16(pixel[1]) * alpha + 127) / 255)
                pixel[2] = UInt8((UInt16(pixel[2]) * alpha + 127) / 255)
            }
        }
        cairo_surface_mark_dirty(raster.surface)
        return raster
    }
}
