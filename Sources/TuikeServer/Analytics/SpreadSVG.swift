import Foundation
import TuikeCore

/// The propagation tree drawn as SVG: a row per generation, each subtree kept together, a
/// circle per promoter sized by its reach, the hot nodes filled, the inviter lines between them.
/// At most `maxNodes` nodes are drawn (those of greatest reach, with their inviters); the caption
/// says how many were left out.
enum SpreadSVG {
    static let maxNodes = 200

    static func render(_ tree: SpreadTree, hot: Set<String>, caption: String) -> String {
        let kept = keep(tree)
        // Depth-first, so that a subtree stays together within each row.
        var order: [String] = []
        func visit(_ id: String) {
            guard kept.contains(id) else { return }
            order.append(id)
            for child in tree.children(of: id) { visit(child) }
        }
        for root in tree.roots { visit(root) }
        var rows: [[String]] = []
        for id in order {
            let level = tree.depth(of: id) ?? 0
            while rows.count <= level { rows.append([]) }
            rows[level].append(id)
        }
        let step = 56.0, rowHeight = 72.0
        let width = max(320, Double(rows.map(\.count).max() ?? 1) * step + step)
        let height = Double(rows.count) * rowHeight + 48
        var position: [String: (x: Double, y: Double)] = [:]
        for (level, row) in rows.enumerated() {
            let offset = (width - Double(row.count) * step) / 2 + step / 2
            for (index, id) in row.enumerated() { position[id] = (offset + Double(index) * step, 28 + Double(level) * rowHeight) }
        }
        let names = Dictionary(tree.nodes.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let parents = Dictionary(tree.nodes.map { ($0.id, $0.parentID) }, uniquingKeysWith: { first, _ in first })
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" style=\"max-width: \(Int(width * 1.5))px\" role=\"img\" aria-label=\"\(HTML.escape(caption))\">"
        svg += "<title>\(HTML.escape(caption))</title><g stroke=\"#9aa5b1\" stroke-width=\"1\">"
        for id in order {
            guard let parent = parents[id] ?? nil, let from = position[parent], let to = position[id] else { continue }
            svg += "<line x1=\"\(Int(from.x))\" y1=\"\(Int(from.y))\" x2=\"\(Int(to.x))\" y2=\"\(Int(to.y))\"/>"
        }
        svg += "</g><g font-size=\"10\" text-anchor=\"middle\" font-family=\"sans-serif\">"
        for id in order {
            guard let at = position[id] else { continue }
            let reach = tree.reach(of: id)
            let radius = min(16, 4 + Double(reach).squareRoot() * 2)
            let name = names[id] ?? id
            let fill = hot.contains(id) ? "#e4572e" : "#4c78a8"
            svg += "<g><title>\(HTML.escape(name)): \(reach)</title><circle cx=\"\(Int(at.x))\" cy=\"\(Int(at.y))\" r=\"\(Int(radius))\" fill=\"\(fill)\"/>"
            svg += "<text x=\"\(Int(at.x))\" y=\"\(Int(at.y + radius + 11))\">\(HTML.escape(String(name.prefix(6))))</text></g>"
        }
        let left = tree.nodes.count - order.count
        svg += "</g><text x=\"8\" y=\"\(Int(height - 8))\" font-size=\"11\" font-family=\"sans-serif\" fill=\"#52606d\">\(HTML.escape(caption))"
        if left > 0 { svg += " (+\(left))" }
        return svg + "</text></svg>"
    }

    /// The nodes of greatest reach, up to `maxNodes`, and every inviter above them.
    static func keep(_ tree: SpreadTree) -> Set<String> {
        let parents = Dictionary(tree.nodes.map { ($0.id, $0.parentID) }, uniquingKeysWith: { first, _ in first })
        var kept: Set<String> = []
        for node in tree.hot(limit: tree.nodes.count) {
            var chain: [String] = []
            var current: String? = node.id
            while let id = current, !kept.contains(id), tree.depth(of: id) != nil {
                chain.append(id)
                current = parents[id] ?? nil
            }
            guard kept.count + chain.count <= maxNodes else { continue }
            kept.formUnion(chain)
        }
        return kept
    }
}
