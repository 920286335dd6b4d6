import Foundation
import HTTPTypes
import TuikeCore

/// The console's pages and forms, each a view of the API (see `InProcessAPI`).
enum ConsolePages {
    static let all: [ConsolePage] = catalogPages + materialPages + goodsPages + peoplePages + groupPages + moneyPages + riskPages + analyticsPages + paymentPages
    static let actions: [ConsoleAction] = catalogActions + materialActions + goodsActions + peopleActions + groupActions + moneyActions + riskActions + paymentActions

    typealias V = ConsoleView

    static func post(_ path: String, _ body: [String: Any]? = nil) -> ConsoleAction.APIRequest {
        .init(method: .post, path: path, body: body ?? [:])
    }

    /// Tabs that filter a list by `?status=`, "all" first.
    static func statusFilters(_ call: ConsoleCall, path: String, prefix: String, values: [String]) -> [V.Node] {
        let current = call.query("status")
        return [V.link(call.t[.all], path, current: current == nil)]
            + values.map { V.link(call.t.label(prefix, $0), "\(path)?status=\($0)", current: current == $0) }
    }

    /// "Next page" for the API's cursor lists.
    static func nextLink(_ call: ConsoleCall, cursor: String?, path: String) -> [V.Node] {
        guard let cursor else { return [] }
        var query = ["cursor=\(ConsoleCall.encode(cursor))"]
        if let status = call.query("status") { query.append("status=\(ConsoleCall.encode(status))") }
        return [V.link(call.t[.nextPage], "\(path)?" + query.joined(separator: "&"))]
    }

    /// Rows per page of a console list, as merchants' consoles commonly show them: a page of
    /// orders with their action forms stays light enough to answer within 50 ms at p99 with
    /// sixteen people at work on a two-core server (`bench/reads.sh`).
    static let pageSize = 20

    static func cursorQuery(_ call: ConsoleCall, limit: Int = pageSize, extra: [String: String?] = [:]) -> String {
        var parts = ["limit=\(limit)"]
        if let cursor = call.query("cursor") { parts.append("cursor=\(ConsoleCall.encode(cursor))") }
        for (key, value) in extra.sorted(by: { $0.key < $1.key }) { if let value { parts.append("\(key)=\(ConsoleCall.encode(value))") } }
        return parts.joined(separator: "&")
    }

    struct PromoterName: Decodable { let id: String; let name: String }

    /// Names of promoters by id, for tables that show them: one request per 100 promoters.
    static func promoterNames(_ call: ConsoleCall, _ ids: some Sequence<String>) async throws -> [String: String] {
        let wanted = Set(ids.filter { !$0.isEmpty }).sorted()
        var names: [String: String] = [:]
        for start in stride(from: 0, to: wanted.count, by: PageRequest.maxLimit) {
            let chunk = wanted[start..<min(start + PageRequest.maxLimit, wanted.count)]
            let path = "/api/v1/promoters?limit=\(PageRequest.maxLimit)&ids=\(ConsoleCall.encode(chunk.joined(separator: ",")))"
            for promoter in try await call.get(path, as: Listing<PromoterName>.self, keysAsSent: true).data { names[promoter.id] = promoter.name }
        }
        for id in wanted where names[id] == nil { names[id] = id }
        return names
    }
}
