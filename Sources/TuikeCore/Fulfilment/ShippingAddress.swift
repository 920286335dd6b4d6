import Foundation

/// Where a physical order goes (收货地址): the recipient, a phone the courier can call, and the
/// address down to the street line. Every field is required; a buyer's address book holds these.
public struct ShippingAddress: Codable, Equatable, Sendable {
    public var name: String
    public var phone: String
    public var province: String
    public var city: String
    public var district: String
    public var line: String

    public init(name: String, phone: String, province: String, city: String, district: String, line: String) {
        self.name = name
        self.phone = phone
        self.province = province
        self.city = city
        self.district = district
        self.line = line
    }

    public static let fieldNames = ["name", "phone", "province", "city", "district", "line"]

    /// An address from fields as sent (a form, a JSON body): a missing field is empty, so that
    /// `validated()` names every one that is missing.
    public init(fields: [String: String]) {
        self.init(name: fields["name"] ?? "", phone: fields["phone"] ?? "", province: fields["province"] ?? "", city: fields["city"] ?? "",
                  district: fields["district"] ?? "", line: fields["line"] ?? "")
    }
    public static let maxLineLength = 200
    public static let maxFieldLength = 50

    /// The address with its fields trimmed, or the first problem, naming the field.
    public func validated() throws(TuikeError) -> ShippingAddress {
        var result = self
        let fields: [(WritableKeyPath<ShippingAddress, String>, String, Int)] = [
            (\.name, "name", Self.maxFieldLength), (\.phone, "phone", 20), (\.province, "province", Self.maxFieldLength),
            (\.city, "city", Self.maxFieldLength), (\.district, "district", Self.maxFieldLength), (\.line, "line", Self.maxLineLength),
        ]
        var missing: [String] = []
        for (path, field, limit) in fields {
            let value = self[keyPath: path].trimmingCharacters(in: .whitespacesAndNewlines)
            if value.isEmpty { missing.append(field); continue }
            if value.count > limit { throw .validation("shipping_address.\(field) is longer than \(limit) characters") }
            try PlainText.check(value, field: "shipping_address.\(field)")
            result[keyPath: path] = value
        }
        if !missing.isEmpty { throw .validation("shipping_address needs \(missing.joined(separator: ", "))") }
        try Self.validate(phone: result.phone, field: "shipping_address.phone")
        return result
    }

    /// Digits with an optional leading `+` and inner spaces or dashes, 5 to 20 characters.
    public static func validate(phone: String, field: String) throws(TuikeError) {
        let digits = phone.filter(\.isASCII).filter(\.isNumber)
        let allowed = Set("0123456789+- ")
        guard (5...20).contains(phone.count), digits.count >= 5, phone.allSatisfy(allowed.contains), !phone.dropFirst().contains("+") else {
            throw .validation("\(field) must be a phone number: digits, an optional leading +, spaces or dashes")
        }
    }

    /// One line for labels and lists: 张三 138… 浙江省 杭州市 西湖区 文三路 1 号.
    public var summary: String { [name, phone, province, city, district, line].joined(separator: " ") }
}
