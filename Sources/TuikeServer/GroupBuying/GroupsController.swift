import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle
import TuikeCore
import TuikeStore

/// Groups (拼团, docs/rules.md §9): open as leader, join, watch live over SSE, and the refunds of
/// failed groups and late payments.
struct GroupsController {
    let groups: GroupRepository
    let campaigns: GroupCampaignRepository
    let placement: OrderPlacement
    let orders: OrderRepository
    let refunds: RefundRepository
    let groupRefunds: GroupRefunds
    let eventCache: GroupEventCache
    let publicURL: String
    let clock: any TuikeClock
    var streamTiming = StreamTiming()

    /// How the group event stream paces itself (tests shorten it).
    struct StreamTiming: Sendable {
        /// A comment after this long without an event, so proxies keep an idle stream open.
        var heartbeat: Duration = .seconds(15)
        /// How often the stream asks the shared cache for new events.
        var poll: Duration = .milliseconds(250)
        /// The stream ends after this long; the browser reconnects with `Last-Event-ID`.
        var longest: Duration = .seconds(3_600)
    }

    func addRoutes(to api: APIRoutes) {
        // The group's order is placed like any order (`OrderPlacement`), so its buyer and visitor ids have the same limits.
        let buyerFields = [("buyer_id", Schemas.text(1...128)), ("visitor_id", Schemas.visitorID), ("click_id", Schemas.string),
                           ("sku", Schemas.text(1...Sku.maxCodeLength, "For goods with variants: the variant's code.")),
                           ("shipping_address", OrderView.addressSchema)] + Schemas.originFields
        let buyer = Schemas.object([("campaign_id", Schemas.string)] + buyerFields, required: ["campaign_id", "buyer_id"])
        let result = Schemas.object([("group", Schemas.ref("Group")), ("order", Schemas.ref("Order"))])
        api.add(.post, "/api/v1/groups", summary: "Open a group for its leader: the leader's order and slot", tag: "Groups", access: .admin,
                request: buyer, responses: [(201, "The group (pending until the leader pays) and the order.", result),
                                            (409, "campaign_not_running, campaign_sold_out or per_user_limit.", Schemas.ref("Error"))], handler: open)
        api.add(.post, "/api/v1/groups/{id}/join", summary: "Reserve a slot with an order awaiting payment", tag: "Groups", access: .admin,
                request: Schemas.object(buyerFields, required: ["buyer_id"]),
                responses: [(201, "The group and the order.", result),
                            (409, "group_full, group_not_open, group_closed, already_in_group or per_user_limit.", Schemas.ref("Error"))], handler: join)
        api.add(.get, "/api/v1/groups/{id}", summary: "A group: status, size, members, expiry", tag: "Groups", access: .publicAccess,
                responses: [(200, "The group (admins also see buyer and order ids).", Schemas.ref("Group"))], handler: show)
        api.add(.get, "/api/v1/groups/{id}/events", summary: "Live progress (Server-Sent Events): reserved, joined, released, expiring_soon, succeeded, failed",
                tag: "Groups", access: .publicAccess, responses: [(200, "text/event-stream; `id` is the event's number, `Last-Event-ID` resumes.", nil)],
                parameters: [["name": "Last-Event-ID", "in": "header", "required": false, "schema": Schemas.integer, "description": "Resume after this event."]],
                handler: events)
        api.add(.get, "/api/v1/group-refunds", summary: "Refunds of failed groups and late payments not yet through, with the provider's last error",
                tag: "Groups", access: .admin, responses: [(200, "Members awaiting their refund.", Schemas.object([("data", Schemas.array(Schemas.ref("GroupRefund")))]))],
                handler: pendingRefunds)
        api.add(.post, "/api/v1/group-refunds/{order_id}/retry", summary: "Try a pending group refund again now", tag: "Groups", access: .admin,
                responses: [(200, "Refunded.", Schemas.ref("GroupRefund")), (409, "The provider refused again.", Schemas.ref("Error"))], handler: retryRefund)
    }

    struct OpenRequest: RequestBody {
        let campaignId: String
        let buyerId: String
        let visitorId: String?
        let clickId: String?
        let sku: String?
        let shippingAddress: AddressInput?
        let ip: String?
        let deviceId: String?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable {
            case campaignId = "campaign_id", buyerId = "buyer_id", visitorId = "visitor_id", clickId = "click_id", sku, shippingAddress = "shipping_address"
            case ip, deviceId = "device_id"
        }
    }

    struct JoinRequest: RequestBody {
        let buyerId: String
        let visitorId: String?
        let clickId: String?
        let sku: String?
        let shippingAddress: AddressInput?
        let ip: String?
        let deviceId: String?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable {
            case buyerId = "buyer_id", visitorId = "visitor_id", clickId = "click_id", sku, shippingAddress = "shipping_address"
            case ip, deviceId = "device_id"
        }
    }

    struct Opened: Encodable { let group: GroupView; let order: OrderView }

    @Sendable func open(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(OpenRequest.self, from: request, context: context)
        guard let campaign = try await campaigns.find(body.campaignId) else { throw TuikeError.notFound("group campaign", body.campaignId) }
        let (group, order) = try await groupCheckout.open(campaign, buyerID: body.buyerId, visitorID: body.visitorId, clickID: body.clickId, sku: body.sku,
                                                         shippingAddress: body.shippingAddress?.address, ip: body.ip, deviceID: body.deviceId, at: clock.now())
        return try await respond(group, order: order.id, admin: true)
    }

    @Sendable func join(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(JoinRequest.self, from: request, context: context)
        let (group, order) = try await groupCheckout.join(groupID: id, buyerID: body.buyerId, visitorID: body.visitorId, clickID: body.clickId, sku: body.sku,
                                                         shippingAddress: body.shippingAddress?.address, ip: body.ip, deviceID: body.deviceId, at: clock.now())
        return try await respond(group, order: order.id, admin: true)
    }

    var groupCheckout: GroupCheckout { GroupCheckout(placement: placement, groups: groups, campaigns: campaigns) }

    func respond(_ group: Group, order orderID: String, admin: Bool) async throws -> Response {
        let order = try await orders.find(orderID).required("order", orderID)
        let view = OrderView(order, payments: [], refunds: [])
        return try JSONOutput.response(Opened(group: GroupView(group, members: try await groups.members(groupID: group.id), publicURL: publicURL, admin: admin),
                                              order: view), status: .created)
    }

    @Sendable func show(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let group = try await groups.find(id) else { throw TuikeError.notFound("group", id) }
        return try JSONOutput.response(GroupView(group, members: try await groups.members(groupID: id), publicURL: publicURL, admin: context.isAdmin))
    }

    /// Polls the group's event table (so it works with several app instances) every 250 ms, through
    /// the instance's `GroupEventCache` (one query per group however many watch it),
    /// sends a comment every 15 s to keep proxies from closing an idle stream, and ends once the
    /// group has finished and everything is sent, after an hour, or when the server shuts down
    /// (the browser reconnects, to this instance or another, with `Last-Event-ID`).
    @Sendable func events(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard try await groups.find(id) != nil else { throw TuikeError.notFound("group", id) }
        let resumeFrom = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int64($0) }
            ?? request.uri.queryParameters["last_event_id"].flatMap { Int64(String($0)) } ?? 0
        let cache = eventCache
        let timing = streamTiming
        let body = ResponseBody { writer in
            var last = resumeFrom
            let started = ContinuousClock.now
            var lastWrite = started
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            streaming: while ContinuousClock.now - started < timing.longest, !Task.isShuttingDownGracefully {
                for event in try await cache.events(groupID: id, after: last) {
                    try await writer.write(ByteBuffer(string: Self.frame(event)))
                    last = event.seq
                    lastWrite = ContinuousClock.now
                    if GroupStatus(rawValue: event.status)?.isFinished == true { break streaming }
                }
                if ContinuousClock.now - lastWrite > timing.heartbeat {
                    try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                    lastWrite = ContinuousClock.now
                }
                try await Task.sleep(for: timing.poll)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store",
                                               HTTPField.Name("X-Accel-Buffering")!: "no"], body: body)
    }

    static func frame(_ event: GroupEvent) -> String {
        let data = #"{"group_id":"\#(event.groupID)","type":"\#(event.type)","members":\#(event.members),"reserved":\#(event.reserved),"size":\#(event.size),"status":"\#(event.status)","at":"\#(event.createdAt.rfc3339)"}"#
        return "id: \(event.seq)\nevent: \(event.type)\ndata: \(data)\n\n"
    }

    struct RefundView: Encodable, Sendable {
        let groupId: String
        let orderId: String
        let buyerId: String
        let status: String
        @ExplicitNull var refundError: String?

        init(_ member: GroupMember) {
            groupId = member.groupID
            orderId = member.orderID
            buyerId = member.buyerID
            status = member.status.rawValue
            refundError = member.refundError
        }

        static let schema = Schemas.object([
            ("group_id", Schemas.string), ("order_id", Schemas.string), ("buyer_id", Schemas.string),
            ("status", Schemas.enumeration(["refunding", "refunded"])), ("refund_error", Schemas.nullable(Schemas.string)),
        ])
    }

    @Sendable func pendingRefunds(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        return try JSONOutput.response(["data": try await groups.pendingRefunds(limit: 100).map(RefundView.init)])
    }

    @Sendable func retryRefund(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let orderID = try context.parameters.require("order_id")
        guard let member = try await groups.member(orderID: orderID), member.status == .refunding || member.status == .refunded else {
            throw TuikeError.notFound("pending group refund", orderID)
        }
        let failed = try await groups.find(member.groupID)?.status == .failed
        try await groupRefunds.refund(orderID: orderID, reason: failed ? "group_failed" : "group_closed")
        return try JSONOutput.response(RefundView(try await groups.member(orderID: orderID).required("group member order", orderID)))
    }
}
