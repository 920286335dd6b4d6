import Hummingbird
import TuikeCore
import TuikeStore

/// `--sandbox` only: tell the sandbox payout provider to fail payouts (or to pay again), so the
/// `failed` path can be driven over HTTP.
struct SandboxPayoutsController {
    let provider: SandboxPayoutProvider

    struct ConfigRequest: RequestBody {
        let fail: Bool
        let reason: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case fail, reason }
        typealias Keys = CodingKeys
    }
    struct ConfigView: Encodable { @ExplicitNull var failing: String? }

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/api/v1/sandbox/payouts", summary: "Make the sandbox payout provider fail (or succeed again)", tag: "Sandbox",
                access: .admin, request: Schemas.object([("fail", Schemas.boolean), ("reason", Schemas.string)], required: ["fail"]),
                responses: [(200, "The provider's state.", Schemas.object([("failing", Schemas.nullable(Schemas.string))]))]) { request, context in
            let body = try await JSONBody.decode(ConfigRequest.self, from: request, context: context)
            provider.fail(with: body.fail ? (body.reason ?? "the sandbox payout provider was told to fail") : nil)
            return try JSONOutput.response(ConfigView(failing: provider.failureReason))
        }
    }
}
