import Foundation

/// `application/x-www-form-urlencoded` as payment gateways read it: every byte but ASCII letters,
/// digits and `-._~` percent-encoded (Foundation's `.alphanumerics` would let Chinese through).
enum FormEncoding {
    static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    static func encode(_ fields: [String: String]) -> String {
        fields.sorted { $0.key < $1.key }.map { "\(escape($0.key))=\(escape($0.value))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "" }

    /// Fields of a form body; `+` is a space. A field that is not valid percent-encoding is
    /// dropped, so a signature over the fields then fails rather than checks something else.
    static func decode(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = parts.first ?? nil, parts.allSatisfy({ $0 != nil }) else { continue }
            fields[name] = parts.count > 1 ? parts[1] ?? "" : ""
        }
        return fields
    }
}
