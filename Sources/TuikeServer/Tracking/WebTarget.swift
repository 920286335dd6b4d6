import Foundation
import TuikeCore

/// An absolute http(s) URL someone gave Tuike to send people or events to, read the way a
/// browser would read it, so that no spelling hides another host: backslashes (browsers read them
/// as slashes), user info (`https://shop.example.com@evil.com/`), blanks and control characters
/// are refused outright.
struct WebTarget {
    let url: URL
    /// Lower-cased, without brackets for IPv6 literals.
    let host: String

    init(_ text: String, field: String) throws(TuikeError) {
        let refusal = TuikeError.validation("\(field) must be an absolute http(s) URL on the merchant's site")
        guard text.utf8.count <= 2_000, !text.contains("\\"), text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }),
              let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              components.user == nil, components.password == nil, let rawHost = components.host, !rawHost.isEmpty,
              let url = components.url
        else { throw refusal }
        // The authority is everything between "//" and the first "/", "?" or "#": an "@" there
        // is user info, whatever URLComponents made of it.
        guard let authority = text.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false).dropFirst(2).first,
              !authority.contains("@") else { throw refusal }
        self.url = url
        self.host = rawHost.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
    }

    /// The host of the server's own public URL (where links land by default).
    static func host(of publicURL: String) -> String? {
        URLComponents(string: publicURL)?.host?.lowercased()
    }
}
