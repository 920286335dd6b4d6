import Foundation
import SQLKit
import Testing
import TuikeCore
import TuikeStore
import TuikeTestSupport

/// The store executes the Core status machines: every statement that moves a status names, in
/// its WHERE, only statuses the machine allows that move from, and the schema admits exactly the
/// machine's statuses.
@Suite struct StatusMovesTests {
    /// The machine of each table with a status column, as names and moves.
    static let machines: [String: Machine] = [
        "orders": machine(Order.Status.self),
        "promoters": machine(Promoter.Status.self),
        "commissions": machine(Commission.Status.self),
        "appeals": machine(Appeal.Status.self),
        "withdrawals": machine(WithdrawalStatus.self),
        "groups": machine(GroupStatus.self),
        "group_members": machine(GroupMember.Status.self),
        "after_sales": machine(AfterSale.Status.self),
    ]

    struct Machine: Sendable {
        let cases: Set<String>
        let canMove: @Sendable (String, String) -> Bool
    }

    /// Staying put is no move: statements that update a group's counts keep its status.
    static func machine<S: StatusMachine>(_: S.Type) -> Machine {
        Machine(cases: Set(S.allCases.map(\.rawValue))) { from, to in
            guard let from = S(rawValue: from), let to = S(rawValue: to) else { return false }
            return from == to || from.canMove(to: to)
        }
    }

    static func matches(_ pattern: String, in text: String) -> [[String]] {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]) else { return [] }
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
            (0..<match.numberOfRanges).map { Range(match.range(at: $0), in: text).map { String(text[$0]) } ?? "" }
        }
    }

    static var storeSources: [(name: String, text: String)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../Sources/TuikeStore").standardized
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        return files.filter { $0.pathExtension == "swift" }.compactMap { url in
            (try? String(contentsOf: url, encoding: .utf8)).map { (url.lastPathComponent, $0) }
        }
    }

    @Test func everyStatusUpdateFollowsTheMachine() throws {
        var checked = 0
        for (name, text) in Self.storeSources {
            // One UPDATE up to the end of its string literal.
            for statement in Self.matches(#"UPDATE (\w+)(?: \w+)? SET (.*?)(?:"""|"\)|\n\s*\n)"#, in: text) {
                guard let machine = Self.machines[statement[1]] else { continue }
                let body = statement[2]
                guard let set = Self.matches(#"(?<![\w.])status = (CASE .*? END|'\w+')"#, in: body).first else { continue }
                let targets = Self.matches(#"'(\w+)'"#, in: set[1]).map { $0[1] }
                let condition = body.range(of: "WHERE").map { String(body[$0.lowerBound...]) } ?? ""
                let sources = Self.matches(#"(?<![\w.])status = '(\w+)'"#, in: condition).map { $0[1] }
                    + Self.matches(#"(?<![\w.])status IN \(([^)]*)\)"#, in: condition).flatMap { Self.matches(#"'(\w+)'"#, in: $0[1]).map { $0[1] } }
                for status in targets + sources { #expect(machine.cases.contains(status), "\(name): \(statement[1]) has no status \(status)") }
                // A move without a status condition follows a read of the row in the same transaction.
                for from in sources {
                    for to in targets {
                        #expect(machine.canMove(from, to), "\(name): \(statement[1]) moves \(from) → \(to), which the machine does not allow")
                    }
                }
                checked += 1
            }
        }
        #expect(checked >= 15)
    }

    @Test func theSchemaAdmitsExactlyTheMachinesStatuses() async throws {
        try await TestDatabase.sqlite.withDatabase { database in
            for (table, machine) in Self.machines {
                let sql = try await database.read { db in
                    try await db.first("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = \(bind: table)")?.decode(column: "sql", as: String.self)
                }
                let schema = try #require(sql)
                let check = try #require(Self.matches(#"status TEXT NOT NULL CHECK \(status IN \(([^)]*)\)\)"#, in: schema).first, "\(table)")
                #expect(Set(Self.matches(#"'(\w+)'"#, in: check[1]).map { $0[1] }) == machine.cases, "\(table)")
            }
        }
    }
}
