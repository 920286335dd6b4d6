import TuikeCore
import TuikeStore

/// A promoter as the API shows it: the phone masked, never in clear.
struct PromoterView: Encodable, Sendable {
    let id: String
    let name: String
    @ExplicitNull var phone: String?
    let status: String
    @ExplicitNull var parentId: String?
    let inviteCode: String
    @ExplicitNull var buyerId: String?
    @ExplicitNull var rejectionReason: String?
    @ExplicitNull var rank: RankView?
    let createdAt: Instant
    let updatedAt: Instant

    /// `ranks` names the promoter's rank; without them the rank shows as its id only.
    init(_ promoter: Promoter, ranks: [Rank] = []) {
        id = promoter.id
        name = promoter.name
        phone = promoter.phoneMasked
        status = promoter.status.rawValue
        parentId = promoter.parentID
        inviteCode = promoter.inviteCode
        buyerId = promoter.buyerID
        rejectionReason = promoter.rejectionReason
        rank = promoter.rankID.map { id in RankView(ranks.first { $0.id == id } ?? Rank(id: id, name: id, metric: .paidOrders, threshold: 0, bonusBps: 0)) }
        createdAt = promoter.createdAt
        updatedAt = promoter.updatedAt
    }

    static let schema = Schemas.object([
        ("id", Schemas.string), ("name", Schemas.string), ("phone", Schemas.nullable(Schemas.string)),
        ("status", Schemas.enumeration(Promoter.Status.allCases.map(\.rawValue))), ("parent_id", Schemas.nullable(Schemas.string)),
        ("invite_code", Schemas.string), ("buyer_id", Schemas.nullable(Schemas.string)),
        ("rejection_reason", Schemas.nullable(Schemas.string)), ("rank", Schemas.nullable(Schemas.ref("Rank"))),
        ("created_at", Schemas.time), ("updated_at", Schemas.time),
    ], required: ["id", "name", "phone", "status", "parent_id", "invite_code", "buyer_id", "rejection_reason", "rank", "created_at", "updated_at"])
}

struct RankView: Encodable, Sendable {
    let id: String
    let name: String
    let metric: String
    let threshold: Int64
    let bonusBps: Int64

    init(_ rank: Rank) {
        id = rank.id
        name = rank.name
        metric = rank.metric.rawValue
        threshold = rank.threshold
        bonusBps = rank.bonusBps
    }

    static let schema = Schemas.object([
        ("id", Schemas.string), ("name", Schemas.string), ("metric", Schemas.enumeration(Rank.Metric.allCases.map(\.rawValue))),
        ("threshold", Schemas.integer), ("bonus_bps", Schemas.integer),
    ])
}

struct LinkView: Encodable, Sendable {
    let id: String
    let code: String
    let url: String
    let promoterId: String
    @ExplicitNull var productId: String?
    @ExplicitNull var to: String?
    let status: String
    let createdAt: Instant
    @ExplicitNull var videoId: String?

    init(_ link: Link, publicURL: String) {
        videoId = link.videoID
        id = link.id
        code = link.code
        url = "\(publicURL)/r/\(link.code)"
        promoterId = link.promoterID
        productId = link.productID
        to = link.targetURL
        status = link.status.rawValue
        createdAt = link.createdAt
    }

    static let schema = Schemas.object([
        ("id", Schemas.string), ("code", Schemas.string), ("url", Schemas.string), ("promoter_id", Schemas.string),
        ("product_id", Schemas.nullable(Schemas.string)), ("to", Schemas.nullable(Schemas.string)),
        ("status", Schemas.enumeration(Link.Status.allCases.map(\.rawValue))), ("created_at", Schemas.time),
        ("video_id", Schemas.nullable(Schemas.string)),
    ], required: ["id", "code", "url", "promoter_id", "product_id", "to", "status", "created_at", "video_id"])
}

/// Daily traffic for a promoter or a link.
struct StatsView: Encodable, Sendable {
    struct Day: Encodable, Sendable { let day: String; let pv: Int64; let uv: Int64; let bots: Int64; let qr: Int64 }
    struct Totals: Encodable, Sendable { let pv: Int64; let uv: Int64; let uvEstimated: Bool; let bots: Int64; let qr: Int64 }
    let timeZone: String
    let from: String
    let to: String
    let totals: Totals
    let days: [Day]

    static let schema = Schemas.object([
        ("time_zone", Schemas.string), ("from", Schemas.string), ("to", Schemas.string),
        ("totals", Schemas.object([
            ("pv", Schemas.integer), ("uv", Schemas.integer),
            ("uv_estimated", ["type": "boolean", "description": "Whether uv over several days is an estimate (HyperLogLog, about 2 % error): exact for one day, and over several while there are at most a few hundred visitors."]),
            ("bots", Schemas.integer),
            ("qr", ["type": "integer", "description": "Human clicks that were scans of the link's QR code or of a poster (counted in pv too)."]),
        ])),
        ("days", Schemas.array(Schemas.object([("day", Schemas.string), ("pv", Schemas.integer), ("uv", Schemas.integer), ("bots", Schemas.integer),
                                               ("qr", Schemas.integer)]))),
    ])
}

/// Promoter lists are what the console's pages read most (names beside orders, batches and
/// teams): written without the `Encodable` machinery, like orders (`JSONWritable`).
extension PromoterView: JSONWritable {
    func writeJSON(to json: inout JSONWriter) {
        json.object { json in
            json.field("buyer_id", buyerId)
            json.field("created_at", createdAt)
            json.field("id", id)
            json.field("invite_code", inviteCode)
            json.field("name", name)
            json.field("parent_id", parentId)
            json.field("phone", phone)
            json.key("rank")
            if let rank {
                json.object { json in
                    json.field("bonus_bps", rank.bonusBps)
                    json.field("id", rank.id)
                    json.field("metric", rank.metric)
                    json.field("name", rank.name)
                    json.field("threshold", rank.threshold)
                }
            } else {
                json.value(nil as String?)
            }
            json.field("rejection_reason", rejectionReason)
            json.field("status", status)
            json.field("updated_at", updatedAt)
        }
    }
}
