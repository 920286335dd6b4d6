import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TuikeCore

/// What a payment provider answered: the status, the headers (names in lower case) and the body as
/// received, byte for byte, since signatures cover the raw bytes.
struct ProviderReply: Sendable {
    let status: Int
    let headers: [String: String]
    let body: Data

    func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// The provider gave no answer (a timeout, a refused connection): whether it acted is unknown, so
/// the caller leaves its record as it is and a job asks the provider later.
struct ProviderUnreachable: Error, CustomStringConvertible {
    let provider: String
    let reason: String
    var description: String { "\(provider) did not answer: \(reason)" }

    var asTuikeError: TuikeError {
        TuikeError(.unavailable, code: "provider_unavailable", "\(provider) did not answer (\(reason)); nothing was booked, try again", retryAfter: 5)
    }
}

/// HTTPS calls to payment providers. Never called inside a database transaction.
protocol ProviderTransport: Sendable {
    func send(method: String, url: String, headers: [String: String], body: Data?, timeoutSeconds: Double) async throws -> ProviderReply
}

struct URLSessionProviderTransport: ProviderTransport {
    static let session = URLSession(configuration: .ephemeral, delegate: URLSessionWebhookSender.NoRedirects(), delegateQueue: nil)

    func send(method: String, url: String, headers: [String: String], body: Data?, timeoutSeconds: Double) async throws -> ProviderReply {
        guard let target = URL(string: url) else { throw ProviderUnreachable(provider: url, reason: "bad url") }
        var request = URLRequest(url: target, timeoutInterval: timeoutSeconds)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let host = target.host ?? url
        let sent = request
        let (data, response) = try await Self.within(seconds: timeoutSeconds, host: host) {
            do {
                return try await Self.session.data(for: sent)
            } catch {
                throw ProviderUnreachable(provider: host, reason: "\(error.localizedDescription)")
            }
        }
        guard let http = response as? HTTPURLResponse else { throw ProviderUnreachable(provider: host, reason: "not an HTTP answer") }
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
        }
        return ProviderReply(status: http.statusCode, headers: fields, body: data)
    }

    /// Resumed once, by whichever comes first: the call's answer or the deadline.
    private final class Once: Sendable {
        let resumed = Mutex(false)
        func claim() -> Bool { resumed.withLock { done in defer { done = true }; return !done } }
    }

    /// Runs `operation`, but answers `ProviderUnreachable` at the deadline even when the operation
    /// is still waiting: Foundation's own request timeout is not kept on every platform, and a
    /// caller must never wait on a provider longer than it was told.
    static func within<T: Sendable>(seconds: Double, host: String, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let once = Once()
        let milliseconds = seconds.isFinite ? Int64(min(max(seconds, 0.05), 300) * 1_000) : 10_000
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let timer = Task {
                try await Task.sleep(for: .milliseconds(milliseconds))
                if once.claim() { continuation.resume(throwing: ProviderUnreachable(provider: host, reason: "no answer within \(seconds) s")) }
            }
            // The call itself ends at Foundation's timeout; only its answer is dropped after the deadline.
            Task {
                let result: Result<T, any Error>
                do { result = .success(try await operation()) } catch { result = .failure(error) }
                timer.cancel()
                if once.claim() { continuation.resume(with: result) }
            }
        }
    }
}
