import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
import TuikeCore
@testable import TuikeServer
@testable import TuikeStore
import TuikeTestSupport

@Suite struct WebhookAddressTests {
    /// Endpoints on this machine, private networks or the metadata service are refused unless the
    /// program allows them.
    @Test(arguments: TestDatabase.available)
    func localEndpointsAreRefusedUnlessAllowed(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let local = ["http://127.0.0.1:9000/hook", "http://169.254.169.254/latest/meta-data", "http://localhost/hook", "http://[::1]/hook",
                         "http://10.1.2.3/hook", "http://192.168.1.10/hook", "http://0.0.0.0/hook", "http://[::ffff:127.0.0.1]/hook"]
            for url in local {
                expectError(try await client.send(.post, "/api/v1/webhook-endpoints", body: #"{"url":"\#(url)"}"#), .unprocessableContent, "validation_failed")
            }
            #expect(try await client.send(.post, "/api/v1/webhook-endpoints", body: #"{"url":"https://hooks.example.com/x"}"#).status == .created)
            #expect(try await client.send(.put, "/api/v1/program", body: #"{"webhooks_allow_private":true}"#).status == .ok)
            #expect(try await client.send(.post, "/api/v1/webhook-endpoints", body: #"{"url":"http://127.0.0.1:9000/hook"}"#).status == .created)
        }
    }

    actor Recorder: WebhookSender {
        var urls: [String] = []
        func send(url: String, body: Data, headers: [String: String]) async -> (status: Int?, error: String?) {
            urls.append(url)
            return (200, nil)
        }
    }

    /// At delivery the name is resolved again: one that now points at a local address is not sent.
    @Test func deliveriesToLocalAddressesAreNotSent() async throws {
        let recorder = Recorder()
        let resolve: @Sendable (String) async -> [String] = { host in host == "rebound.example.com" ? ["10.0.0.5"] : ["93.184.216.34"] }
        let guarded = GuardedWebhookSender(inner: recorder, allowPrivate: { false }, resolve: resolve)
        let refused = await guarded.send(url: "https://rebound.example.com/x", body: Data(), headers: [:])
        #expect(refused.status == nil && refused.error?.contains("10.0.0.5") == true)
        let unresolved = GuardedWebhookSender(inner: recorder, allowPrivate: { false }, resolve: { _ in [] })
        #expect(await unresolved.send(url: "https://nowhere.example.com/x", body: Data(), headers: [:]).error?.contains("did not resolve") == true)
        let scoped = GuardedWebhookSender(inner: recorder, allowPrivate: { false }, resolve: { _ in ["fe80::1%eth0"] })
        #expect(await scoped.send(url: "https://scoped.example.com/x", body: Data(), headers: [:]).status == nil)
        let literal = await guarded.send(url: "http://[::1]:8080/x", body: Data(), headers: [:])
        #expect(literal.status == nil && literal.error?.contains("local address") == true)
        #expect(await guarded.send(url: "https://hooks.example.com/x", body: Data(), headers: [:]).status == 200)
        let allowed = GuardedWebhookSender(inner: recorder, allowPrivate: { true }, resolve: resolve)
        #expect(await allowed.send(url: "https://rebound.example.com/x", body: Data(), headers: [:]).status == 200)
        #expect(await recorder.urls == ["https://hooks.example.com/x", "https://rebound.example.com/x"])
        #expect(await WebhookAddresses.resolve("localhost").allSatisfy { WebhookAddresses.isLocal(host: $0) })
    }
}
