import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TuikeCore

/// Where webhooks may not go unless the program allows it (`webhooks_allow_private`): this
/// machine, private networks, link-local addresses (the cloud metadata service) and the like
/// (`AddressRanges.local`). Checked when an endpoint is created and again before each delivery,
/// since a name may resolve elsewhere later.
enum WebhookAddresses {
    /// Whether `host` is itself such an address, or a name of this machine.
    static func isLocal(host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host.hasSuffix(".localhost") { return true }
        return AddressRanges.local.contains(host)
    }

    /// Whether a resolved address may not be reached: a local one, or one that cannot be read
    /// (a scoped IPv6 address such as `fe80::1%eth0`).
    static func isLocalAddress(_ address: String) -> Bool {
        AddressRanges.bytes(address) == nil || isLocal(host: address)
    }

    /// The addresses `host` resolves to (empty when it does not); getaddrinfo blocks, so it runs
    /// on a Dispatch thread, not on the concurrency pool.
    static func resolve(_ host: String) async -> [String] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: resolveNow(host)) }
        }
    }

    private static func resolveNow(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 {
                addresses.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }
}

/// The live sender behind the address check: a delivery to a local address is not sent, and
/// its attempt is recorded as failed with the reason (retried later like any failure, so turning
/// `webhooks_allow_private` on lets it through).
struct GuardedWebhookSender: WebhookSender {
    let inner: any WebhookSender
    let allowPrivate: @Sendable () async throws -> Bool
    var resolve: @Sendable (String) async -> [String] = WebhookAddresses.resolve

    func send(url: String, body: Data, headers: [String: String]) async -> (status: Int?, error: String?) {
        if !((try? await allowPrivate()) ?? false) {
            guard let host = URLComponents(string: url)?.host?.trimmingCharacters(in: CharacterSet(charactersIn: "[]")) else {
                return (nil, "bad url")
            }
            if WebhookAddresses.isLocal(host: host) { return (nil, "refused: \(host) is a local address (webhooks_allow_private is off)") }
            let addresses = await resolve(host)
            // Nothing resolved: not sent (the client would resolve it again, perhaps differently).
            guard !addresses.isEmpty else { return (nil, "refused: \(host) did not resolve") }
            if let local = addresses.first(where: WebhookAddresses.isLocalAddress) {
                return (nil, "refused: \(host) resolves to the local address \(local) (webhooks_allow_private is off)")
            }
        }
        return await inner.send(url: url, body: body, headers: headers)
    }
}
