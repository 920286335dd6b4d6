import Foundation
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeTestSupport

/// The request schemas say what the handlers check, so that tools generating requests from the
/// document (schemathesis, client generators) send what the API takes: a value at a documented
/// limit is accepted and one past it is refused with 422. Each limit is read from the served
/// document, not repeated here.
@Suite struct DocumentedLimitsTests {
    @Test func theDocumentedLimitsAreTheEnforcedOnes() async throws {
        try await withTestApp(.sqlite) { client, _ async throws in
            let document = try await client.send(.get, "/api/v1/openapi.json", headers: [:]).json
            func field(_ path: String, _ name: String) throws -> [String: Any] {
                let paths = try #require(document["paths"] as? [String: [String: Any]])
                let body = try #require((paths[path]?["post"] as? [String: Any])?["requestBody"] as? [String: Any])
                let schema = try #require(((body["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any])
                return try #require((schema["properties"] as? [String: Any])?[name] as? [String: Any], "\(path) \(name)")
            }
            func matches(_ text: String, _ schema: [String: Any]) throws -> Bool {
                let pattern = try #require(schema["pattern"] as? String)
                return text.range(of: pattern, options: .regularExpression) != nil
            }
            func post(_ path: String, _ body: [String: Any]) async throws -> Int {
                let data = try JSONSerialization.data(withJSONObject: body)
                return Int(try await client.send(.post, path, body: String(decoding: data, as: UTF8.self)).status.code)
            }

            let title = try field("/api/v1/products", "title")
            let longest = try #require(title["maxLength"] as? Int)
            #expect(longest == Product.maxTitleLength)
            #expect(try await post("/api/v1/products", ["title": String(repeating: "课", count: longest), "price": 100]) == 201)
            #expect(try await post("/api/v1/products", ["title": String(repeating: "课", count: longest + 1), "price": 100]) == 422)
            #expect(try !matches("   ", title))
            #expect(try await post("/api/v1/products", ["title": "   ", "price": 100]) == 422)
            let stock = try #require((try field("/api/v1/products", "stock")["oneOf"] as? [[String: Any]])?.first)
            #expect(stock["minimum"] as? Int == 0)
            #expect(try await post("/api/v1/products", ["title": "T", "price": 100, "stock": 0]) == 201)
            #expect(try await post("/api/v1/products", ["title": "T", "price": 100, "stock": -1]) == 422)

            let name = try field("/api/v1/promoters", "name")
            let phone = try field("/api/v1/promoters", "phone")
            let longestName = try #require(name["maxLength"] as? Int)
            #expect(try await post("/api/v1/promoters", ["name": String(repeating: "王", count: longestName)]) == 201)
            #expect(try await post("/api/v1/promoters", ["name": String(repeating: "王", count: longestName + 1)]) == 422)
            for accepted in ["+86 138-0013-8001", "(0086)13800138002", "+4915112345678", "13800138003", "+0086 123456789"] {
                #expect(try matches(accepted, phone), "\(accepted)")
                #expect(try await post("/api/v1/promoters", ["name": "P", "phone": accepted]) == 201, "\(accepted)")
            }
            for refused in ["+86 23456789012", "12345678", "((((((((", "call me"] {
                #expect(try !matches(refused, phone), "\(refused)")
                #expect(try await post("/api/v1/promoters", ["name": "P", "phone": refused]) == 422, "\(refused)")
            }

            let rank = try #require(try field("/api/v1/ranks", "name")["maxLength"] as? Int)
            let rankBody: [String: Any] = ["metric": "paid_orders", "threshold": 0, "bonus_bps": 0]
            #expect(try await post("/api/v1/ranks", rankBody.merging(["name": String(repeating: "金", count: rank)]) { $1 }) == 201)
            #expect(try await post("/api/v1/ranks", rankBody.merging(["name": String(repeating: "银", count: rank + 1)]) { $1 }) == 422)
            #expect(try field("/api/v1/ranks", "threshold")["minimum"] as? Int == 0)

            let code = try field("/api/v1/coupons", "code")
            let coupon: [String: Any] = ["type": "fixed", "value": 100]
            #expect(try matches("NEW-YEAR_2027", code) && !matches("ab", code) && !matches("八折优惠", code))
            #expect(try await post("/api/v1/coupons", coupon.merging(["code": "NEW-YEAR_2027"]) { $1 }) == 201)
            #expect(try await post("/api/v1/coupons", coupon.merging(["code": "ab"]) { $1 }) == 422)
            #expect(try field("/api/v1/coupons", "value")["minimum"] as? Int == 1)
            #expect(try await post("/api/v1/coupons", ["code": "ZERO", "type": "fixed", "value": 0]) == 422)

            let items = try field("/api/v1/orders", "items")
            #expect(items["minItems"] as? Int == 1 && items["maxItems"] as? Int == Order.maxItems)
            let quantity = try #require(((items["items"] as? [String: Any])?["properties"] as? [String: Any])?["quantity"] as? [String: Any])
            #expect(quantity["maximum"] as? Int == Int(Order.maxQuantity))
            let product = try await client.send(.post, "/api/v1/products", body: #"{"title":"Q","price":100}"#).json["id"] as? String ?? ""
            let line: (Int) -> [String: Any] = { ["buyer_id": "b-\($0)", "items": [["product_id": product, "quantity": $0]]] }
            #expect(try await post("/api/v1/orders", line(Int(Order.maxQuantity))) == 201)
            #expect(try await post("/api/v1/orders", line(Int(Order.maxQuantity) + 1)) == 422)

            let size = try field("/api/v1/group-campaigns", "group_size")
            let largest = try #require(size["maximum"] as? Int)
            #expect(size["minimum"] as? Int == Int(GroupCampaign.sizes.lowerBound) && largest == Int(GroupCampaign.sizes.upperBound))
            #expect(try field("/api/v1/group-campaigns", "per_user_limit")["maximum"] as? Int == Int(GroupCampaign.perUserLimits.upperBound))
            let campaign: (Int) -> [String: Any] = { ["product_id": product, "group_price": 50, "group_size": $0] }
            #expect(try await post("/api/v1/group-campaigns", campaign(largest)) == 201)
            #expect(try await post("/api/v1/group-campaigns", campaign(largest + 1)) == 422)

            let url = try field("/api/v1/webhook-endpoints", "url")
            #expect(try matches("https://shop.example.com/hooks", url) && !matches("ftp://shop.example.com", url) && !matches("https:///x", url))
            #expect(try await post("/api/v1/webhook-endpoints", ["url": "ftp://shop.example.com"]) == 422)
            let types = try #require((try field("/api/v1/webhook-endpoints", "event_types")["items"] as? [String: Any])?["enum"] as? [String])
            #expect(Set(types) == Set(["*"] + EventsController.types))
            #expect(try await post("/api/v1/webhook-endpoints", ["url": "https://shop.example.com/hooks", "event_types": ["order.teleported"]]) == 422)
            #expect(try await post("/api/v1/webhook-endpoints", ["url": "https://shop.example.com/hooks", "event_types": ["order.paid"]]) == 201)
        }
    }
}
