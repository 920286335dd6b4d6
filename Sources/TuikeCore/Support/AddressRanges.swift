#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A set of IP networks in CIDR notation (`10.0.0.0/8, ::1`), for trusted proxies and for the
/// addresses webhooks may not reach.
public struct AddressRanges: Sendable, Equatable {
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

    /// Addresses or CIDR networks separated by commas or spaces; an empty list holds nothing.
    public init(parsing list: String) throws(TuikeError) {
        var networks: [Network] = []
        for item in list.split(whereSeparator: { $0 == "," || $0 == " " }) where !item.isEmpty {
            let parts = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let first = parts.first, let bytes = Self.bytes(String(first)) else { throw .validation("\(item) is not an IP address or CIDR network") }
            let prefix = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
            guard let prefix, (0...(bytes.count * 8)).contains(prefix) else { throw .validation("\(item) has a bad prefix length") }
            networks.append(Network(bytes: bytes, prefix: prefix))
        }
        self.networks = networks
    }

    public func contains(_ address: String) -> Bool {
        guard let bytes = Self.bytes(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// Loopback, private, link-local (cloud metadata at 169.254.169.254), shared (carrier NAT),
    /// unspecified, multicast and reserved addresses: none is a merchant's public webhook.
    public static let local: AddressRanges = {
        let list = "0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16, 172.16.0.0/12, 192.0.0.0/24, 192.168.0.0/16, "
            + "198.18.0.0/15, 224.0.0.0/4, 240.0.0.0/4, ::/96, ::1/128, 64:ff9b::/96, fc00::/7, fe80::/10, ff00::/8"
        return (try? AddressRanges(parsing: list)) ?? AddressRanges(networks: [])
    }()

    init(networks: [Network]) { self.networks = networks }

    /// What per-address limits count an address as: an IPv4 address itself, an IPv6 address by its
    /// /64 (one subscriber or host holds a whole /64, and could otherwise rotate through it).
    public static func limitKey(_ address: String) -> String {
        guard let bytes = bytes(address), bytes.count == 16 else { return address }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }

    /// The address's bytes (4 or 16); an IPv4-mapped IPv6 address counts as its IPv4 address.
    public static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes.prefix(10).allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes.suffix(4)) }
        return bytes
    }
}
