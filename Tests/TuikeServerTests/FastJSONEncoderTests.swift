import Foundation
import Testing
import TuikeCore
@testable import TuikeServer

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
