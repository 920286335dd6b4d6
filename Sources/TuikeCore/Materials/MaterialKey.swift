/// The material a share came from, carried by the shared URL as `?s=<key>` and stored with each
/// click: `qr` (the link's QR code), `p.<template>` (a poster), `t.<copy template>` (a copy
/// text), `m.<media>` (a product image). A scan of a QR code, alone or on a poster, is a QR click.
public enum MaterialKey: Sendable, Equatable, Hashable {
    case qr
    case poster(String)
    case text(String)
    case media(String)

    public static let queryName = "s"
    static let maxLength = 48

    /// The key in `text`, or nil for anything else: an unknown or hostile value is not an error,
    /// the click simply counts without a source.
    public init?(_ text: some StringProtocol) {
        let utf8 = text.utf8
        guard (1...Self.maxLength).contains(utf8.count),
              utf8.allSatisfy({ (0x61...0x7a).contains($0) || (0x41...0x5a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5f || $0 == 0x2e })
        else { return nil }
        if text == "qr" {
            self = .qr
            return
        }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty, !parts[1].contains(".") else { return nil }
        let id = String(parts[1])
        switch parts[0] {
        case "p": self = .poster(id)
        case "t": self = .text(id)
        case "m": self = .media(id)
        default: return nil
        }
    }

    public var rawValue: String {
        switch self {
        case .qr: "qr"
        case .poster(let id): "p.\(id)"
        case .text(let id): "t.\(id)"
        case .media(let id): "m.\(id)"
        }
    }

    /// Whether a click through this key was a scan of a QR code.
    public var isScan: Bool {
        switch self {
        case .qr, .poster: true
        case .text, .media: false
        }
    }

    /// `url` with this key appended as `s=`.
    public func appended(to url: String) -> String {
        url + (url.contains("?") ? "&" : "?") + Self.queryName + "=" + rawValue
    }

    /// The value of `s` in a request target's query (`/r/abc?s=qr`), if it is a key.
    public static func inQuery(of target: some StringProtocol) -> MaterialKey? {
        guard let mark = target.firstIndex(of: "?") else { return nil }
        for pair in target[target.index(after: mark)...].split(separator: "&") where pair.hasPrefix("s=") {
            return MaterialKey(pair.dropFirst(2))
        }
        return nil
    }
}
