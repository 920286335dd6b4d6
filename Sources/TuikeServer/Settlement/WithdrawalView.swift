import Hummingbird
import TuikeCore
import TuikeStore

struct WithdrawalView: Encodable, Sendable {
    let id: String
    let promoterId: String
    let amount: Int64
    let fee: Int64
    /// What reaches the promoter: `amount − fee`.
    let payout: Int64
    let channel: String
    @ExplicitNull var account: String?
    let status: String
    @ExplicitNull var reason: String?
    @ExplicitNull var provider: String?
    @ExplicitNull var providerReference: String?
    let requestedBy: String
    @ExplicitNull var decidedBy: String?
    let requestedAt: Instant
    @ExplicitNull var decidedAt: Instant?
    @ExplicitNull var completedAt: Instant?

    init(_ record: Withdrawal) {
        id = record.id
        promoterId = record.promoterID
        amount = record.amount
        fee = record.fee
        payout = record.payout
        channel = record.channel
        account = record.account
        status = record.status.rawValue
        reason = record.reason
        provider = record.provider
        providerReference = record.providerReference
        requestedBy = record.requestedBy
        decidedBy = record.decidedBy
        requestedAt = record.requestedAt
        decidedAt = record.decidedAt
        completedAt = record.completedAt
    }

    static let schema = Schemas.object([
        ("id", Schemas.string), ("promoter_id", Schemas.string), ("amount", Schemas.integer), ("fee", Schemas.integer),
        ("payout", Schemas.money("amount − fee: what reaches the promoter.")),
        ("channel", Schemas.enumeration(ProgramSettings.Channel.allCases.map(\.rawValue))), ("account", Schemas.nullable(Schemas.string)),
        ("status", Schemas.enumeration(WithdrawalStatus.allCases.map(\.rawValue))),
        ("reason", Schemas.nullable(Schemas.string)), ("provider", Schemas.nullable(Schemas.string)),
        ("provider_reference", Schemas.nullable(Schemas.string)), ("requested_by", Schemas.string), ("decided_by", Schemas.nullable(Schemas.string)),
        ("requested_at", Schemas.time), ("decided_at", Schemas.nullable(Schemas.time)), ("completed_at", Schemas.nullable(Schemas.time)),
    ], required: ["id", "promoter_id", "amount", "fee", "status"])
}
