import TuikeCore
import TuikeStore

/// The sweep that tells buyers what happened (docs/rules.md §14): new events become messages,
/// due messages are claimed and handed to the channel's provider, after the claim's commit and
/// outside any transaction.
struct NotificationSender: Sendable {
    let notifications: NotificationRepository
    let buyers: BuyerRepository
    let messaging: Messaging

    /// Time as the messages go out: each is claimed for five minutes just before its send, by
    /// this clock rather than the sweep's start, so a slow batch never outlives its claims.
    let clock: any TuikeClock

    func run(at now: Instant) async throws {
        try await notifications.collect(at: now)
        while true {
            let due = try await notifications.due(at: now)
            for id in due {
                let sendAt = max(now, clock.now())
                if let message = try await notifications.claim(id, at: sendAt) { try await send(message, at: sendAt) }
            }
            if due.count < 50 { return }
        }
    }

    private func send(_ message: NotificationRepository.Claimed, at now: Instant) async throws {
        guard let channel = MessageChannel(rawValue: message.channel), let provider = messaging.providers[channel] else {
            return try await notifications.finish(message, sent: false, error: "no \(message.channel) provider is configured", skip: true, at: now)
        }
        let address: String?
        switch channel {
        case .sms: address = try await buyers.phone(of: message.buyerID)
        case .wechat: address = try await buyers.find(message.buyerID)?.wechatOpenID
        }
        guard let address else {
            return try await notifications.finish(message, sent: false, error: "the buyer has no \(message.channel) address", skip: true, at: now)
        }
        do {
            try await provider.send(OutgoingMessage(channel: channel, to: address, template: message.template, parameters: message.parameters, text: message.body))
            try await notifications.finish(message, sent: true, error: nil, at: now)
        } catch {
            try await notifications.finish(message, sent: false, error: String(describing: error).prefix(200).description, at: now)
        }
    }
}
