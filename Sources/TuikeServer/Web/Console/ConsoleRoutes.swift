import Foundation
import HTTPTypes
import Hummingbird
import TuikeCore
import TuikeStore

/// Who may open what in the console. Owners everything; finance the money (withdrawals, refunds,
/// settlements, reconciliation and its CSV files); operators the catalogue, promoters and group
/// campaigns; everyone the dashboard and the order list. Program settings are the owner's alone.
enum ConsoleRole {
    static let everyone: Set<String> = ["owner", "finance", "operator"]
    static let money: Set<String> = ["owner", "finance"]
    static let operations: Set<String> = ["owner", "operator"]
    static let owner: Set<String> = ["owner"]
}

/// One console request: who asks, in which language, and the API to ask.
struct ConsoleCall {
    let request: Request
    let context: TuikeRequestContext
    let user: SessionRepository.AdminUser
    let language: Language
    let api: InProcessAPI
    let now: Instant

    var t: Words { language.strings }
    var principal: Principal { .admin(tokenID: "console:\(user.username)") }

    /// Reads the API; a failure is shown to the user as the page's error.
    func get(_ path: String) async throws -> InProcessAPI.Reply {
        let reply = try await api.call(.get, path, as: principal, context: context)
        guard reply.isSuccess else { throw reply.error }
        return reply
    }

    /// Reads the API as the page's model.
    func get<T: Decodable>(_ path: String, as type: T.Type, keysAsSent: Bool = false) async throws -> T {
        try await get(path).decode(type, keysAsSent: keysAsSent)
    }

    func query(_ name: String) -> String? {
        request.uri.queryParameters[name[...]].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }

    func parameter(_ name: String) throws -> String { try context.parameters.require(name) }

    /// A query string value made safe for a link the page builds.
    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~:"))) ?? ""
    }
}

/// A console page: the sections it shows, built from the API's answers.
struct ConsolePage: Sendable {
    let path: String
    /// Its title, also its name in the navigation.
    let title: Word
    let inNavigation: Bool
    let summary: String
    let roles: Set<String>
    let build: @Sendable (ConsoleCall) async throws -> [ConsoleView.Node]
}

/// A console form: the API request it stands for, and the page to go back to.
struct ConsoleAction: Sendable {
    struct APIRequest {
        let method: HTTPRequest.Method
        let path: String
        let body: [String: Any]?
    }

    let path: String
    let summary: String
    let roles: Set<String>
    let back: String
    let translate: @Sendable (_ fields: ConsoleFields, _ call: ConsoleCall) throws -> APIRequest
}

/// A console form's fields, read with the API's own words for what is wrong.
struct ConsoleFields {
    let values: [String: String]

    func text(_ name: String) -> String? {
        values[name].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    func required(_ name: String) throws(TuikeError) -> String {
        guard let value = text(name) else { throw TuikeError.validation("\(name) is required") }
        return value
    }

    /// Yuan as typed (`99`, `99.5`, `99.00`) → fen.
    func money(_ name: String) throws(TuikeError) -> Int64? {
        guard let value = text(name) else { return nil }
        guard let amount = Money.parse(value) else { throw TuikeError.validation("\(name) must be an amount in yuan like 99.00") }
        return amount
    }

    /// Like `money`, with an optional leading minus (adjustments take as well as give).
    func signedMoney(_ name: String) throws(TuikeError) -> Int64? {
        guard let value = text(name) else { return nil }
        let negative = value.hasPrefix("-")
        guard let amount = Money.parse(negative ? String(value.dropFirst()) : value) else {
            throw TuikeError.validation("\(name) must be an amount in yuan like 10.00 or -10.00")
        }
        return negative ? -amount : amount
    }

    func integer(_ name: String) throws(TuikeError) -> Int64? {
        guard let value = text(name) else { return nil }
        guard let number = Int64(value) else { throw TuikeError.validation("\(name) must be a whole number") }
        return number
    }

    func requiredInteger(_ name: String) throws(TuikeError) -> Int64 {
        guard let number = try integer(name) else { throw TuikeError.validation("\(name) is required") }
        return number
    }
}
