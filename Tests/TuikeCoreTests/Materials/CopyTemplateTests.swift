import Testing
@testable import TuikeCore

@Suite struct CopyTemplateTests {
    static let values: [CopyTemplate.Placeholder: String] = [
        .title: "Swift 入门", .price: "199.00", .groupPrice: "99.00", .link: "https://t.example/s/abc",
        .promoter: "小王", .deadline: "2025-06-30 23:59",
    ]

    static func refusal(_ text: String) -> String? {
        do {
            try CopyTemplate.validate(text)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func everyPlaceholderFills() throws {
        let text = "{title} {price} {group_price} {link} {promoter} {deadline}"
        try CopyTemplate.validate(text)
        #expect(CopyTemplate.fill(text, values: Self.values) == "Swift 入门 199.00 99.00 https://t.example/s/abc 小王 2025-06-30 23:59")
        #expect(Set(CopyTemplate.Placeholder.allCases.map(\.rawValue)) == ["title", "price", "group_price", "link", "promoter", "deadline"])
    }

    @Test func chineseCopyFillsAroundItsPlaceholders() throws {
        let text = "【{title}】拼团价仅 {group_price} 元（原价 {price} 元），{deadline} 截止！\n点击 {link} 立即参团～"
        try CopyTemplate.validate(text)
        #expect(CopyTemplate.fill(text, values: Self.values)
                == "【Swift 入门】拼团价仅 99.00 元（原价 199.00 元），2025-06-30 23:59 截止！\n点击 https://t.example/s/abc 立即参团～")
    }

    @Test func aMissingValueFillsAsEmpty() {
        #expect(CopyTemplate.fill("by {promoter}: {title}", values: [.title: "T"]) == "by : T")
        #expect(CopyTemplate.fill("{ title }", values: [.title: "T"]) == "T", "spaces inside the braces are allowed")
    }

    @Test func doubledBracesAreLiteral() throws {
        try CopyTemplate.validate("{{literal}} and {{title}}")
        #expect(CopyTemplate.fill("{{literal}} and {{title}}", values: Self.values) == "{literal} and {title}")
        #expect(CopyTemplate.fill("{{{title}}}", values: [.title: "T"]) == "{T}")
    }

    @Test func valuesAreNeverExpandedAgain() {
        let values: [CopyTemplate.Placeholder: String] = [.title: "{link} {{x}} {price}", .link: "L", .price: "P"]
        #expect(CopyTemplate.fill("{title}|{link}", values: values) == "{link} {{x}} {price}|L")
    }

    @Test func unknownPlaceholdersAreNamedWithTheKnownOnes() throws {
        let message = try #require(Self.refusal("Buy {foo} now, {title}, {bar} and {foo}"))
        #expect(message.contains("{foo}, {bar}"))
        #expect(message.contains("placeholders"))
        #expect(message.contains("{title}, {price}, {group_price}, {link}, {promoter}, {deadline}"))
        let capitalised = try #require(Self.refusal("{Title}"))
        #expect(capitalised.contains("unknown placeholder {Title};"))
        #expect(Self.refusal("{}") != nil)
        #expect(CopyTemplate.fill("old {foo} stays", values: Self.values) == "old {foo} stays")
    }

    @Test func unclosedOrStrayBracesAreRefused() {
        #expect(Self.refusal("price {price")?.contains("never closed") == true)
        #expect(Self.refusal("{title\n}")?.contains("never closed") == true, "a placeholder stays on one line")
        #expect(Self.refusal("a { b {title}")?.contains("never closed") == true)
        #expect(Self.refusal("smile :}")?.contains("closes no placeholder") == true)
        #expect(Self.refusal("{{title}")?.contains("closes no placeholder") == true)
        #expect(CopyTemplate.fill("a { b {title}", values: [.title: "T"]) == "a { b T")
    }

    @Test func emptyLongOrControlTextIsRefused() {
        #expect(Self.refusal("") == "text must not be empty")
        #expect(Self.refusal(" \n\t ") == "text must not be empty")
        #expect(Self.refusal(String(repeating: "字", count: CopyTemplate.maxLength)) == nil)
        #expect(Self.refusal(String(repeating: "字", count: CopyTemplate.maxLength + 1)) == "text is longer than 2000 characters")
        #expect(Self.refusal("a\u{0}b") != nil)
        #expect(Self.refusal("gpj.\u{202E}exe") != nil)
        #expect(Self.refusal("line one\nline two\t{title}") == nil)
    }
}
