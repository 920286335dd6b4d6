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

    static func flag(_ node: [String: Any], _ key: String) -> Bool { node[key] as? Bool ?? false }
    static func nodes(_ node: [String: Any], _ key: String) -> [[String: Any]] { node[key] as? [[String: Any]] ?? [] }
}
