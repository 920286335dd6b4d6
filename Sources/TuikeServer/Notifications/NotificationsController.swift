import Hummingbird
import TuikeCore
import TuikeStore

/// The message log: what buyers were told, on which channel, and whether it went.
struct NotificationsController {
    let notifications: NotificationRepository

    static let statuses = ["pending", "sending", "sent", "failed", "skipped"]

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/api/v1/notifications", summary: "The message log: what buyers were told and whether it went", tag: "Buyers", access: .admin,
                responses: [(200, "A page of messages, newest first.", Schemas.page(of: "Notification"))],
                parameters: Schemas.pagination + [Schemas.query("buyer_id", Schemas.string, "Only this buyer's."),
                                                  Schemas.query("status", Schemas.enumeration(Self.statuses), "Only this status.")],
                handler: list)
    }

    struct View: Encodable, Sendable {
        let id: String
        let eventId: String
        let buyerId: String
        let channel: String
        let template: String
        let body: String
        let marketing: Bool
        let status: String
        let attempts: Int64
        @ExplicitNull var lastError: String?
        let createdAt: Instant
        @ExplicitNull var sentAt: Instant?

        init(_ record: NotificationRepository.Record) {
            id = record.id
            eventId = record.eventID
            buyerId = record.buyerID
            channel = record.channel
            template = record.template
            body = record.body
            marketing = record.marketing
            status = record.status
            attempts = record.attempts
            lastError = record.lastError
            createdAt = record.createdAt
            sentAt = record.sentAt
        }

        static let schema = Schemas.object([
            ("id", Schemas.string), ("event_id", Schemas.string), ("buyer_id", Schemas.string), ("channel", Schemas.enumeration(["sms", "wechat"])),
            ("template", Schemas.string), ("body", Schemas.string), ("marketing", Schemas.boolean),
            ("status", Schemas.enumeration(NotificationsController.statuses)), ("attempts", Schemas.integer),
            ("last_error", Schemas.nullable(Schemas.string)), ("created_at", Schemas.time), ("sent_at", Schemas.nullable(Schemas.time)),
        ])
    }

    @Sendable func list(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let page = try PageRequest(request)
        let query = request.uri.queryParameters
        let status = query["status"].map(String.init)
        if let status, !Self.statuses.contains(status) { throw TuikeError.validation("status must be one of: \(Self.statuses.joined(separator: ", "))") }
        let fetched = try await notifications.list(buyerID: query["buyer_id"].map(String.init), status: status, limit: page.limit + 1, before: page.cursor)
        return try JSONOutput.response(Page(fetched: fetched.map(View.init), limit: page.limit, id: \.id))
    }
}
