/// An allowlist sanitiser for a product's rich detail: text and images from the merchant, shown to
/// every buyer and promoter on our origin. Nothing of the input is copied through as markup: the
/// input is tokenized, every tag is rebuilt from the allowlist and every text or attribute value is
/// re-escaped, so whatever a browser would have made of a tag this tokenizer reads differently, the
/// output can only hold the markup written here. Entities are decoded before any check, so a URL is
/// judged by what a browser would follow (`javascript&#58;` is `javascript:`).
///
/// The output is well-formed and nested the way a browser would nest it (a block closes an open
/// `p`, a list item an open list item), which makes it a fixed point: sanitizing it again changes
/// nothing.
public enum RichText {
    public static let maxLength = 50_000

    public static func sanitize(_ html: String, mediaURLPrefix: String = "/media/") throws(TuikeError) -> String {
        if html.count > maxLength { throw .validation("detail is longer than \(maxLength) characters") }
        var sanitizer = Sanitizer(html: html, mediaURLPrefix: mediaURLPrefix)
        sanitizer.run()
        return sanitizer.output
    }

    /// Far deeper than any real description; it bounds the work a single tag can cause.
    static let maxDepth = 64

    static let allowed: Set<String> = ["p", "br", "strong", "b", "em", "i", "u", "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "img", "a"]
    /// Blocks that may not sit inside a `p`: opening one closes the paragraph, as a browser does.
    static let blocks: Set<String> = ["p", "h2", "h3", "h4", "ul", "ol", "blockquote"]
    static let headings: Set<String> = ["h2", "h3", "h4"]
    /// To a browser their content is not markup, so it is skipped as a whole up to the close tag.
    static let rawText: Set<String> = ["script", "style", "iframe", "noscript", "textarea", "title", "xmp", "noembed", "noframes"]
    /// Dropped with everything inside. `embed` is void, so it has no inside and goes as an unknown tag.
    static let droppedWithContent: Set<String> = ["object", "template", "svg", "math"]

    static let https = Array("https://".unicodeScalars)
    static let http = Array("http://".unicodeScalars)

    static let named: [String: Unicode.Scalar] = [
        "amp": "&", "AMP": "&", "lt": "<", "LT": "<", "gt": ">", "GT": ">", "quot": "\"", "QUOT": "\"", "apos": "'",
        "nbsp": "\u{A0}", "copy": "\u{A9}", "reg": "\u{AE}", "trade": "\u{2122}", "hellip": "\u{2026}",
        "mdash": "\u{2014}", "ndash": "\u{2013}", "lsquo": "\u{2018}", "rsquo": "\u{2019}", "ldquo": "\u{201C}",
        "rdquo": "\u{201D}", "middot": "\u{B7}", "bull": "\u{2022}", "times": "\u{D7}", "divide": "\u{F7}",
        "yen": "\u{A5}", "euro": "\u{20AC}", "deg": "\u{B0}", "laquo": "\u{AB}", "raquo": "\u{BB}", "plusmn": "\u{B1}",
    ]
}

private struct Sanitizer {
    struct Tag {
        var name: String
        var attributes: [String: String]
        var selfClosing: Bool
        var end: Int
    }

    let input: [Unicode.Scalar]
    let mediaPrefix: [Unicode.Scalar]
    var position = 0
    var output = ""
    var open: [String] = []
    var dropping: [String] = []
    /// Set by a `<` that starts markup which never ends: it and all after it are shown as text
    /// rather than silently lost, and scanning to the end again for every later `<` is avoided.
    var restIsText = false

    init(html: String, mediaURLPrefix: String) {
        // Control and text-direction characters are what PlainText refuses elsewhere; here they are
        // dropped, since pasted rich text often carries them invisibly.
        input = Array(html.unicodeScalars).filter { !PlainText.isRefused($0, multiline: true) }
        let prefix = Array(RichText.normalizedURL(mediaURLPrefix).unicodeScalars)
        // An empty or odd prefix would let every source through; then only https images pass.
        mediaPrefix = RichText.isLocalPath(prefix) || RichText.hasPrefix(prefix, RichText.https) ? prefix : []
    }

    mutating func run() {
        while position < input.count {
            let scalar = input[position]
            if scalar == "<", !restIsText, position + 1 < input.count {
                markup()
            } else if scalar == "&" {
                let (decoded, next) = RichText.reference(in: input, at: position, end: input.count)
                text(decoded)
                position = next
            } else {
                text(scalar)
                position += 1
            }
        }
        close(downTo: 0)
    }

    mutating func markup() {
        let next = input[position + 1]
        if next == "!" {
            let comment = matches(Array("<!--".unicodeScalars), at: position)
            skip(past: comment ? Array("-->".unicodeScalars) : [">"], from: position + 2)
        } else if next == "?" {
            skip(past: [">"], from: position + 2)
        } else if next == "/" {
            if position + 2 < input.count, RichText.isLetter(input[position + 2]) {
                if let tag = readTag(nameAt: position + 2) { endTag(tag) } else { literalRest() }
            } else {
                skip(past: [">"], from: position + 2)
            }
        } else if RichText.isLetter(next) {
            if let tag = readTag(nameAt: position + 1) { startTag(tag) } else { literalRest() }
        } else {
            text("<")
            position += 1
        }
    }

    mutating func literalRest() {
        restIsText = true
        text("<")
        position += 1
    }

    mutating func skip(past terminator: [Unicode.Scalar], from start: Int) {
        if let end = find(terminator, from: start) { position = end } else { literalRest() }
    }

    /// The index just after the first `terminator` at or after `start`.
    func find(_ terminator: [Unicode.Scalar], from start: Int) -> Int? {
        var index = start
        while index + terminator.count <= input.count {
            if matches(terminator, at: index) { return index + terminator.count }
            index += 1
        }
        return nil
    }

    func matches(_ expected: [Unicode.Scalar], at index: Int) -> Bool {
        guard index >= 0, index + expected.count <= input.count else { return false }
        return input[index..<(index + expected.count)].elementsEqual(expected) { RichText.lowercased($0) == RichText.lowercased($1) }
    }

    /// A tag from its name to its `>`, or nil when the input ends first. Attribute names are
    /// lowercased, values decoded; the first of repeated attributes wins, as in a browser.
    func readTag(nameAt start: Int) -> Tag? {
        var index = start
        var name = ""
        while index < input.count, !RichText.isSpace(input[index]), input[index] != "/", input[index] != ">" {
            name.unicodeScalars.append(RichText.lowercased(input[index]))
            index += 1
        }
        var attributes: [String: String] = [:]
        var selfClosing = false
        while index < input.count {
            let scalar = input[index]
            if RichText.isSpace(scalar) { index += 1; continue }
            if scalar == ">" { return Tag(name: name, attributes: attributes, selfClosing: selfClosing, end: index + 1) }
            if scalar == "/" {
                selfClosing = index + 1 < input.count && input[index + 1] == ">"
                index += 1
                continue
            }
            selfClosing = false
            var attribute = ""
            repeat {
                attribute.unicodeScalars.append(RichText.lowercased(input[index]))
                index += 1
            } while index < input.count && !RichText.isSpace(input[index]) && input[index] != "/" && input[index] != ">" && input[index] != "="
            while index < input.count, RichText.isSpace(input[index]) { index += 1 }
            var value = ""
            if index < input.count, input[index] == "=" {
                index += 1
                while index < input.count, RichText.isSpace(input[index]) { index += 1 }
                guard index < input.count else { return nil }
                let quote = input[index]
                if quote == "\"" || quote == "'" {
                    let valueStart = index + 1
                    guard let close = input[valueStart...].firstIndex(of: quote) else { return nil }
                    value = RichText.decoded(input, valueStart..<close)
                    index = close + 1
                } else {
                    let valueStart = index
                    while index < input.count, !RichText.isSpace(input[index]), input[index] != ">" { index += 1 }
                    value = RichText.decoded(input, valueStart..<index)
                }
            }
            if attributes[attribute] == nil { attributes[attribute] = value }
        }
        return nil
    }

    mutating func startTag(_ tag: Tag) {
        position = tag.end
        if RichText.rawText.contains(tag.name) {
            skipRawText(tag.name)
            return
        }
        if RichText.droppedWithContent.contains(tag.name) {
            // Only foreign elements honour `/>`; `<template/>` still opens a template.
            let closedAlready = tag.selfClosing && (tag.name == "svg" || tag.name == "math")
            if !closedAlready, dropping.count < RichText.maxDepth { dropping.append(tag.name) }
            return
        }
        guard dropping.isEmpty, RichText.allowed.contains(tag.name) else { return }
        switch tag.name {
        case "br": output += "<br>"
        case "img": image(tag.attributes)
        default: element(tag)
        }
    }

    mutating func element(_ tag: Tag) {
        let name = tag.name
        if RichText.blocks.contains(name) {
            closeParagraph()
            if RichText.headings.contains(name), let top = open.last, RichText.headings.contains(top) { close(downTo: open.count - 1) }
        } else if name == "li" {
            // A new item ends the open one in the same list, not one in an enclosing list.
            for index in open.indices.reversed() {
                if open[index] == "li" {
                    close(downTo: index)
                    break
                }
                if open[index] != "p", RichText.blocks.contains(open[index]) { break }
            }
            closeParagraph()
        } else if name == "a", let index = open.lastIndex(of: "a") {
            close(downTo: index)
        }
        guard open.count < RichText.maxDepth else { return }
        if name == "a" {
            var markup = "<a"
            if let raw = tag.attributes["href"], let href = RichText.link(raw) {
                markup += " href=\"\(RichText.escapedAttribute(href))\""
            }
            output += markup + " rel=\"nofollow noopener\">"
        } else {
            output += "<\(name)>"
        }
        open.append(name)
    }

    /// An image is only worth keeping with a source we allow; without one it is dropped whole.
    mutating func image(_ attributes: [String: String]) {
        guard let raw = attributes["src"], let source = RichText.imageSource(raw, mediaPrefix: mediaPrefix) else { return }
        var markup = "<img src=\"\(RichText.escapedAttribute(source))\""
        if let alt = attributes["alt"] { markup += " alt=\"\(RichText.escapedAttribute(alt))\"" }
        for key in ["width", "height"] {
            if let value = attributes[key], RichText.isDimension(value) { markup += " \(key)=\"\(value)\"" }
        }
        output += markup + ">"
    }

    mutating func endTag(_ tag: Tag) {
        position = tag.end
        if !dropping.isEmpty {
            if let index = dropping.lastIndex(of: tag.name) { dropping.removeSubrange(index...) }
            return
        }
        if let index = open.lastIndex(of: tag.name) { close(downTo: index) }
    }

    mutating func closeParagraph() {
        if let index = open.lastIndex(of: "p") { close(downTo: index) }
    }

    mutating func close(downTo index: Int) {
        while open.count > index, let name = open.popLast() { output += "</\(name)>" }
    }

    /// Skips to just after `</name` followed by a delimiter and its `>`, or to the end.
    mutating func skipRawText(_ name: String) {
        let closing = Array("</\(name)".unicodeScalars)
        var index = position
        while let found = find(closing, from: index) {
            if found == input.count || RichText.isSpace(input[found]) || input[found] == "/" || input[found] == ">" {
                position = find([">"], from: found) ?? input.count
                return
            }
            index = found
        }
        position = input.count
    }

    mutating func text(_ scalar: Unicode.Scalar) {
        guard dropping.isEmpty else { return }
        switch scalar {
        case "&": output += "&amp;"
        case "<": output += "&lt;"
        case ">": output += "&gt;"
        default: output.unicodeScalars.append(scalar)
        }
    }
}
