/// Sign-in codes sent by SMS (短信验证码): six digits, valid for five minutes, used once, at most
/// five wrong tries; a phone gets one code a minute and five an hour, an address twenty an hour.
/// Pure: the store counts what was sent and tried, these rules decide.
public enum OneTimeCode {
    public static let digits = 6
    public static let lifetimeSeconds: Int64 = 300
    public static let maxAttempts: Int64 = 5
    public static let phoneGapSeconds: Int64 = 60
    public static let phonePerHour = 5
    public static let addressPerHour = 20

    /// Why no code may be sent now, or nil. `phoneSends` are this phone's sends in the last hour;
    /// `addressSends` counts the caller's address's sends in the last hour.
    public static func sendRefusal(phoneSends: [Instant], addressSends: Int, now: Instant) -> TuikeError? {
        if let last = phoneSends.max(), now.milliseconds - last.milliseconds < phoneGapSeconds * 1_000 {
            let wait = phoneGapSeconds - (now.milliseconds - last.milliseconds) / 1_000
            return .rateLimited("a code was sent to this phone less than a minute ago", retryAfter: max(wait, 1))
        }
        if phoneSends.count >= phonePerHour {
            return .rateLimited("this phone has had \(phonePerHour) codes in the last hour", retryAfter: 3_600)
        }
        if addressSends >= addressPerHour {
            return .rateLimited("too many codes from this address in the last hour", retryAfter: 3_600)
        }
        return nil
    }

    /// A code as the store keeps it (its hash, never the digits).
    public struct Issued: Sendable, Equatable {
        public let id: String
        public let expiresAt: Instant
        public let attempts: Int64
        public let used: Bool

        public init(id: String, expiresAt: Instant, attempts: Int64, used: Bool) {
            self.id = id
            self.expiresAt = expiresAt
            self.attempts = attempts
            self.used = used
        }
    }

    /// Why the latest code of a phone cannot be tried now, or nil.
    public static func tryRefusal(_ code: Issued?, now: Instant) -> TuikeError? {
        guard let code, !code.used, now < code.expiresAt else {
            return TuikeError(.unprocessable, code: "invalid_code", "the code is wrong or has expired; ask for a new one")
        }
        if code.attempts >= maxAttempts {
            return TuikeError(.unprocessable, code: "invalid_code", "too many wrong tries; ask for a new code")
        }
        return nil
    }

    /// Six digits, each from the system's random source.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<digits).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
    }

    public static func isWellFormed(_ text: String) -> Bool { text.count == digits && text.allSatisfy(\.isASCIIDigit) }
}

/// A buyer's account on the storefront: signed in by phone, with an address book. Its id is the
/// `buyer_id` of its orders; integrators may go on using their own buyer ids, which have no account.
public struct Buyer: Equatable, Sendable {
    public let id: String
    public let phoneMasked: String
    public var marketingOptOut: Bool
    public var wechatOpenID: String?
    public let createdAt: Instant

    public init(id: String, phoneMasked: String, marketingOptOut: Bool, wechatOpenID: String?, createdAt: Instant) {
        self.id = id
        self.phoneMasked = phoneMasked
        self.marketingOptOut = marketingOptOut
        self.wechatOpenID = wechatOpenID
        self.createdAt = createdAt
    }

    /// Sign-ins last 30 days.
    public static let sessionSeconds: Int64 = 30 * 86_400
    public static let maxAddresses = 20
}

/// An entry of a buyer's address book.
public struct SavedAddress: Equatable, Sendable {
    public let id: String
    public let buyerID: String
    public var address: ShippingAddress
    public var isDefault: Bool

    public init(id: String, buyerID: String, address: ShippingAddress, isDefault: Bool) {
        self.id = id
        self.buyerID = buyerID
        self.address = address
        self.isDefault = isDefault
    }
}
