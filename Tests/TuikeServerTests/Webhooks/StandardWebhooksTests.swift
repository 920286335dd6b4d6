import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

/// Webhooks in the Standard Webhooks form, checked against the specification's signed example
/// and verified by its reference library (`standardwebhooks` from PyPI), as a consumer would.
@Suite struct StandardWebhooksTests {
    /// The example of the specification and its libraries' tests.
    @Test func theSpecificationsExample() {
        let body = Data(#"{"test": 2432232314}"#.utf8)
        #expect(StandardWebhooks.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body,
                                           secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        let headers = StandardWebhooks.headers(id: "msg_1", body: body, secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_AAAA"],
                                               at: Instant(milliseconds: 1_614_265_330_999))
        #expect(headers["webhook-timestamp"] == "1614265330" && headers["webhook-signature"]?.split(separator: " ").count == 2)
    }

    /// Deliveries verify with the library and the endpoint's secret; a changed body, another
    /// secret or an old timestamp do not. After a rotation, both secrets verify for a day, then
    /// only the new one signs. The earlier `Tuike-Signature` is still sent and still verifies.
    @Test(arguments: TestDatabase.available)
    func deliveriesVerifyWithTheReferenceLibrary(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let created = try await client.send(.post, "/api/v1/webhook-endpoints", body: #"{"url":"https://hooks.example.com/std"}"#)
            let (endpoint, secret) = (try #require(created.json["id"] as? String), try #require(created.json["secret"] as? String))
            #expect(secret.hasPrefix("whsec_") && Data(base64Encoded: String(secret.dropFirst(6)))?.count == 32)
            #expect(created.json["previous_secret_expires_at"] is NSNull)
            _ = try await SandboxPaymentsTests.order(client)
            let delivery = WebhookDelivery(events: EventRepository(database: tuike.database), sender: RecordingSender(failFirst: false), clock: tuike.clock)
            let sender = try #require(delivery.sender as? RecordingSender)
            #expect(try await delivery.deliverDue() == 1)
            let first = try #require(sender.sent.withLock { $0.first })
            #expect(first.headers["webhook-id"] == first.headers["Tuike-Event-Id"])
            #expect(try Self.verify(first, secret: secret) == "ok")
            #expect(try Self.verify(first, secret: secret, body: first.body + Data(" ".utf8)) != "ok")
            #expect(try Self.verify(first, secret: "whsec_" + Data(repeating: 7, count: 32).base64EncodedString()) != "ok")
            var stale = first.headers
            stale["webhook-timestamp"] = String(Int64(Date().timeIntervalSince1970) - 3_600)
            #expect(try Self.verify(RecordingSender.Sent(url: first.url, body: first.body, headers: stale), secret: secret) != "ok")
            try Signature.verify(header: first.headers[Signature.header], body: first.body, secret: secret, now: tuike.clock.now())

            let rotated = try await client.send(.post, "/api/v1/webhook-endpoints/\(endpoint)/rotate-secret")
            #expect(rotated.status == .ok, "\(rotated.text)")
            let fresh = try #require(rotated.json["secret"] as? String)
            #expect(fresh != secret && rotated.json["previous_secret_expires_at"] is String)
            expectError(try await client.send(.post, "/api/v1/webhook-endpoints/whe_missing/rotate-secret"), .notFound, "not_found")
            let order = try await SandboxPaymentsTests.order(client)
            #expect(try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"std-1"}"#).status == .ok)
            #expect(try await delivery.deliverDue() > 0)
            let during = try #require(sender.sent.withLock { $0.last })
            #expect(during.headers["webhook-signature"]?.split(separator: " ").count == 2)
            #expect(try Self.verify(during, secret: fresh) == "ok" && Self.verify(during, secret: secret) == "ok")
            try Signature.verify(header: during.headers[Signature.header], body: during.body, secret: secret, now: tuike.clock.now())

            // A second rotation in the grace would drop the secret consumers may still use.
            expectError(try await client.send(.post, "/api/v1/webhook-endpoints/\(endpoint)/rotate-secret"), .conflict, "rotation_in_progress")
            for bad in ["-1", "604801", "x"] {
                expectError(try await client.send(.post, "/api/v1/webhook-endpoints/\(endpoint)/rotate-secret?grace_seconds=\(bad)"),
                            .unprocessableContent, "validation_failed")
            }

            // A day on, the replaced secret signs no more.
            _ = try await client.advance(seconds: EventRepository.rotationGraceSeconds + 1)
            _ = try await SandboxPaymentsTests.order(client)
            #expect(try await delivery.deliverDue() > 0)
            let after = try #require(sender.sent.withLock { $0.last })
            let only = try #require(after.headers["webhook-signature"])
            #expect(!only.contains(" ") && only == StandardWebhooks.signature(id: after.headers["webhook-id"] ?? "", timestamp: Int64(after.headers["webhook-timestamp"] ?? "") ?? 0,
                                                                         body: after.body, secret: fresh))

            // A leaked secret: rotated with no grace, during another rotation's grace too; only the newest signs.
            let calm = try await client.send(.post, "/api/v1/webhook-endpoints/\(endpoint)/rotate-secret?grace_seconds=86400")
            #expect(calm.status == .ok)
            let leaked = try await client.send(.post, "/api/v1/webhook-endpoints/\(endpoint)/rotate-secret?grace_seconds=0")
            #expect(leaked.status == .ok, "\(leaked.text)")
            let newest = try #require(leaked.json["secret"] as? String)
            _ = try await SandboxPaymentsTests.order(client)
            #expect(try await delivery.deliverDue() > 0)
            let last = try #require(sender.sent.withLock { $0.last })
            #expect(last.headers["webhook-signature"] == StandardWebhooks.signature(id: last.headers["webhook-id"] ?? "",
                                                                                    timestamp: Int64(last.headers["webhook-timestamp"] ?? "") ?? 0,
                                                                                    body: last.body, secret: newest))
        }
    }

    /// What the reference library says of one delivery: "ok", or why it refused it.
    static func verify(_ sent: RecordingSender.Sent, secret: String, body: Data? = nil) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tuike-swh-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let headers = sent.headers.filter { $0.key.hasPrefix("webhook-") }
        try JSONSerialization.data(withJSONObject: headers).write(to: directory.appendingPathComponent("headers.json"))
        try (body ?? sent.body).write(to: directory.appendingPathComponent("body"))
        let script = """
            import json, sys
            from standardwebhooks.webhooks import Webhook
            folder = sys.argv[2]
            headers = json.load(open(folder + "/headers.json"))
            body = open(folder + "/body", "rb").read()
            try:
                Webhook(sys.argv[1]).verify(body, headers)
                print("ok")
            except Exception as error:
                print("refused:", error)
            """
        return try Scanner.run("python3", ["-c", script, secret, directory.path]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
