import Foundation
import Hummingbird
import Logging
import TuikeCore
import TuikeStore

/// `PUT`, `GET` and `DELETE /api/v1/payment-providers/{provider}`, the same for every provider:
/// the body is checked whole before anything is saved (a key that does not parse is a 422 naming
/// its field), the secrets are sealed with the data key, and no answer or log line ever carries
/// them again.
struct ProviderSettingsRoutes<Input: RequestBody, Settings: Codable & Sendable, Secrets: Codable & Sendable, View: Encodable & Sendable>: Sendable {
    let provider: String
    let title: String
    let providers: PaymentProviderRepository
    let clock: any TuikeClock
    let validate: @Sendable (Input) throws -> (Settings, Secrets)
    let view: @Sendable (Settings, Instant) -> View
    let logger: Logger

    var path: String { "/api/v1/payment-providers/\(provider)" }

    func addRoutes(to api: APIRoutes, request: JSONValue, viewSchema: JSONValue) {
        api.add(.put, path, summary: "Set up \(title); the secrets are never shown again", tag: "Payments", access: .admin, request: request,
                responses: [(200, "The settings without the secrets.", viewSchema), (422, "A field that is wrong, named.", nil)]) { request, context in
            let input = try await JSONBody.decode(Input.self, from: request, context: context)
            let (settings, secrets) = try validate(input)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            try await providers.save(name: provider, settings: String(decoding: try encoder.encode(settings), as: UTF8.self),
                                     secrets: String(decoding: try encoder.encode(secrets), as: UTF8.self), at: clock.now())
            logger.notice("payment provider settings saved", metadata: ["provider": "\(provider)"])
            return try JSONOutput.response(try await shown())
        }
        api.add(.get, path, summary: "\(title)'s settings, without the secrets", tag: "Payments", access: .admin,
                responses: [(200, "The settings.", viewSchema), (404, "Not set up.", nil)]) { _, _ in
            try JSONOutput.response(try await shown())
        }
        api.add(.delete, path, summary: "Stop taking payments with \(title) (its settings are deleted)", tag: "Payments", access: .admin,
                responses: [(204, "Deleted (or never set up).", nil), (409, "Still needed (provider_in_use).", nil)]) { _, _ in
            if let waiting = try await providers.inUse(provider) {
                throw TuikeError(.conflict, code: "provider_in_use", "\(title) is still needed for \(waiting); try again once they are settled")
            }
            _ = try await providers.delete(provider)
            return Response(status: .noContent)
        }
    }

    func shown() async throws -> View {
        guard let stored = try await providers.find(provider) else { throw TuikeError(.notFound, code: "not_found", "\(title) is not set up") }
        return view(try JSONDecoder().decode(Settings.self, from: Data(stored.settings.utf8)), stored.updatedAt)
    }
}
