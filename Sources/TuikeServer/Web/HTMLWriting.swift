/// Pages written directly as HTML instead of through Mustache (`ConsoleHTML`, `PortalHTML`): the
/// busiest pages list dozens of rows, and Mustache looked every name up through its context stack
/// with dynamic casts, which was most of such a page's CPU. Every value goes through
/// `HTML.escape`, as `{{x}}` did; only the markup itself is written raw.
protocol HTMLWriting {
    var out: String { get set }
}

extension HTMLWriting {
    mutating func raw(_ markup: String) { out += markup }
    mutating func text(_ value: Any?) { out += HTML.escape(Self.string(value)) }

    /// A value as Mustache printed it: text as is, numbers in decimal, nothing for nil.
    static func string(_ value: Any?) -> String {
        switch value {
        case nil: ""
        case let text as String: text
        case let number as Int: String(number)
        case let number as Int64: String(number)
        case let flag as Bool: flag ? "true" : "false"
        case let some?: "\(some)"
        }
    }

    /// A form's CSRF token and, for a form that changes something, its nonce (`FormReplay`).
    mutating func hidden(csrf: Any?, nonce: Any?) {
        raw("<input type=\"hidden\" name=\"_csrf\" value=\""); text(csrf); raw("\">")
        if let nonce { raw("<input type=\"hidden\" name=\"_nonce\" value=\""); text(nonce); raw("\">") }
    }

    static func flag(_ node: [String: Any], _ key: String) -> Bool { node[key] as? Bool ?? false }
    static func nodes(_ node: [String: Any], _ key: String) -> [[String: Any]] { node[key] as? [[String: Any]] ?? [] }
}

/// A page body written from a model of text and numbers (`[String: Any]`, as the templates took
/// it) in the visitor's language: the portal and the console's dashboard.
protocol ModelHTML: HTMLWriting {
    var strings: Words { get }
    var model: [String: Any] { get }
    init(strings: Words, model: [String: Any])
    mutating func write()
}

extension ModelHTML {
    static func body(_ model: [String: Any], strings: Words) -> String {
        var html = Self(strings: strings, model: model)
        html.out.reserveCapacity(32_768)
        html.write()
        return html.out
    }

    mutating func say(_ word: Word) { text(strings[word]) }
    func child(_ key: String) -> [String: Any] { model[key] as? [String: Any] ?? [:] }

    mutating func hidden(nonce: Bool = true) { hidden(csrf: model["csrf"], nonce: nonce ? model["nonce"] : nil) }
}
