import Synchronization
import TuikeCore

/// Where a message to a buyer goes: a phone by SMS, or a WeChat user (openid) by template message.
enum MessageChannel: String, Sendable, CaseIterable, Codable {
    case sms, wechat
}

/// One message as a provider receives it. `template` names what it says (`login_code`,
/// `order_shipped`, …) so a real provider can map it to its approved template; `text` is the
/// rendered message for providers (and logs) that take plain text.
struct OutgoingMessage: Sendable, Equatable {
    let channel: MessageChannel
    let to: String
    let template: String
    let parameters: [String: String]
    let text: String
}

/// An SMS gateway or WeChat's template-message API, behind one interface. A provider throws
/// when the message was not accepted; the caller retries later.
protocol MessageProvider: Sendable {
    var channel: MessageChannel { get }
    /// Whether the provider only records (sandbox mode): then sign-in codes may be shown on the page.
    var isSandbox: Bool { get }
    func send(_ message: OutgoingMessage) async throws
}

/// Records what would be sent, for demos and tests; the last 500 messages are kept in memory. It
/// writes nothing to the log (a sign-in code is a secret).
final class SandboxMessageProvider: MessageProvider {
    let channel: MessageChannel
    let isSandbox = true
    private let sent = Mutex<[OutgoingMessage]>([])
    private let failing = Mutex(0)

    init(channel: MessageChannel) { self.channel = channel }

    func send(_ message: OutgoingMessage) async throws {
        if failing.withLock({ count in
            guard count > 0 else { return false }
            count -= 1
            return true
        }) {
            throw TuikeError.unavailable("the sandbox \(channel.rawValue) provider was told to fail")
        }
        sent.withLock { sent in
            sent.append(message)
            if sent.count > 500 { sent.removeFirst(sent.count - 500) }
        }
    }

    /// Tests: the next `count` sends fail.
    func fail(next count: Int) { failing.withLock { $0 = count } }

    var messages: [OutgoingMessage] { sent.withLock { $0 } }
}

/// The providers the app has: sandbox ones in sandbox mode; none otherwise until a merchant
/// configures a real gateway (messages are then logged as skipped, and sign-in by SMS answers 503).
struct Messaging: Sendable {
    let providers: [MessageChannel: any MessageProvider]

    static func sandbox() -> Messaging {
        Messaging(providers: [.sms: SandboxMessageProvider(channel: .sms), .wechat: SandboxMessageProvider(channel: .wechat)])
    }

    static let none = Messaging(providers: [:])

    var sms: (any MessageProvider)? { providers[.sms] }
}
