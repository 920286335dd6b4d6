/// The reverse proxies whose forwarding headers are believed, as CIDR networks (default: this
/// machine's loopback). A request from anyone else is its own peer address, whatever headers it
/// sends. Behind trusted proxies the client is the right-most address of `X-Forwarded-For` that
/// is not a trusted proxy: each proxy appends the address it saw, so the entries a client wrote
/// itself stand to the left and are never taken (nginx appends; believing the first entry let a
/// client choose its own address).
public struct TrustedProxies: Sendable, Equatable {
    let ranges: AddressRanges

    public static let loopback = TrustedProxies(ranges: AddressRanges(networks: [
        .init(bytes: [127, 0, 0, 0], prefix: 8), .init(bytes: Array(repeating: 0, count: 15) + [1], prefix: 128),
    ]))
    /// Believes no forwarding header at all (a server facing the internet directly).
    public static let none = TrustedProxies(ranges: AddressRanges(networks: []))

    init(ranges: AddressRanges) { self.ranges = ranges }

    /// `127.0.0.1/8, ::1, 10.0.0.0/8`; an empty list trusts nobody.
    public init(parsing list: String) throws(TuikeError) {
        do {
            ranges = try AddressRanges(parsing: list)
        } catch {
            throw .validation("trusted proxies: \(error.message)")
        }
    }

    public func contains(_ address: String) -> Bool { ranges.contains(address) }

    /// The client's address: `peer` itself unless it is a trusted proxy. Behind one, `X-Real-IP`
    /// when the proxy sets it (nginx's usual `proxy_set_header X-Real-IP $remote_addr`: the address
    /// it saw, which a client cannot choose), else the right-most `X-Forwarded-For` entry that is
    /// not a trusted proxy (all trusted: the left-most), else the peer. `peer` nil (no socket: an
    /// in-process call) believes the headers.
    public func client(peer: String?, forwardedFor: String?, realIP: String?) -> String? {
        if let peer, !contains(peer) { return peer }
        if let realIP = realIP?.trimmedBlanks, !realIP.isEmpty, !contains(realIP) { return realIP }
        let chain = forwardedFor.map { $0.split(separator: ",").map { String($0).trimmedBlanks }.filter { !$0.isEmpty } } ?? []
        if let client = chain.last(where: { !contains($0) }) ?? chain.first { return client }
        return peer
    }
}

private extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmedBlanks: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
