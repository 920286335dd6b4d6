#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reverse proxies whose forwarding headers are believed, as CIDR networks (default: this
/// machine's loopback). A request from anyone else is its own peer address, whatever headers it
/// sends. Behind trusted proxies the client is the right-most address of `X-Forwarded-For` that
/// is not a trusted proxy: each proxy appends the address it saw, so the entries a client wrote
/// itself stand to the left and are never taken (nginx appends; believing the first entry let a
/// client choose its own address).
public struct TrustedProxies: Sendable, Equatable {
    struct Network: Sendable, Equatable {
        let bytes: [UInt8]
        let prefix: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var left = prefix
            for (a, b) in zip(address, bytes) where left > 0 {
                let bits = min(8, left)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if a & mask != b & mask { return false }
                left -= bits
            }
            return true
        }
    }

    let networks: [Network]

    public static let loopback = TrustedProxies(networks: [Network(bytes: [127, 0, 0, 0], prefix: 8), Network(bytes: Array(repeating: 0, count: 15) + [1], prefix: 128)])
    /// Believes no forwarding header at all (a server facing the internet directly).
    public static let none = TrustedProxies(networks: [])

    init(networks: [Network]) { self.networks = networks }

    /// `127.0.0.1/8, ::1, 10.0.0.0/8`: addresses or CIDR networks, separated by commas or spaces;
    /// an empty list trusts nobody.
    public init(parsing list: String) throws(TuikeError) {
        var networks: [Network] = []
        for item in list.split(whereSeparator: { $0 == "," || $0 == " " }) where !item.isEmpty {
            let parts = item.split(separator: "/", maxSplits: 1)
            guard let bytes = Self.bytes(String(parts[0])) else { throw .validation("trusted proxy \(item) is not an IP address or CIDR network") }
            let prefix = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
            guard let prefix, (0...(bytes.count * 8)).contains(prefix) else { throw .validation("trusted proxy \(item) has a bad prefix length") }
            networks.append(Network(bytes: bytes, prefix: prefix))
        }
        self.networks = networks
    }

    public func contains(_ address: String) -> Bool {
        guard let bytes = Self.bytes(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client's address: `peer` itself unless it is a trusted proxy; behind one, the right-most
    /// `X-Forwarded-For` entry that is not a trusted proxy (all trusted: the left-most), else
    /// `X-Real-IP`, else the peer. `peer` nil (no socket: an in-process call) believes the headers.
    public func client(peer: String?, forwardedFor: String?, realIP: String?) -> String? {
        if let peer, !contains(peer) { return peer }
        let chain = forwardedFor.map { $0.split(separator: ",").map { String($0).trimmedBlanks }.filter { !$0.isEmpty } } ?? []
        if let client = chain.last(where: { !contains($0) }) ?? chain.first { return client }
        return realIP?.trimmedBlanks ?? peer
    }

    /// The address's bytes (4 or 16); an IPv4-mapped IPv6 address counts as its IPv4 address.
    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes.prefix(10).allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes.suffix(4)) }
        return bytes
    }
}

private extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmedBlanks: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
