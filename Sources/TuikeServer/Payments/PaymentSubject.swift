import TuikeCore

/// What a provider shows the buyer as the payment's subject: the first line's title, and how many
/// lines there are when more than one, cut to whole characters within the provider's byte limit.
enum PaymentSubject {
    static func of(_ order: Order, utf8Bytes limit: Int) -> String {
        let title = order.items.first.map { order.items.count > 1 ? "\($0.title) 等\(order.items.count)件" : $0.title } ?? order.id
        var bytes = 0
        return String(title.prefix { bytes += $0.utf8.count; return bytes <= limit })
    }
}
