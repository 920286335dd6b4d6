import CTuikeGraphics
import TuikeCore

/// Drawing helpers over a cairo context: shapes, colours, and text through pango.
///
/// Text goes through pango because Chinese needs what a bare cairo `show_text` lacks: shaping by
/// HarfBuzz, line breaking between any two Han characters (UAX #14) while keeping Latin words
/// whole, fallback to another font for a missing glyph, and an ellipsis after the last line that
/// fits. The font is named, not left to fontconfig's default, so that a poster looks the same on
/// every machine with the same font package (README: requirements).
enum Canvas {
    static let fontFamily = "WenQuanYi Zen Hei"

    static func roundedRectangle(_ cr: OpaquePointer, _ x: Double, _ y: Double, _ w: Double, _ h: Double, _ radius: Double) {
        let r = min(radius, w / 2, h / 2)
        guard r > 0 else {
            cairo_rectangle(cr, x, y, w, h)
            return
        }
        cairo_new_sub_path(cr)
        cairo_arc(cr, x + w - r, y + r, r, -Double.pi / 2, 0)
        cairo_arc(cr, x + w - r, y + h - r, r, 0, Double.pi / 2)
        cairo_arc(cr, x + r, y + h - r, r, Double.pi / 2, Double.pi)
        cairo_arc(cr, x + r, y + r, r, Double.pi, 3 * Double.pi / 2)
        cairo_close_path(cr)
    }

    static func fill(_ cr: OpaquePointer, _ colour: RGB, alpha: Double = 1) {
        let (r, g, b) = colour.components
        cairo_set_source_rgba(cr, r, g, b, alpha)
    }

    enum Alignment { case left, centre, right }

    struct TextStyle {
        var size: Double
        var bold = false
        var colour: RGB
        var alignment: Alignment = .left
        /// Lines at most; the last one that fits ends in "…".
        var maxLines = 1
        var lineSpacing = 1.15
    }

    /// Lays `text` out in a box `width` wide from (x, y) and draws it; returns the height used.
    @discardableResult
    static func text(_ text: String, x: Double, y: Double, width: Double, style: TextStyle, on cr: OpaquePointer) -> Double {
        guard !text.isEmpty, width > 1, let layout = pango_cairo_create_layout(cr) else { return 0 }
        defer { g_object_unref(UnsafeMutableRawPointer(layout)) }
        configure(layout)
        guard let description = pango_font_description_new() else { return 0 }
        defer { pango_font_description_free(description) }
        pango_font_description_set_family(description, fontFamily)
        pango_font_description_set_weight(description, style.bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL)
        pango_font_description_set_absolute_size(description, style.size * Double(PANGO_SCALE))
        pango_layout_set_font_description(layout, description)
        pango_layout_set_width(layout, Int32(width * Double(PANGO_SCALE)))
        pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR)
        pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END)
        // A negative height is a number of lines: pango wraps up to it and ellipsizes the last.
        pango_layout_set_height(layout, -Int32(max(1, style.maxLines)))
        pango_layout_set_line_spacing(layout, Float(style.lineSpacing))
        switch style.alignment {
        case .left: pango_layout_set_alignment(layout, PANGO_ALIGN_LEFT)
        case .centre: pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER)
        case .right: pango_layout_set_alignment(layout, PANGO_ALIGN_RIGHT)
        }
        pango_layout_set_text(layout, text, -1)
        fill(cr, style.colour)
        cairo_move_to(cr, x, y)
        pango_cairo_show_layout(cr, layout)
        var logical = PangoRectangle()
        pango_layout_get_pixel_extents(layout, nil, &logical)
        return Double(logical.height)
    }

    /// The width `text` would take on one line.
    static func textWidth(_ text: String, size: Double, bold: Bool, on cr: OpaquePointer) -> Double {
        guard let layout = pango_cairo_create_layout(cr), let description = pango_font_description_new() else { return 0 }
        defer {
            pango_font_description_free(description)
            g_object_unref(UnsafeMutableRawPointer(layout))
        }
        configure(layout)
        pango_font_description_set_family(description, fontFamily)
        pango_font_description_set_weight(description, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL)
        pango_font_description_set_absolute_size(description, size * Double(PANGO_SCALE))
        pango_layout_set_font_description(layout, description)
        pango_layout_set_text(layout, text, -1)
        var logical = PangoRectangle()
        pango_layout_get_pixel_extents(layout, nil, &logical)
        return Double(logical.width)
    }

    /// No hinting and grey antialiasing, so glyphs land on the same pixels whatever the defaults of
    /// the machine's fontconfig say: the same inputs give the same bytes.
    private static func configure(_ layout: OpaquePointer) {
        guard let context = pango_layout_get_context(layout), let options = cairo_font_options_create() else { return }
        defer { cairo_font_options_destroy(options) }
        cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY)
        cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
        pango_cairo_context_set_font_options(context, options)
        pango_layout_context_changed(layout)
    }

    /// A filled circle with the first character of `name`: the promoter's avatar when no photo is kept.
    static func initialAvatar(_ name: String, centreX: Double, centreY: Double, radius: Double, colour: RGB, on cr: OpaquePointer) {
        fill(cr, colour)
        cairo_new_path(cr)
        cairo_arc(cr, centreX, centreY, radius, 0, 2 * Double.pi)
        cairo_fill(cr)
        let initial = name.trimmingPrefixWhitespace.first.map { String($0).uppercased() } ?? "?"
        let size = radius * 1.05
        text(initial, x: centreX - radius, y: centreY - size * 0.62, width: radius * 2,
             style: TextStyle(size: size, bold: true, colour: RGB(red: 255, green: 255, blue: 255), alignment: .centre), on: cr)
    }
}

extension String {
    fileprivate var trimmingPrefixWhitespace: Substring { drop { $0.isWhitespace } }
}
