import Testing
@testable import TuikeCore

@Suite struct TrustedProxiesTests {
    /// Behind nginx (which appends the address it saw), a client that sends its own
    /// X-Forwarded-For cannot choose its address: the right-most untrusted entry is taken.
    @Test func theRightMostUntrustedAddressIsTheClient() throws {
        let loopback = TrustedProxies.loopback
        #expect(loopback.client(peer: "127.0.0.1", forwardedFor: "6.6.6.6, 203.0.113.5", realIP: nil) == "203.0.113.5")
        #expect(loopback.client(peer: "::1", forwardedFor: "203.0.113.5", realIP: nil) == "203.0.113.5")
        #expect(loopback.client(peer: "::ffff:127.0.0.1", forwardedFor: nil, realIP: "203.0.113.9") == "203.0.113.9")
        #expect(loopback.client(peer: "127.0.0.1", forwardedFor: nil, realIP: nil) == "127.0.0.1")
        // nginx with only `X-Real-IP $remote_addr` passes a client's own X-Forwarded-For through.
        #expect(loopback.client(peer: "127.0.0.1", forwardedFor: "6.6.6.6", realIP: "203.0.113.5") == "203.0.113.5")
        #expect(loopback.client(peer: "198.51.100.1", forwardedFor: "1.1.1.1", realIP: "2.2.2.2") == "198.51.100.1", "not a proxy: headers ignored")

        let chain = try TrustedProxies(parsing: "127.0.0.1/8, 10.0.0.0/8,2001:db8::/32")
        #expect(chain.client(peer: "10.1.2.3", forwardedFor: "6.6.6.6, 203.0.113.5, 10.9.9.9", realIP: nil) == "203.0.113.5")
        #expect(chain.client(peer: "10.1.2.3", forwardedFor: "10.0.0.7, 10.0.0.8", realIP: nil) == "10.0.0.7", "all trusted: the left-most")
        #expect(chain.contains("2001:db8:1::5") && !chain.contains("2001:db9::1") && !chain.contains("11.0.0.1") && !chain.contains("junk"))

        let none = try TrustedProxies(parsing: "")
        #expect(none.client(peer: "127.0.0.1", forwardedFor: "6.6.6.6", realIP: nil) == "127.0.0.1")
    }

    @Test(arguments: ["10.0.0.0/33", "nonsense", "1.2.3.4/-1", "::1/129", "10.0.0.0/x"])
    func badListsAreRefused(_ list: String) {
        #expect(throws: TuikeError.self) { try TrustedProxies(parsing: list) }
    }

    @Test func ipv6AddressesAreLimitedByTheirSlash64() {
        #expect(AddressRanges.limitKey("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64")
        #expect(AddressRanges.limitKey("2001:db8:1:2:bbbb::9") == AddressRanges.limitKey("2001:db8:1:2:aaaa::1"))
        #expect(AddressRanges.limitKey("203.0.113.5") == "203.0.113.5")
        #expect(AddressRanges.limitKey("::ffff:203.0.113.5") == "::ffff:203.0.113.5", "a mapped IPv4 address is not grouped")
        #expect(throws: TuikeError.self) { try AddressRanges(parsing: "/") }
        #expect(throws: TuikeError.self) { try AddressRanges(parsing: "10.0.0.0/") }
    }

    @Test func prefixesMatchBitByBit() throws {
        let net = try TrustedProxies(parsing: "192.168.4.0/22")
        #expect(net.contains("192.168.7.255") && net.contains("192.168.4.0") && !net.contains("192.168.8.0") && !net.contains("192.168.3.255"))
        #expect(try TrustedProxies(parsing: "0.0.0.0/0").contains("8.8.8.8"))
    }
}
