import Foundation
import Synchronization
import TuikeCore

/// Values decoded from stored JSON, kept by their exact text. Program settings and commission
/// rules are read on every order and change rarely, and Foundation's decoder costs more than the
/// read itself (measured: 31–34 µs for the settings, 9–11 µs for a rule), some of it on SQLite's
/// single writer thread. Keyed by the text, so a changed row is decoded anew at once: nothing
/// expires and nothing needs invalidating, on any number of instances.
final class JSONMemo<Value: Decodable & Sendable>: Sendable {
    private let values = Mutex<[String: Value]>([:])
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    func decode(_ text: String) throws -> Value {
        if let known = values.withLock({ $0[text] }) { return known }
        let value = try JSONDecoder().decode(Value.self, from: Data(text.utf8))
        values.withLock { values in
            if values.count >= limit { values.removeAll() }
            values[text] = value
        }
        return value
    }
}

enum StoredJSON {
    static let settings = JSONMemo<ProgramSettings>(limit: 16)
    /// Foundation's encoder writes keys in no fixed order, so one rule may be stored under a few
    /// texts; the limit leaves room for them.
    static let rules = JSONMemo<CommissionRule>(limit: 1_024)
    private static let lastRule = Mutex<(rule: CommissionRule, text: String)?>(nil)

    /// A rule's stored text. Consecutive orders mostly carry the same rule, so the last one is kept.
    static func text(of rule: CommissionRule) throws -> String {
        if let last = lastRule.withLock({ $0 }), last.rule == rule { return last.text }
        let text = String(decoding: try JSONEncoder().encode(rule), as: UTF8.self)
        lastRule.withLock { $0 = (rule, text) }
        return text
    }

    /// A value's stored text (keys sorted, so equal values store equal texts).
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, _ text: String) throws -> Value {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
