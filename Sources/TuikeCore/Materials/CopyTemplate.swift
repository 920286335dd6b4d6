import Foundation

/// The placeholders of a copy text: `{title}` and the others are filled per promoter when the
/// copy is shown; `{{` and `}}` are braces of their own. Mistakes are refused when the merchant
/// saves, where they can fix them, rather than showing up as `{titel}` in a promoter's post.
extension CopyTemplate {
    public enum Placeholder: String, CaseIterable, Sendable {
        case title, price, groupPrice = "group_price", link, promoter, deadline
    }

    public static let maxLength = 2_000

    public static func validate(_ text: String) throws(TuikeError) {
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw .validation("text must not be empty") }
        if text.count > maxLength { throw .validation("text is longer than \(maxLength) characters") }
        try PlainText.check(text, field: "text", multiline: true)
        let parsed = parse(text)
        if parsed.unclosedBrace { throw .validation("text has a \"{\" that is never closed; write \"{{\" for a brace of its own") }
        if parsed.strayBrace { throw .validation("text has a \"}\" that closes no placeholder; write \"}}\" for a brace of its own") }
        if !parsed.unknown.isEmpty {
            let names = parsed.unknown.map { "{\($0)}" }.joined(separator: ", ")
            let known = Placeholder.allCases.map { "{\($0.rawValue)}" }.joined(separator: ", ")
            let noun = parsed.unknown.count == 1 ? "placeholder" : "placeholders"
            throw .validation("text has unknown \(noun) \(names); the known placeholders are \(known)")
        }
    }

    /// Values go in as they are and are never read for placeholders again, so a product titled
    /// `{link}` shows as that. A missing value is empty. Text saved before a placeholder was
    /// retired keeps the unknown `{name}` as written rather than failing the page.
    public static func fill(_ text: String, values: [Placeholder: String]) -> String {
        var result = ""
        for segment in parse(text).segments {
            switch segment {
            case .text(let literal): result += literal
            case .placeholder(let placeholder): result += values[placeholder] ?? ""
            }
        }
        return result
    }

    enum Segment: Equatable {
        case text(String)
        case placeholder(Placeholder)
    }

    struct Parsed {
        var segments: [Segment] = []
        var unknown: [String] = []
        var unclosedBrace = false
        var strayBrace = false
    }

    /// One pass that both `validate` and `fill` use, so what is refused on save and what is
    /// filled on show cannot disagree. Lone braces are kept as text here; `validate` refuses them.
    static func parse(_ text: String) -> Parsed {
        let characters = Array(text)
        var parsed = Parsed()
        var literal = ""
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let next: Character? = index + 1 < characters.count ? characters[index + 1] : nil
            if character == "{", next == "{" {
                literal.append("{")
                index += 2
            } else if character == "}", next == "}" {
                literal.append("}")
                index += 2
            } else if character == "}" {
                parsed.strayBrace = true
                literal.append("}")
                index += 1
            } else if character == "{", let close = placeholderEnd(characters, from: index + 1) {
                let name = String(characters[(index + 1)..<close]).trimmingCharacters(in: .whitespaces)
                if let placeholder = Placeholder(rawValue: name) {
                    if !literal.isEmpty { parsed.segments.append(.text(literal)) }
                    literal = ""
                    parsed.segments.append(.placeholder(placeholder))
                } else {
                    if !parsed.unknown.contains(name) { parsed.unknown.append(name) }
                    literal += String(characters[index...close])
                }
                index = close + 1
            } else if character == "{" {
                parsed.unclosedBrace = true
                literal.append("{")
                index += 1
            } else {
                literal.append(character)
                index += 1
            }
        }
        if !literal.isEmpty { parsed.segments.append(.text(literal)) }
        return parsed
    }

    /// The index of the `}` that ends a placeholder name starting at `start`. A name stays on one
    /// line and holds no other brace, so a stray `{` does not swallow the text after it.
    private static func placeholderEnd(_ characters: [Character], from start: Int) -> Int? {
        var index = start
        while index < characters.count {
            let character = characters[index]
            if character == "}" { return index }
            if character == "{" || character.isNewline { return nil }
            index += 1
        }
        return nil
    }
}
