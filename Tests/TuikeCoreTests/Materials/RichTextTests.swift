import Testing
@testable import TuikeCore

@Suite struct RichTextTests {
    static func clean(_ html: String, media: String = "/media/") -> String {
        do {
            return try RichText.sanitize(html, mediaURLPrefix: media)
        } catch {
            return "refused: \(error.message)"
        }
    }

    static let rel = "rel=\"nofollow noopener\""

    @Test func allowedMarkupPassesRebuilt() {
        #expect(Self.clean("<p>Hello <strong>there</strong>, <em>you</em>.<br/>Next</p>") == "<p>Hello <strong>there</strong>, <em>you</em>.<br>Next</p>")
        #expect(Self.clean("<H2>Title</H2><blockquote><u>q</u></blockquote>") == "<h2>Title</h2><blockquote><u>q</u></blockquote>")
        #expect(Self.clean("<p style=\"color:red\" class=\"x\">a</p>") == "<p>a</p>")
        #expect(Self.clean("<img src=\"/media/med_0123456789abcdef0123456789abcdef\" alt=\"A cup\" width=\"640\" height=\"480\">")
                == "<img src=\"/media/med_0123456789abcdef0123456789abcdef\" alt=\"A cup\" width=\"640\" height=\"480\">")
        #expect(Self.clean("<img height=12345 width=10px src=https://cdn.example/x.jpg alt=\"\">")
                == "<img src=\"https://cdn.example/x.jpg\" alt=\"\">", "dimensions are at most four digits")
        #expect(Self.clean("<a href=\"https://example.com/a?b=1&amp;c=2\" target=\"_blank\">x</a>")
                == "<a href=\"https://example.com/a?b=1&amp;c=2\" \(Self.rel)>x</a>")
        #expect(Self.clean("<a href=\"/p/1\">x</a><a href=\"HTTP://Example.com\">y</a>")
                == "<a href=\"/p/1\" \(Self.rel)>x</a><a href=\"HTTP://Example.com\" \(Self.rel)>y</a>")
    }

    @Test func scriptsAndTheirContentGo() {
        #expect(Self.clean("<p>Hello <script>alert(1)</script>world</p>") == "<p>Hello world</p>")
        #expect(Self.clean("<SCRIPT type=\"text/javascript\">var a = \"</p>\";</SCRIPT >ok") == "ok")
        #expect(Self.clean("<script>a</scriptx>b</script>c") == "c")
        #expect(Self.clean("a<script>never closed <b>b</b>") == "a")
        #expect(Self.clean("<style>p { color: red }</style><iframe src=\"https://evil.example\">in</iframe>x") == "x")
        #expect(Self.clean("<textarea><b>t</b></textarea><title>t</title><noscript><p>n</p></noscript>y") == "y")
        #expect(Self.clean("<template><p>t</p></template><object data=\"x\"><p>o</p></object><embed src=\"x\">e") == "e")
    }

    @Test func svgAndMathGoWithEverythingInside() {
        #expect(Self.clean("<svg><script>alert(1)</script><text>hi</text></svg>after") == "after")
        #expect(Self.clean("<svg onload=\"alert(1)\"><svg><b>x</b></svg>still inside</svg>out") == "out")
        #expect(Self.clean("<math><mi>x</mi></math>y<svg/>z") == "yz")
    }

    @Test func eventHandlersAndStylesAreDropped() {
        #expect(Self.clean("<img src=\"/media/med_0123456789abcdef0123456789abcdef\" onerror=\"alert(1)\" alt=\"A\">") == "<img src=\"/media/med_0123456789abcdef0123456789abcdef\" alt=\"A\">")
        #expect(Self.clean("<img src=/media/med_0123456789abcdef0123456789abcdef onerror=alert(1)//>") == "<img src=\"/media/med_0123456789abcdef0123456789abcdef\">")
        #expect(Self.clean("<a href=\"https://x.example\" onclick=\"evil()\" style=\"x\">a</a>") == "<a href=\"https://x.example\" \(Self.rel)>a</a>")
    }

    @Test func imagesWithoutAnAllowedSourceAreDroppedWhole() {
        #expect(Self.clean("<img src=\"javascript:alert(1)\">") == "")
        #expect(Self.clean("<p><img src=javascript:alert(1) alt=x>text</p>") == "<p>text</p>")
        #expect(Self.clean("<img src=\"http://plain.example/a.png\"><img alt=\"no source\"><img src=\"data:image/png;base64,AAAA\">") == "")
        #expect(Self.clean("<img src=\"//evil.example/a.png\">") == "")
        #expect(Self.clean("<img src=\"/media/med_0123456789abcdef0123456789abcdef\">", media: "") == "", "no prefix: only https images")
        #expect(Self.clean("<img src=\"/media/med_0123456789abcdef0123456789abcdef\">", media: "javascript:") == "", "an unsafe prefix is ignored")
        #expect(Self.clean("<img src=\"https://cdn.example/m/a.png\">", media: "https://cdn.example/m/") == "<img src=\"https://cdn.example/m/a.png\">")
        #expect(Self.clean("<img src=\"/MEDIA/med_0123456789abcdef0123456789abcdef\">") == "<img src=\"/MEDIA/med_0123456789abcdef0123456789abcdef\">", "compared case-insensitively")
    }

    @Test(arguments: [
        "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
        "<a href=\"java&#x09;script:alert(1)\">x</a>",
        "<a href=\"java&#9;script:alert(1)\">x</a>",
        "<a href=\"javascript&#58;alert(1)\">x</a>",
        "<a href=\"javascript&#x3A alert(1)\">x</a>",
        "<a href=\"  javascript:alert(1)\">x</a>",
        "<a href=\"java\nscript:alert(1)\">x</a>",
        "<a href=\"&#14;javascript:alert(1)\">x</a>",
        "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
        "<a href=\"vbscript:msgbox(1)\">x</a>",
        "<a href=\"//evil.example\">x</a>",
        "<a href=\"/\\evil.example\">x</a>",
        "<a href=\"/&#x09;/evil.example\">x</a>",
        "<a href=\"https:\\\\evil.example\">x</a>",
    ])
    func dangerousLinksLoseTheirTarget(_ html: String) {
        #expect(Self.clean(html) == "<a \(Self.rel)>x</a>")
    }

    @Test func nestingIsRepairedTheWayABrowserWould() {
        #expect(Self.clean("<p><b>bold <i>both</b> italic?</p>") == "<p><b>bold <i>both</i></b> italic?</p>")
        #expect(Self.clean("<ul><li>one<li>two</ul><p>para<h2>title")
                == "<ul><li>one</li><li>two</li></ul><p>para</p><h2>title</h2>")
        #expect(Self.clean("<ul><li>a<ol><li>b<li>c</ol></ul>") == "<ul><li>a<ol><li>b</li><li>c</li></ol></li></ul>")
        #expect(Self.clean("<p>one<p>two<blockquote>three") == "<p>one</p><p>two</p><blockquote>three</blockquote>")
        #expect(Self.clean("<h2>a<h3>b") == "<h2>a</h2><h3>b</h3>")
        #expect(Self.clean("<a href=\"/x\">1<a href=\"/y\">2</a>") == "<a href=\"/x\" \(Self.rel)>1</a><a href=\"/y\" \(Self.rel)>2</a>")
        #expect(Self.clean("</b>text</p></li>") == "text", "stray close tags are dropped")
        #expect(Self.clean("<br></br><img src=\"/media/med_0123456789abcdef0123456789abcdef\"></img>") == "<br><img src=\"/media/med_0123456789abcdef0123456789abcdef\">")
        #expect(Self.clean("<p>你好<b>世界</p>") == "<p>你好<b>世界</b></p>")
        #expect(Self.clean("<div><span>kept</span> <font color=red>text</font></div>") == "kept text")
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "<b>", count: 100) + "x"
        let output = Self.clean(deep)
        #expect(output == String(repeating: "<b>", count: RichText.maxDepth) + "x" + String(repeating: "</b>", count: RichText.maxDepth))
    }

    @Test func textIsEscapedAndEntitiesDecodedOnce() {
        #expect(Self.clean("1 < 2 and 3 > 2 & done") == "1 &lt; 2 and 3 &gt; 2 &amp; done")
        #expect(Self.clean("&lt;script&gt;alert(1)&lt;/script&gt;") == "&lt;script&gt;alert(1)&lt;/script&gt;")
        #expect(Self.clean("a&nbsp;b &#20320;&#x597D; &unknown; &amp;lt;") == "a\u{A0}b 你好 &amp;unknown; &amp;lt;")
        #expect(Self.clean("&#0;&#xD800;&#x110000;&#99999999999;&#x202E;") == String(repeating: "\u{FFFD}", count: 5))
        #expect(Self.clean("a <b and c") == "a &lt;b and c", "a tag that never ends is text")
        #expect(Self.clean("x <img src=\"/media/med_0123456789abcdef0123456789abcdef") == "x &lt;img src=\"/media/med_0123456789abcdef0123456789abcdef")
        #expect(Self.clean("a\u{0}b\u{202E}c\u{7}d\ne") == "abcd\ne", "control and direction characters are dropped")
    }

    @Test func attributeValuesAreReEscaped() {
        #expect(Self.clean("<img src=\"/media/med_0123456789abcdef0123456789abcdef\" alt='say \"hi\" & <bye>'>")
                == "<img src=\"/media/med_0123456789abcdef0123456789abcdef\" alt=\"say &quot;hi&quot; &amp; &lt;bye&gt;\">")
        #expect(Self.clean("<img src=\"/media/med_0123456789abcdef0123456789abcdef\" alt=\"it&#39;s\" alt=\"second\">") == "<img src=\"/media/med_0123456789abcdef0123456789abcdef\" alt=\"it&#39;s\">")
        #expect(Self.clean("<a href=\"/search?q=a b&amp;x=&quot;\">s</a>") == "<a href=\"/search?q=a%20b&amp;x=&quot;\" \(Self.rel)>s</a>")
    }

    @Test func commentsDoctypesAndInstructionsAreDropped() {
        #expect(Self.clean("a<!-- <script>alert(1)</script> -->b<!DOCTYPE html><?php echo 1 ?>c<![CDATA[x]]>d") == "abcd")
        #expect(Self.clean("a<!-- never closed") == "a&lt;!-- never closed")
    }

    @Test func tooLongIsRefused() throws {
        #expect(Self.clean(String(repeating: "a", count: RichText.maxLength + 1)) == "refused: detail is longer than 50000 characters")
        #expect(try RichText.sanitize(String(repeating: "字", count: RichText.maxLength)).count == RichText.maxLength)
    }

    static let samples = [
        "<p>Hello <script>alert(1)</script>world</p>",
        "<p><b>bold <i>both</b> italic?</p><ul><li>one<li>two</ul><p>para<h2>title",
        "<img src=\"/media/med_0123456789abcdef0123456789abcdef\" alt='say \"hi\" & <bye>' width=10 height=20><img src=x>",
        "<a href=\"java&#x09;script:alert(1)\">x</a><a href=\"/search?q=a b&amp;c\">y</a><a><a href=/z>z",
        "1 < 2 &amp; &lt;b&gt; &nbsp; &#0; a <b and c",
        "<svg><script>x</script></svg><!-- c --><p>你好<b>世界</p>",
        "<li>loose</li><p><blockquote>q<h3>h<h4>i</h4>",
        String(repeating: "<b><i>", count: 40) + "deep",
        "x <img src=\"/media/med_0123456789abcdef0123456789abcdef",
        "<a href=\"https://x.example/?a=1&b=<2>\">'quoted' \"text\"</a>",
    ]

    @Test(arguments: samples)
    func sanitizingIsIdempotentAndDeterministic(_ html: String) throws {
        let once = try RichText.sanitize(html)
        #expect(try RichText.sanitize(once) == once)
        #expect(try RichText.sanitize(html) == once)
    }

    @Test func localImagesMustNameOneMedia() throws {
        let id = "med_0123456789abcdef0123456789abcdef"
        #expect(try RichText.sanitize("<img src=\"/media/\(id)?w=480\">") == "<img src=\"/media/\(id)?w=480\">")
        for hostile in ["/media/../r/abc", "/media/%2e%2e/r/abc", "/media/\(id)/../../r/x", "/media/\(id)?w=7", "/media/"] {
            #expect(try !RichText.sanitize("<img src=\"\(hostile)\">").contains("src"), "\(hostile)")
        }
    }
}
