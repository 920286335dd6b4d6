import Hummingbird
import TuikeCore
import TuikeStore

/// A group as the public sees it: counts and a countdown, members shown by role and masked id;
/// admins also see buyer and order ids.
struct GroupView: Encodable, Sendable {
    struct Member: Encodable, Sendable {
        let role: String
        let status: String
        let name: String
        @ExplicitNull var paidAt: Instant?
        var buyerId: String?
        var orderId: String?
        var refundError: String?
    }

    let id: String
    let campaignId: String
    let status: String
    let size: Int64
    let members: Int64
    let reserved: Int64
    let freeSlots: Int64
    @ExplicitNull var expiresAt: Instant?
    let createdAt: Instant
    @ExplicitNull var finishedAt: Instant?
    let shareUrl: String
    let memberList: [Member]?

    init(_ group: Group, members list: [GroupMember]?, publicURL: String, admin: Bool = false) {
        id = group.id
        campaignId = group.campaignID
        status = group.status.rawValue
        size = group.size
        members = group.paidMembers
        reserved = group.reserved
        freeSlots = group.status == .forming ? group.size - group.paidMembers - group.reserved : 0
        expiresAt = group.expiresAt
        createdAt = group.createdAt
        finishedAt = group.finishedAt
        shareUrl = "\(publicURL)/g/\(group.id)"
        memberList = list?.filter { $0.status != .released }.map { member in
            Member(role: member.role.rawValue, status: member.status.rawValue, name: Self.mask(member.buyerID), paidAt: member.paidAt,
                   buyerId: admin ? member.buyerID : nil, orderId: admin ? member.orderID : nil, refundError: admin ? member.refundError : nil)
        }
    }

    /// `buyer-12345` → `b***5`: enough to tell members apart, not to find them.
    static func mask(_ buyer: String) -> String {
        guard let first = buyer.first, let last = buyer.last, buyer.count > 2 else { return "***" }
        return "\(first)***\(last)"
    }

    static let schema = Schemas.object([
        ("id", Schemas.string), ("campaign_id", Schemas.string), ("status", Schemas.enumeration(GroupStatus.allCases.map(\.rawValue))),
        ("size", Schemas.integer), ("members", Schemas.money("Paid members.")), ("reserved", Schemas.money("Live reservations awaiting payment.")),
        ("free_slots", Schemas.integer), ("expires_at", Schemas.nullable(Schemas.time)), ("created_at", Schemas.time),
        ("finished_at", Schemas.nullable(Schemas.time)), ("share_url", Schemas.string),
        ("member_list", Schemas.array(Schemas.object([
            ("role", Schemas.enumeration(["leader", "member"])), ("status", Schemas.string), ("name", Schemas.string), ("paid_at", Schemas.nullable(Schemas.time)),
            ("buyer_id", Schemas.string), ("order_id", Schemas.string), ("refund_error", Schemas.string),
        ]))),
    ], required: ["id", "status", "size", "members", "expires_at"])
}
