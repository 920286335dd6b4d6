import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ServiceLifecycle
import TuikeCore
import TuikeStore

/// Sends one webhook; the live sender posts over HTTP, tests use a recording double.
protocol WebhookSender: Sendable {
    /// Returns the HTTP status, or nil and an error when nothing came back.
    func send(url: String, body: Data, headers: [String: String]) async -> (status: Int?, error: String?)
}

/// Posts without following redirects: a 3xx is the endpoint's answer (a failure), never a hop to
/// another address, which could be one `GuardedWebhookSender` would have refused.
struct URLSessionWebhookSender: WebhookSender {
    /// `@unchecked Sendable`: it has no state; URLSession calls it from its delegate queue only.
    final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
            completionHandler(nil)
        }
    }

    static let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)

    func send(url: String, body: Data, headers: [String: String]) async -> (status: Int?, error: String?) {
        guard let target = URL(string: url) else { return (nil, "bad url") }
        var request = URLRequest(url: target, timeoutInterval: 10)
        request.httpMethod = "POST"
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        do {
            let (_, response) = try await Self.session.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode, nil)
        } catch {
            return (nil, "\(error)")
        }
    }
}

/// Delivers the outbox: claims due deliveries, posts each event signed with its endpoint's secrets
/// (the Standard Webhooks headers, and the earlier `Tuike-Signature` and `Tuike-Event-Id`, kept for
/// this release for consumers that check them), and records the attempt (retried with backoff
/// until it succeeds or gives up).
struct WebhookDelivery: Sendable {
    let events: EventRepository
    let sender: any WebhookSender
    let clock: any TuikeClock

    /// Delivers what is due now; returns how many were accepted by their endpoint.
    @discardableResult
    func deliverDue() async throws -> Int {
        var delivered = 0
        for due in try await events.claimDue(now: clock.now()) {
            let body = Data("""
                {"id":"\(due.event.id)","type":"\(due.event.type)","created_at":"\(due.event.createdAt.rfc3339)","data":\(due.event.payload)}
                """.utf8)
            let now = clock.now()
            let secrets = due.endpoint.signingSecrets(at: now)
            var headers = StandardWebhooks.headers(id: due.event.id, body: body, secrets: secrets, at: now)
            headers["Content-Type"] = "application/json"
            headers[Signature.header] = Signature.sign(body: body, secrets: secrets, at: now)
            headers["Tuike-Event-Id"] = due.event.id
            let (status, error) = await sender.send(url: due.endpoint.url, body: body, headers: headers)
            try await events.record(eventID: due.event.id, endpointID: due.endpoint.id, httpStatus: status, error: error, now: clock.now())
            if let status, (200..<300).contains(status) { delivered += 1 }
        }
        return delivered
    }
}

struct WebhookDeliveryService: Service {
    let delivery: WebhookDelivery
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await delivery.deliverDue()
                } catch {
                    logger.error("webhook delivery pass failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
