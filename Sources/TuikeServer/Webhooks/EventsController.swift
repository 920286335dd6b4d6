import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// Events of the outbox and the webhook endpoints that receive them.
struct EventsController {
    let events: EventRepository
    let program: ProgramRepository
    let clock: any TuikeClock

    /// Every type the outbox writes (a test checks the demo's events against it): webhook
    /// endpoints subscribe to these, and `GET /api/v1/events` filters by them.
    static let types = DomainEvent.types

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/api/v1/events", summary: "Events, newest first", tag: "Webhooks", access: .admin,
                responses: [(200, "A page of events.", Schemas.page(of: "Event"))],
                parameters: Schemas.pagination + [Schemas.query("type", Schemas.enumeration(Self.types), "Only this type."),
                                                  Schemas.query("subject_id", Schemas.string, "Only events about this object.")],
                handler: list)
        api.add(.get, "/api/v1/events/{id}/deliveries", summary: "Delivery attempts of an event", tag: "Webhooks", access: .admin,
                responses: [(200, "Per endpoint.", Schemas.object([("data", Schemas.array(Schemas.object([
                    ("endpoint_id", Schemas.string), ("status", Schemas.enumeration(["pending", "delivered", "failed"])),
                    ("attempts", Schemas.integer), ("last_status", Schemas.nullable(Schemas.integer)), ("next_attempt_at", Schemas.time),
                ])))]))], handler: deliveries)
        api.add(.post, "/api/v1/webhook-endpoints", summary: "Subscribe a URL to events", tag: "Webhooks", access: .admin,
                request: Schemas.object([("url", Schemas.webURL("Where to POST the signed events.")),
                                         ("event_types", Schemas.array(Schemas.enumeration(["*"] + Self.types), minItems: 1))],
                                        required: ["url"]),
                responses: [(201, "The endpoint, with the secret that signs its deliveries.", Schemas.ref("WebhookEndpoint"))], handler: create)
        api.add(.get, "/api/v1/webhook-endpoints", summary: "Webhook endpoints", tag: "Webhooks", access: .admin,
                responses: [(200, "Endpoints.", Schemas.object([("data", Schemas.array(Schemas.ref("WebhookEndpoint")))]))]) { _, context in
            return try JSONOutput.response(["data": try await events.endpoints().map(EndpointView.init)])
        }
        api.add(.post, "/api/v1/webhook-endpoints/{id}/rotate-secret",
                summary: "Give an endpoint a new secret; the old one keeps signing beside it for a day", tag: "Webhooks", access: .admin,
                responses: [(200, "The endpoint with its new secret.", Schemas.ref("WebhookEndpoint")),
                            (409, "An earlier rotation's old secret still signs (`rotation_in_progress`).", Schemas.ref("Error"))],
                parameters: [Schemas.query("grace_seconds", Schemas.integer(in: 0...EventRepository.maxGraceSeconds),
                                           "How long the old secret keeps signing; default 86400. 0: at once (a leaked secret), allowed during a grace too.")]) { request, context in
            let id = try context.parameters.require("id")
            var grace = EventRepository.rotationGraceSeconds
            if let text = request.uri.queryParameters["grace_seconds"] {
                guard let value = Int64(String(text)), (0...EventRepository.maxGraceSeconds).contains(value) else {
                    throw TuikeError.validation("grace_seconds must be an integer from 0 to \(EventRepository.maxGraceSeconds)")
                }
                grace = value
            }
            switch try await events.rotateSecret(id, graceSeconds: grace, at: clock.now()) {
            case .rotated(let endpoint): return try JSONOutput.response(EndpointView(endpoint))
            case .unknown: throw TuikeError.notFound("webhook endpoint", id)
            case .inGrace(let until):
                throw TuikeError(.conflict, code: "rotation_in_progress",
                                 "the secret replaced by the last rotation signs until \(until.rfc3339); rotate with grace_seconds=0 to stop both old secrets now")
            }
        }
        api.add(.post, "/api/v1/webhook-endpoints/{id}/disable", summary: "Stop delivering to an endpoint", tag: "Webhooks", access: .admin,
                responses: [(200, "Disabled.", Schemas.object([("id", Schemas.string), ("status", Schemas.string)]))]) { _, context in
            let id = try context.parameters.require("id")
            guard try await events.disableEndpoint(id) else { throw TuikeError.notFound("webhook endpoint", id) }
            return try JSONOutput.response(["id": id, "status": "disabled"])
        }
    }

    struct EventView: Encodable, Sendable {
        let id: String
        let type: String
        let subjectId: String
        let data: JSONValue
        let createdAt: Instant

        init(_ event: EventRecord) {
            id = event.id
            type = event.type
            subjectId = event.subjectID
            data = JSONValue.parse(Data(event.payload.utf8)) ?? .null
            createdAt = event.createdAt
        }

        static let schema = Schemas.object([
            ("id", Schemas.string), ("type", Schemas.enumeration(EventsController.types)), ("subject_id", Schemas.string),
            ("data", ["type": "object"] as JSONValue), ("created_at", Schemas.time),
        ])
    }

    struct EndpointView: Encodable, Sendable {
        let id: String
        let url: String
        let secret: String
        let eventTypes: [String]
        let status: String
        let createdAt: Instant
        /// Until when the secret a rotation replaced still signs too.
        @ExplicitNull var previousSecretExpiresAt: Instant?

        init(_ endpoint: WebhookEndpoint) {
            id = endpoint.id
            url = endpoint.url
            secret = endpoint.secret
            eventTypes = endpoint.eventTypes
            status = endpoint.status
            createdAt = endpoint.createdAt
            previousSecretExpiresAt = endpoint.previousSecret == nil ? nil : endpoint.previousSecretUntil
        }

        static let schema = Schemas.object([
            ("id", Schemas.string), ("url", Schemas.string), ("secret", Schemas.string), ("event_types", Schemas.array(Schemas.string)),
            ("status", Schemas.enumeration(["active", "disabled"])), ("created_at", Schemas.time),
            ("previous_secret_expires_at", Schemas.nullable(Schemas.time)),
        ])
    }

    @Sendable func list(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let page = try PageRequest(request)
        let query = request.uri.queryParameters
        let fetched = try await events.list(type: query["type"].map(String.init), subjectID: query["subject_id"].map(String.init),
                                            limit: page.limit + 1, before: page.cursor)
        return try JSONOutput.response(Page(fetched: fetched.map(EventView.init), limit: page.limit, id: \.id))
    }

    struct AttemptView: Encodable { let endpointId: String; let status: String; let attempts: Int64; @ExplicitNull var lastStatus: Int64?; let nextAttemptAt: Instant }

    @Sendable func deliveries(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let attempts = try await events.deliveries(eventID: id).map {
            AttemptView(endpointId: $0.endpointID, status: $0.status, attempts: $0.attempts, lastStatus: $0.lastStatus, nextAttemptAt: $0.nextAttemptAt)
        }
        return try JSONOutput.response(["data": attempts])
    }

    struct CreateRequest: RequestBody {
        let url: String
        let eventTypes: [String]?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case url, eventTypes = "event_types" }
    }

    @Sendable func create(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateRequest.self, from: request, context: context)
        let target = try WebTarget(body.url, field: "url")
        if !(try await program.current().webhooksAllowPrivate), WebhookAddresses.isLocal(host: target.host) {
            throw TuikeError.validation("url points at a loopback, private or link-local address; the program's webhooks_allow_private allows that")
        }
        let types = body.eventTypes ?? ["*"]
        guard !types.isEmpty, types.allSatisfy({ $0 == "*" || Self.types.contains($0) }) else {
            throw TuikeError.validation("event_types must be * or some of: \(Self.types.joined(separator: ", "))")
        }
        let endpoint = try await events.createEndpoint(url: body.url, eventTypes: types, at: clock.now())
        return try JSONOutput.response(EndpointView(endpoint), status: .created)
    }
}

extension JSONValue {
    /// Parses JSON text into a value. Numbers become integers: event payloads carry only integers
    /// (amounts in fen) and no booleans.
    static func parse(_ data: Data) -> JSONValue? {
        guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return nil }
        return from(object)
    }

    private static func from(_ object: Any) -> JSONValue {
        switch object {
        case let dictionary as [String: Any]: .object(dictionary.sorted { $0.key < $1.key }.map { ($0.key, from($0.value)) })
        case let array as [Any]: .array(array.map(from))
        case let string as String: .string(string)
        case let number as NSNumber: .int(number.int64Value)
        default: .null
        }
    }
}
