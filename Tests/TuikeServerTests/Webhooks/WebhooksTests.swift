import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

/// Records what would have been posted; answers 500 to the first attempt at each event.
final class RecordingSender: WebhookSender {
    struct Sent: Sendable { let url: String; let body: Data; let headers: [String: String] }
    let sent = Mutex<[Sent]>([])
    let failFirst: Bool

    init(failFirst: Bool) { self.failFirst = failFirst }

    func send(url: String, body: Data, headers: [String: String]) async -> (status: Int?, error: String?) {
        let isRetry = sent.withLock { sent in
            let retry = sent.contains { $0.headers["Tuike-Event-Id"] == headers["Tuike-Event-Id"] && $0.url == url }
            sent.append(Sent(url: url, body: body, headers: headers))
            return retry
        }
        return failFirst && !isRetry ? (500, nil) : (200, nil)
    }
}

@Suite struct WebhooksTests {
    @Test(arguments: TestDatabase.available)
    func stateChangesAreDeliveredSignedAndRetried(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let all = try await client.send(.post, "/api/v1/webhook-endpoints", body: #"{"url":"https://hooks.example.com/all"}"#)
            #expect(all.status == .created, "\(all.text)")
            let secret = try #require(all.json["secret"] as? String)
            let paidOnly = try await client.send(.post, "/api/v1/webhook-endpoints", body: #"{"url":"https://hooks.example.com/paid","event_types":["order.paid"]}"#)
            #expect(paidOnly.status == .created)
            expectError(try await client.send(.post, "/api/v1/webhook-endpoints", body: #"{"url":"https://x.example","event_types":["order.exploded"]}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/webhook-endpoints", body: #"{"url":"ftp://x.example"}"#), .unprocessableContent, "validation_failed")

            let order = try await SandboxPaymentsTests.order(client)
            #expect(try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"p1"}"#).status == .ok)
            expectError(try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":99999999}"#), .unprocessableContent, "validation_failed")

            let events = try await client.send(.get, "/api/v1/events?limit=100")
            let types = (events.json["data"] as? [[String: Any]])?.compactMap { $0["type"] as? String } ?? []
            #expect(types.sorted() == ["commission.created", "commission.created", "order.created", "order.paid"])
            let paidEvent = try #require((events.json["data"] as? [[String: Any]])?.first { $0["type"] as? String == "order.paid" })
            #expect((paidEvent["data"] as? [String: Any])?["amount"] as? Int == 50_000)

            let sender = RecordingSender(failFirst: true)
            let delivery = WebhookDelivery(events: EventRepository(database: tuike.database), sender: sender, clock: tuike.clock)
            #expect(try await delivery.deliverDue() == 0)
            #expect(sender.sent.withLock { $0.count } == 5)
            #expect(try await delivery.deliverDue() == 0, "nothing is due again before the backoff")
            _ = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":31}"#)
            #expect(try await delivery.deliverDue() == 5)

            let attempts = try await client.send(.get, "/api/v1/events/\(paidEvent["id"] as! String)/deliveries")
            let rows = try #require(attempts.json["data"] as? [[String: Any]])
            #expect(rows.count == 2 && rows.allSatisfy { $0["status"] as? String == "delivered" && $0["attempts"] as? Int == 2 })

            for message in sender.sent.withLock({ $0 }) where message.url.hasSuffix("/all") {
                try Signature.verify(header: message.headers[Signature.header], body: message.body, secret: secret, now: tuike.clock.now())
                let envelope = try #require(try JSONSerialization.jsonObject(with: message.body) as? [String: Any])
                #expect(envelope["id"] as? String == message.headers["Tuike-Event-Id"] && envelope["data"] is [String: Any])
            }
        }
    }
}

@Suite struct WebhookEndpointTests {
    @Test(arguments: TestDatabase.available)
    func aDisabledEndpointGetsNothingNew(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let endpoint = try await client.send(.post, "/api/v1/webhook-endpoints", body: #"{"url":"https://hooks.example.com/x"}"#).json["id"] as! String
            let disabled = try await client.send(.post, "/api/v1/webhook-endpoints/\(endpoint)/disable")
            #expect(disabled.status == .ok && disabled.json["status"] as? String == "disabled")
            expectError(try await client.send(.post, "/api/v1/webhook-endpoints/whe_missing/disable"), .notFound, "not_found")
            _ = try await SandboxPaymentsTests.order(client)
            let sender = RecordingSender(failFirst: false)
            #expect(try await WebhookDelivery(events: EventRepository(database: tuike.database), sender: sender, clock: tuike.clock).deliverDue() == 0)
            #expect(sender.sent.withLock { $0.isEmpty })
            let listed = try await client.send(.get, "/api/v1/webhook-endpoints").json["data"] as? [[String: Any]]
            #expect(listed?.first?["status"] as? String == "disabled")
        }
    }
}
