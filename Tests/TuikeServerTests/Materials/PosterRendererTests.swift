import Foundation
import Testing
import TuikeCore
@testable import TuikeServer

/// Posters: a golden image per template (compared perceptually, so that a font package's slightly
/// different antialiasing passes but a moved block, a missing line or tofu fails), byte-identical
/// output for identical content, new bytes for new content, and a QR code that scans.
///
/// `TUIKE_UPDATE_GOLDEN=1 swift test --filter PosterRendererTests` rewrites the golden images.
@Suite struct PosterRendererTests {
    static func content(_ layout: PosterTemplate.Layout, group: PosterContent.Group? = nil, price: Int64 = 19_900) -> PosterContent {
        let template = PosterTemplate(id: layout.rawValue, name: "t", layout: layout, brandColour: "#e8523f", backgroundColour: "#fff6ef",
                                      copyLine: "长按识别二维码，立即了解", createdAt: Instant(milliseconds: 0), updatedAt: Instant(milliseconds: 0))
        return PosterContent(
            template: template, programName: "推客学堂",
            // Long enough to wrap onto a second line and be cut with an ellipsis.
            title: "零基础学 Swift 服务端开发：从 HTTP 到数据库事务，二十四节实战课带你写出一个真正上线的分销系统（含源码与答疑）",
            price: price, group: group, promoterName: "王小明", copyLine: "我在学这门课，讲得很清楚，推荐给你！",
            coverSHA256: nil, backgroundSHA256: nil, qrText: "https://school.example.com/r/Ab3dEf9h?s=p.\(layout.rawValue)")
    }

    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    @Test(arguments: PosterTemplate.Layout.allCases)
    func eachTemplateMatchesItsGoldenImage(layout: PosterTemplate.Layout) throws {
        let content = Self.content(layout, group: .init(price: 9_900, size: 3, missing: 2))
        let png = try PosterRenderer.render(content, cover: try TestImages.raster(width: 900, height: 600), background: nil)
        let file = Self.golden.appendingPathComponent("poster-\(layout.rawValue).png")
        if ProcessInfo.processInfo.environment["TUIKE_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: Self.golden, withIntermediateDirectories: true)
            try Data(png).write(to: file)
        }
        let expected = try TestImages.decode(Array(try Data(contentsOf: file)))
        let actual = try TestImages.decode(png)
        let difference = Perceptual.difference(expected, actual)
        #expect(difference.mean < 1.5 && difference.changed < 0.004, "poster-\(layout.rawValue): \(difference)")
        #expect(try Scanner.decode(png: png) == [content.qrText])
    }

    @Test(arguments: PosterTemplate.Layout.allCases)
    func theSameContentGivesTheSameBytes(layout: PosterTemplate.Layout) throws {
        let one = try PosterRenderer.render(Self.content(layout), cover: nil, background: nil)
        let two = try PosterRenderer.render(Self.content(layout), cover: nil, background: nil)
        #expect(one == two)
        #expect(Self.content(layout).hash == Self.content(layout).hash)
    }

    @Test func newContentGivesANewPosterAndHash() throws {
        let base = Self.content(.portrait, group: .init(price: 9_900, size: 3, missing: 2))
        var cheaper = base
        cheaper.price = 15_900
        var fuller = base
        fuller.group = .init(price: 9_900, size: 3, missing: 1)
        var recoloured = base
        recoloured.template.brandColour = "#2f6fdf"
        let hashes = Set([base, cheaper, fuller, recoloured].map(\.hash))
        #expect(hashes.count == 4)
        let posters = try [base, cheaper, fuller].map { try PosterRenderer.render($0, cover: nil, background: nil) }
        #expect(Set(posters).count == 3)
        #expect(Perceptual.difference(try TestImages.decode(posters[0]), try TestImages.decode(posters[2])).changed > 0)
    }
}

/// A perceptual comparison: both images averaged over 4 × 4 blocks (so a glyph's antialiasing
/// moving by a pixel barely counts), then the luminance difference per block.
enum Perceptual {
    struct Difference: CustomStringConvertible {
        /// Mean absolute luminance difference, 0–255.
        let mean: Double
        /// Share of blocks whose luminance differs by more than 24.
        let changed: Double
        var description: String { "mean \(mean), changed \(changed)" }
    }

    static func difference(_ a: Raster, _ b: Raster) -> Difference {
        guard a.width == b.width, a.height == b.height else { return Difference(mean: 255, changed: 1) }
        let (x, y) = (blocks(a), blocks(b))
        var total = 0.0, changed = 0
        for (p, q) in zip(x, y) {
            let d = abs(p - q)
            total += d
            if d > 24 { changed += 1 }
        }
        return Difference(mean: total / Double(max(1, x.count)), changed: Double(changed) / Double(max(1, x.count)))
    }

    static func blocks(_ raster: Raster) -> [Double] {
        let pixels = TestImages.pixels(raster), side = 4
        var result: [Double] = []
        for by in stride(from: 0, to: raster.height - side + 1, by: side) {
            for bx in stride(from: 0, to: raster.width - side + 1, by: side) {
                var sum = 0.0
                for y in by..<(by + side) {
                    for x in bx..<(bx + side) {
                        let p = pixels[y * raster.width + x]
                        sum += 0.2126 * Double((p >> 16) & 0xff) + 0.7152 * Double((p >> 8) & 0xff) + 0.0722 * Double(p & 0xff)
                    }
                }
                result.append(sum / Double(side * side))
            }
        }
        return result
    }
}
