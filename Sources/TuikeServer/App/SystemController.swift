import Foundation
import Hummingbird
import Prometheus
import TuikeCore
import TuikeStore

/// Health, metrics, the OpenAPI document and (in sandbox mode) the test clock.
struct SystemController {
    let clock: any TuikeClock
    let sandboxClock: SandboxClock?
    let settings: SettingsRepository
    let registry: PrometheusCollectorRegistry
    let runDueJobs: @Sendable () async throws -> Void

    static let clockOffsetKey = "sandbox_clock_offset_ms"

    func addRoutes(to api: APIRoutes, document: @escaping @Sendable () -> JSONValue) {
        // Health must not touch the database: it answers once migrations ran and the server listens.
        api.add(.get, "/healthz", summary: "Health check", tag: "System", access: .publicAccess,
                responses: [(200, "Serving.", Schemas.ref("Health"))]) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        api.add(.get, "/metrics", summary: "Prometheus metrics (text format)", tag: "System", access: .publicAccess,
                responses: [(200, "Metrics in the Prometheus text format.", nil)], handler: metrics)
        api.add(.get, "/api/v1/openapi.json", summary: "This document", tag: "System", access: .publicAccess,
                responses: [(200, "OpenAPI 3.1.", nil)]) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: document().json)))
        }
        if sandboxClock != nil {
            api.add(.post, "/api/v1/sandbox/clock/advance", summary: "Move the test clock forward and run due jobs", tag: "Sandbox",
                    access: .admin,
                    request: Schemas.object([("seconds", Schemas.integer(in: 0...Self.maxAdvanceSeconds))], required: ["seconds"]),
                    responses: [(200, "The clock after moving.", Schemas.ref("ClockNow"))], handler: advance)
        }
    }

    @Sendable func metrics(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
    }

    struct AdvanceRequest: RequestBody {
        let seconds: Int64
        enum CodingKeys: String, CodingKey, CaseIterable { case seconds }
        typealias Keys = CodingKeys
    }
    struct ClockNow: Encodable { let now: Instant; let offsetSeconds: Int64 }

    /// Ten years: enough for any test, small enough that no time arithmetic can overflow.
    static let maxAdvanceSeconds: Int64 = 315_360_000

    @Sendable func advance(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        guard let sandboxClock else { throw TuikeError.notFound("route", request.uri.path) }
        let body = try await JSONBody.decode(AdvanceRequest.self, from: request, context: context)
        guard (0...Self.maxAdvanceSeconds).contains(body.seconds) else {
            throw TuikeError.validation("seconds must be between 0 and \(Self.maxAdvanceSeconds)")
        }
        if body.seconds > 0 {
            let offset = sandboxClock.advance(seconds: body.seconds)
            try await settings.set(Self.clockOffsetKey, to: String(offset), at: clock.now())
        }
        try await runDueJobs()
        return try JSONOutput.response(ClockNow(now: clock.now(), offsetSeconds: sandboxClock.offsetMilliseconds / 1000))
    }
}
