import Foundation
import Testing
import TuikeCore
@testable import TuikeStore

@Suite struct StoredJSONTests {
    /// Decoded values are kept by their exact text: a changed text is decoded anew at once.
    @Test func memoFollowsTheText() throws {
        let memo = JSONMemo<CommissionRule>(limit: 2)
        let ten = #"{"type":"percent","levels":[1000]}"#
        let twenty = #"{"type":"percent","levels":[2000]}"#
        #expect(try memo.decode(ten).levels == [1000])
        #expect(try memo.decode(twenty).levels == [2000])
        #expect(try memo.decode(ten).levels == [1000])
        for level in 1...5 { #expect(try memo.decode(#"{"type":"fixed","levels":[\#(level)]}"#).levels == [Int64(level)]) }
        #expect(throws: (any Error).self) { try memo.decode(#"{"type":"percent"}"#) }
    }

    /// The kept text is the rule's own, also when rules alternate. (Foundation's encoder writes
    /// keys in no fixed order, so texts are compared by what they decode to.)
    @Test func ruleTextDecodesToItsRule() throws {
        let rules = [CommissionRule(type: .percent, levels: [1000, 250]), CommissionRule(type: .fixed, levels: [500], maxAmount: 800)]
        for rule in rules + rules + [rules[1], rules[1]] {
            let text = try StoredJSON.text(of: rule)
            #expect(try JSONDecoder().decode(CommissionRule.self, from: Data(text.utf8)) == rule)
            #expect(try StoredJSON.rules.decode(text) == rule)
        }
    }
}
