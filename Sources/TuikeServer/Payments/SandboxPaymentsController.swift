import Foundation
import HTTPTypes
import Hummingbird
import TuikeCore
import TuikeStore

/// The built-in `sandbox` payment provider, so the whole flow runs offline: the checkout page's
/// pay button makes the "provider" send Tuike a signed callback, exactly as a real provider would.
/// Only with `--sandbox`.
struct SandboxPaymentsController {
    let database: any Database
    let orders: OrderRepository
    let secret: String
    let clock: any TuikeClock

    static let secretKey = "sandbox_payment_secret"
    static let provider = "sandbox"

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/pay/{id}", summary: "The sandbox checkout's pay button", tag: "Pages", access: .publicAccess,
                responses: [(303, "Back to the checkout page, now paid.", nil)], handler: pay)
        api.add(.post, "/api/v1/payments/sandbox/callback", summary: "Payment notification from the sandbox provider (signed)",
                tag: "Sandbox", access: .publicAccess,
                request: Schemas.object([("type", Schemas.enumeration(["payment.succeeded"])), ("order_id", Schemas.string),
                                         ("payment_id", Schemas.string), ("amount", Schemas.integer)], required: ["type", "order_id", "payment_id", "amount"]),
                responses: [(200, "Recorded (or recorded before).", Schemas.object([("received", Schemas.boolean), ("order_status", Schemas.string)]))],
                parameters: [["name": "Tuike-Signature", "in": "header", "required": true, "schema": Schemas.string,
                              "description": "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">"]],
                handler: callback)
        api.add(.get, "/api/v1/payments/sandbox/config", summary: "The sandbox provider's signing secret and callback path", tag: "Sandbox",
                access: .admin, responses: [(200, "Config.", Schemas.object([("secret", Schemas.string), ("callback_path", Schemas.string)]))]) { _, context in
            return try JSONOutput.response(["secret": secret, "callback_path": "/api/v1/payments/sandbox/callback"])
        }
    }

    struct Notification: RequestBody, Encodable {
        let type: String
        let orderId: String
        let paymentId: String
        let amount: Int64
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case type, orderId = "order_id", paymentId = "payment_id", amount }
    }

    struct Received: Encodable { let received: Bool; let orderStatus: String }

    @Sendable func callback(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = Data(buffer: try await request.body.collect(upTo: context.maxUploadSize))
        try Signature.verify(header: request.headers[Signature.headerName], body: body, secret: secret, now: clock.now())
        let order = try await receive(try JSONBody.decode(Notification.self, from: body))
        return try JSONOutput.response(Received(received: true, orderStatus: order.status.rawValue))
    }

    /// Books a verified notification: the same payment again changes nothing. Its reads and its
    /// write share one connection, as `POST /api/v1/orders/{id}/paid`'s do.
    func receive(_ notification: Notification) async throws -> Order {
        guard notification.type == "payment.succeeded" else { throw TuikeError.validation("type must be payment.succeeded") }
        return try await database.session { [self] in
            guard let order = try await orders.find(notification.orderId) else { throw TuikeError.notFound("order", notification.orderId) }
            guard notification.amount == order.amount else {
                throw TuikeError(.unprocessable, code: "amount_mismatch", "the payment of \(notification.amount) does not match the order's \(order.amount)")
            }
            return try await orders.markPaid(order.id, paymentID: notification.paymentId, provider: Self.provider, at: clock.now())
        }
    }

    /// The pay button: the provider signs a notification and delivers it to the callback's own
    /// verification path, then the buyer returns to the checkout page.
    @Sendable func pay(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        _ = try await Forms.verified(request, context: context)
        let id = try context.parameters.require("id")
        guard let order = try await orders.find(id) else { return CheckoutPage.orderNotFound(Language.of(request)) }
        if order.status == .pendingPayment {
            let notification = Notification(type: "payment.succeeded", orderId: order.id, paymentId: "sbx_" + Identifier.secret(length: 16), amount: order.amount)
            let body = try JSONEncoder().encode(notification)
            try Signature.verify(header: Signature.sign(body: body, secret: secret, at: clock.now()), body: body, secret: secret, now: clock.now())
            _ = try await receive(notification)
        }
        return .redirect(to: "/pay/\(order.id)", type: .normal)
    }
}
