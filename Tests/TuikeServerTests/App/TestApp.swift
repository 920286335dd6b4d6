import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

let adminToken = "test-admin-token"
let adminAuth: HTTPFields = [.authorization: "Bearer \(adminToken)", .contentType: "application/json"]
let jsonOnly: HTTPFields = [.contentType: "application/json"]

/// Builds the real application on a fresh database and runs `body` against its router (no sockets).
func withTestApp<T>(
    _ kind: TestDatabase, sandbox: Bool = true, demo: Bool = false, providerTimeoutSeconds: Double = 10,
    _ body: @escaping @Sendable (any TestClientProtocol, TuikeApp) async throws -> T
) async throws -> T {
    try await kind.withDatabase(migrated: false) { database async throws in
        var options = TuikeApp.Options(sandbox: sandbox, adminToken: adminToken, demo: demo, cipher: testCipher)
        options.providerTimeoutSeconds = providerTimeoutSeconds
        let (tuike, _) = try await TuikeApp.prepare(database: database, options: options, logger: TestDatabase.logger)
        let app = Application(router: buildRouter(tuike).router, logger: TestDatabase.logger)
        return try await app.test(.router) { client in try await body(client, tuike) }
    }
}

extension TestClientProtocol {
    /// Sends a request with a JSON body given as text, so tests can send malformed JSON too.
    func send(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = adminAuth, body: String? = nil) async throws -> TestResponse {
        try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }

    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
}

/// Asserts the error JSON of docs/rules.md §10.
func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(response.status == status, "body: \(response.text)", sourceLocation: sourceLocation)
    #expect(response.errorCode == code, "body: \(response.text)", sourceLocation: sourceLocation)
    let message = (response.json["error"] as? [String: Any])?["message"] as? String
    #expect(message?.isEmpty == false, sourceLocation: sourceLocation)
    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
}

extension TestClientProtocol {
    /// Presses the sandbox checkout's pay button, as a browser does: the page sets the CSRF cookie
    /// the form then sends.
    func payInSandbox(_ order: String) async throws -> TestResponse {
        let page = try await send(.get, "/pay/\(order)", headers: [:])
        let csrf = page.headers[values: .setCookie].first { $0.hasPrefix("tk_csrf=") }?.split(separator: ";").first?.dropFirst(8) ?? ""
        return try await send(.post, "/pay/\(order)", headers: [.cookie: "tk_csrf=\(csrf)", .contentType: "application/x-www-form-urlencoded"],
                              body: "_csrf=\(csrf)")
    }
}
