import Foundation
import Testing
import TuikeCore
@testable import TuikeServer
@testable import TuikeStore

/// `FastJSONEncoder` must write what Foundation's encoder writes, byte for byte (every response
/// in the other tests is checked the same way by an assertion in debug builds).
@Suite struct FastJSONEncoderTests {
    enum Colour: String, Encodable { case red, blue }

    struct Line: Encodable {
        let productID: String
        let unitPrice: Int64
        let quantity: Int
        let note: String?
    }

    struct View: Encodable {
        let id: String
        let clickID: String?
        let level2PromoterId: String?
        let HTTPCode: Int
        let already_snake: Bool
        let createdAt: Instant
        let colour: Colour
        let lines: [Line]
        let tags: [String: Int64]
        let maybe: [String?]
        let nested: [[Int]]
        @ExplicitNull var refundedAt: Instant?
        @ExplicitNull var couponCode: String?
    }

    struct Empty: Encodable {}

    struct SmallIntegers: Encodable {
        let a: Int8, b: UInt8, c: Int16, d: UInt16, e: Int32, f: UInt32, g: UInt64, h: UInt
        let list: [UInt16]
        let maybe: Int32?
    }

    class Base: Encodable {
        var baseField = 1
    }

    final class Derived: Base, @unchecked Sendable {
        var ownField = 2
        enum CodingKeys: String, CodingKey { case ownField }
        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(ownField, forKey: .ownField)
            try super.encode(to: container.superEncoder())
        }
    }

    static var everyEscape: String {
        var text = ""
        for scalar in 0..<0x80 { text.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
        return text + "\u{7F}\u{80}\u{2028}\u{2029}推客😀/é"
    }

    func expectSame(_ value: some Encodable, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let fast = try FastJSONEncoder.encode(value)
        let foundation = Array(try JSONOutput.foundationEncoder.encode(value))
        #expect(String(decoding: fast, as: UTF8.self) == String(decoding: foundation, as: UTF8.self), sourceLocation: sourceLocation)
    }

    @Test func viewsMatchFoundation() throws {
        let view = View(
            id: "ord_1", clickID: nil, level2PromoterId: "prm_2", HTTPCode: -7, already_snake: true,
            createdAt: Instant(milliseconds: 1_795_000_000_123), colour: .blue,
            lines: [Line(productID: "prod_1", unitPrice: Int64.max, quantity: 0, note: Self.everyEscape),
                    Line(productID: "p", unitPrice: Int64.min, quantity: 3, note: nil)],
            tags: ["b": 1, "a_b": 2, "aB": 3, "A": 4, "中文": 5, "é": 6, "a10": 7, "a2": 8, "clickID": 9],
            maybe: ["x", nil], nested: [[], [1, 2]], refundedAt: nil, couponCode: "SAVE10")
        try expectSame(view)
        try expectSame([view, view])
        try expectSame(Empty())
        try expectSame([Empty()])
        try expectSame(Self.everyEscape)
        try expectSame(["k": Optional<Int>.none])
        try expectSame([String: [String: Int]]())
        try expectSame(SmallIntegers(a: -128, b: 255, c: -7, d: 9, e: Int32.min, f: UInt32.max, g: UInt64.max, h: 3, list: [1, 2], maybe: nil))
    }

    /// The order view writes its JSON by hand (`JSONWritable`): the same bytes as Foundation,
    /// with every optional set and unset, every escape and several lines, payments and refunds.
    @Test func theOrderViewWritesWhatFoundationWrites() throws {
        func order(_ full: Bool) -> Order {
            var items: [Order.Item] = []
            for n in 0..<(full ? 3 : 1) {
                let number = Int64(n)
                let title: String = n == 0 ? Self.everyEscape : "课程 \(n)"
                items.append(Order.Item(id: "itm_\(n)", productID: "prd_\(n)", title: title, kind: .course, unitPrice: Int64.max - number,
                                        quantity: number, discount: -number, paid: Int64.min + number, refunded: 7,
                                        rule: CommissionRule(type: .percent, levels: [1_000]), ruleSource: "program"))
            }
            return Order(id: "ord_\"1\"", buyerID: Self.everyEscape, externalID: full ? "ext/1" : nil, status: .partiallyRefunded, amount: 50_000,
                         discount: 12, refunded: 3, visitorID: nil, clickID: nil, coupon: nil, levelOne: full ? ["prm_a", "prm_b"] : [],
                         levelTwo: full ? "prm_2" : nil, levelThree: full ? "prm_3" : nil, attributionRule: full ? .linear : .none,
                         attributionClickID: full ? "clk_1" : nil, selfReferral: full, createdAt: Instant(milliseconds: 1_795_000_000_123),
                         paidAt: full ? Instant(milliseconds: 1_795_000_001_000) : nil, items: items, groupID: full ? "grp_1" : nil)
        }
        let payments = [OrderRepository.Payment(paymentID: "pay/1", provider: "sandbox", amount: 1, createdAt: Instant(milliseconds: 0)),
                        OrderRepository.Payment(paymentID: "推", provider: "x", amount: -1, createdAt: Instant(milliseconds: 253_402_300_799_999))]
        let refunds = [Refund(id: "ref_1", orderID: "ord_1", refundID: nil, amount: 5, reason: nil, createdAt: Instant(milliseconds: 86_400_000)),
                       Refund(id: "ref_2", orderID: "ord_1", refundID: "r\n2", amount: 6, reason: Self.everyEscape, createdAt: Instant(milliseconds: 1))]
        for view in [OrderView(order(true), payments: payments, refunds: refunds), OrderView(order(false), payments: [], refunds: [])] {
            var json = JSONWriter(capacity: 0)
            view.writeJSON(to: &json)
            let foundation = Array(try JSONOutput.foundationEncoder.encode(view))
            #expect(String(decoding: json.bytes, as: UTF8.self) == String(decoding: foundation, as: UTF8.self))
        }
    }

    @Test func whatItDoesNotCoverFallsBackToFoundation() throws {
        #expect(throws: FastJSONEncoder.Unsupported.self) { try FastJSONEncoder.encode(["rate": 0.1]) }
        #expect(throws: FastJSONEncoder.Unsupported.self) { try FastJSONEncoder.encode([Date(timeIntervalSince1970: 0)]) }
        #expect(throws: FastJSONEncoder.Unsupported.self) { try FastJSONEncoder.encode(Derived()) }
        // A primitive it does not know encodes itself as itself: an error, not endless recursion.
        #expect(throws: (any Error).self) { try FastJSONEncoder.encode([Int128(5)]) }
        #expect(try JSONOutput.encode(["rate": 0.1]) == Array(try JSONOutput.foundationEncoder.encode(["rate": 0.1])))
        #expect(try JSONOutput.encode(Derived()) == Array(try JSONOutput.foundationEncoder.encode(Derived())))
    }
}
