import Foundation

/// A promoter (推客, 分销员): docs/rules.md §2.
public struct Promoter: Equatable, Sendable {
    public enum Status: String, Codable, Sendable, CaseIterable, StatusMachine {
        case applied, active, rejected, suspended, terminated

        /// applied → active | rejected; active ↔ suspended; any (not already terminated) → terminated.
        public var next: Set<Status> {
            switch self {
            case .applied: [.active, .rejected, .terminated]
            case .active: [.suspended, .terminated]
            case .suspended: [.active, .terminated]
            case .rejected: [.terminated]
            case .terminated: []
            }
        }
    }

    public var id: String
    public var name: String
    /// Masked for display (138****5678); the number itself is stored encrypted.
    public var phoneMasked: String?
    public var status: Status
    public var parentID: String?
    public var inviteCode: String
    /// The promoter's own buyer account, for self-referral detection.
    public var buyerID: String?
    public var rejectionReason: String?
    /// The rank last computed for the promoter (see `Rank`), nil when it holds none.
    public var rankID: String?
    public var createdAt: Instant
    public var updatedAt: Instant

    public init(id: String, name: String, phoneMasked: String? = nil, status: Status, parentID: String? = nil, inviteCode: String,
                buyerID: String? = nil, rejectionReason: String? = nil, rankID: String? = nil, createdAt: Instant, updatedAt: Instant) {
        self.id = id
        self.name = name
        self.phoneMasked = phoneMasked
        self.status = status
        self.parentID = parentID
        self.inviteCode = inviteCode
        self.buyerID = buyerID
        self.rejectionReason = rejectionReason
        self.rankID = rankID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public static let maxNameLength = 60

    public static func validate(name: String) throws(TuikeError) {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { throw .validation("name must not be empty") }
        if trimmed.count > maxNameLength { throw .validation("name is longer than \(maxNameLength) characters") }
        try PlainText.check(name, field: "name")
    }
}

/// Phone numbers: mainland mobile numbers (11 digits starting with 1) or international E.164.
public enum Phone {
    /// Removes spaces, dashes and a +86 prefix; nil if what is left is not a phone number.
    public static func normalize(_ raw: String) -> String? {
        var digits = raw.filter { !" -()".contains($0) }
        if digits.hasPrefix("+86") { digits.removeFirst(3) } else if digits.hasPrefix("0086") { digits.removeFirst(4) }
        if digits.hasPrefix("+") {
            let rest = digits.dropFirst()
            return (8...15).contains(rest.count) && rest.allSatisfy(\.isASCIIDigit) ? digits : nil
        }
        guard digits.count == 11, digits.first == "1", digits.allSatisfy(\.isASCIIDigit) else { return nil }
        return digits
    }

    /// 138****5678: the first three and last four digits.
    public static func mask(_ phone: String) -> String {
        guard phone.count > 7 else { return String(repeating: "*", count: phone.count) }
        return String(phone.prefix(3)) + String(repeating: "*", count: phone.count - 7) + String(phone.suffix(4))
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// Invite codes are short, unambiguous, upper-case: no 0/O or 1/I/L, so they survive being read
/// aloud or typed from a poster.
public enum InviteCode {
    static let alphabet = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    public static let length = 8

    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }

    public static func normalize(_ raw: String) -> String { raw.trimmingCharacters(in: .whitespaces).uppercased() }
}
