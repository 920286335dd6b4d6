import CTuikeGraphics
import Foundation
import TuikeCore
@testable import TuikeServer

/// Images for the upload tests, drawn here and encoded by the same C libraries any phone's
/// encoder follows (libpng through cairo, libjpeg-turbo, libwebp).
enum TestImages {
    /// A gradient with a disc, `width` × `height`, so that downscaling has something to smooth.
    static func raster(width: Int, height: Int, alpha: Bool = false) throws -> Raster {
        let raster = try Raster(width: width, height: height, alpha: alpha)
        raster.draw { cr in
            guard let gradient = cairo_pattern_create_linear(0, 0, Double(width), Double(height)) else { return }
            defer { cairo_pattern_destroy(gradient) }
            cairo_pattern_add_color_stop_rgb(gradient, 0, 0.95, 0.45, 0.3)
            cairo_pattern_add_color_stop_rgb(gradient, 1, 0.2, 0.4, 0.9)
            cairo_set_source(cr, gradient)
            cairo_paint(cr)
            cairo_set_source_rgba(cr, 1, 1, 1, 0.8)
            cairo_arc(cr, Double(width) / 2, Double(height) / 2, Double(min(width, height)) / 3, 0, 2 * Double.pi)
            cairo_fill(cr)
        }
        return raster
    }

    static func png(width: Int = 640, height: Int = 400) throws -> [UInt8] { try raster(width: width, height: height).png() }
    static func jpeg(width: Int = 1_200, height: Int = 800) throws -> [UInt8] { try raster(width: width, height: height).jpeg() }

    static func webp(width: Int = 300, height: Int = 200) throws -> [UInt8] {
        let raster = try raster(width: width, height: height)
        cairo_surface_flush(raster.surface)
        guard let pixels = cairo_image_surface_get_data(raster.surface) else { return [] }
        var output: UnsafeMutablePointer<UInt8>? = nil
        let size = WebPEncodeBGRA(pixels, Int32(width), Int32(height), Int32(raster.stride), 80, &output)
        defer { WebPFree(output) }
        guard let output, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }

    /// Pixels as 0xAARRGGBB words (premultiplied, as cairo keeps them), row by row.
    static func pixels(_ raster: Raster) -> [UInt32] {
        cairo_surface_flush(raster.surface)
        guard let data = cairo_image_surface_get_data(raster.surface) else { return [] }
        var result: [UInt32] = []
        result.reserveCapacity(raster.width * raster.height)
        for row in 0..<raster.height {
            let line = UnsafeRawPointer(data + row * raster.stride)
            for column in 0..<raster.width { result.append(line.load(fromByteOffset: column * 4, as: UInt32.self)) }
        }
        return result
    }

    static func decode(_ bytes: [UInt8]) throws -> Raster {
        try ImageDecoder.decode(bytes, as: try ImageProbe.probe(bytes))
    }
}
