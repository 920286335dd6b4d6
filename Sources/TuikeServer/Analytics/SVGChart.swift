import Foundation
import TuikeCore

/// Server-rendered bar charts: a y axis with four ticks, a label under each bar and the value
/// in its tooltip. The table beside each chart carries the same figures for screen readers and
/// copying; the chart itself is `role="img"` with a label.
enum SVGChart {
    /// `values` as bars, labelled; `format` writes an axis tick or a value (money as yuan).
    static func bars(_ title: String, labels: [String], values: [Int64], format: (Int64) -> String) -> String {
        // A bar's slot is wide enough for a label of six Chinese characters at the font's size.
        let left = 64.0, bottom = 40.0, top = 12.0, plot = 160.0, step = 72.0
        let width = left + max(1, Double(values.count)) * step + 12
        let height = top + plot + bottom
        let peak = max(1, values.max() ?? 1)
        // Ticks at round fractions of the peak.
        let ticks = (0...4).map { peak * Int64($0) / 4 }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" style=\"max-width: \(Int(width * 1.5))px\" role=\"img\" aria-label=\"\(HTML.escape(title))\">"
        svg += "<title>\(HTML.escape(title))</title><g font-size=\"10\" font-family=\"sans-serif\" fill=\"#52606d\">"
        for tick in ticks {
            let y = top + plot - plot * Double(tick) / Double(peak)
            svg += "<line x1=\"\(Int(left))\" y1=\"\(Int(y))\" x2=\"\(Int(width - 8))\" y2=\"\(Int(y))\" stroke=\"#e4e7eb\"/>"
            svg += "<text x=\"\(Int(left - 6))\" y=\"\(Int(y + 3))\" text-anchor=\"end\">\(HTML.escape(format(tick)))</text>"
        }
        svg += "<line x1=\"\(Int(left))\" y1=\"\(Int(top))\" x2=\"\(Int(left))\" y2=\"\(Int(top + plot))\" stroke=\"#9aa5b1\"/>"
        svg += "<line x1=\"\(Int(left))\" y1=\"\(Int(top + plot))\" x2=\"\(Int(width - 8))\" y2=\"\(Int(top + plot))\" stroke=\"#9aa5b1\"/>"
        for (index, value) in values.enumerated() {
            let h = plot * Double(max(0, value)) / Double(peak)
            let x = left + Double(index) * step + 6
            let label = index < labels.count ? labels[index] : ""
            svg += "<g><title>\(HTML.escape(label)): \(HTML.escape(format(value)))</title>"
            svg += "<rect x=\"\(Int(x + 12))\" y=\"\(Int(top + plot - h))\" width=\"\(Int(step - 36))\" height=\"\(max(1, Int(h)))\" fill=\"#4c78a8\"/></g>"
            svg += "<text x=\"\(Int(x + (step - 12) / 2))\" y=\"\(Int(top + plot + 14))\" text-anchor=\"middle\">\(HTML.escape(label.count > 6 ? label.prefix(5) + "…" : label))</text>"
        }
        return svg + "</g></svg>"
    }

    static func yuan(_ fen: Int64) -> String { "¥" + Money.format(fen) }
    static func count(_ value: Int64) -> String { String(value) }
}
