import Foundation
import Synchronization
import TuikeCore

/// Writes exactly the bytes `JSONOutput.foundationEncoder` writes (snake_case keys, keys sorted by
/// their UTF-8 bytes, slashes unescaped), about 2.5 times faster: Foundation's encoder with
/// `.convertToSnakeCase` spent some 55 µs on one order view.
///
/// It covers what API views are made of: strings, integers, booleans, nil, arrays, keyed
/// structs and `[String: …]` dictionaries (whose keys, as in Foundation, are not converted).
/// Anything else (floating point, `Date`, `Data`, `URL`, `Decimal`) throws `Unsupported`, and
/// the caller falls back to Foundation, so the output never differs (debug builds check every
/// response against Foundation's). Each key's snake_case form is computed once, by Foundation
/// itself, and cached.
enum FastJSONEncoder {
    struct Unsupported: Error {}

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let node = try Node.of(value)
        var output: [UInt8] = []
        output.reserveCapacity(512)
        node.write(to: &output)
        return output
    }

    /// A value on its way to JSON. Containers are classes because `Encoder` hands out containers
    /// that write into their parent after they were returned.
    enum Node {
        case null, bool(Bool), number(String), string(String), array(ArrayBox), object(ObjectBox)

        static func of(_ value: some Encodable) throws -> Node {
            switch value {
            case let text as String: return .string(text)
            case let flag as Bool: return .bool(flag)
            case let number as Int: return .number(String(number))
            case let number as Int64: return .number(String(number))
            case let number as Int32: return .number(String(number))
            case let number as UInt64: return .number(String(number))
            case let number as UInt: return .number(String(number))
            case let number as UInt32: return .number(String(number))
            case let number as Int16: return .number(String(number))
            case let number as UInt16: return .number(String(number))
            case let number as Int8: return .number(String(number))
            case let number as UInt8: return .number(String(number))
            case is Double, is Float, is Date, is Data, is URL, is Decimal: throw Unsupported()
            case let dictionary as any StringKeyedDictionary: return try dictionary.node()
            default:
                let encoder = NodeEncoder(encoding: type(of: value))
                try value.encode(to: encoder)
                if encoder.usedSuperEncoder { throw Unsupported() }
                return encoder.result ?? .object(ObjectBox())
            }
        }

        func write(to output: inout [UInt8]) {
            switch self {
            case .null: output.append(contentsOf: "null".utf8)
            case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
            case .number(let digits): output.append(contentsOf: digits.utf8)
            case .string(let text): JSONText.appendQuoted(text, to: &output)
            case .array(let box):
                output.append(UInt8(ascii: "["))
                for (index, item) in box.items.enumerated() {
                    if index > 0 { output.append(UInt8(ascii: ",")) }
                    item.write(to: &output)
                }
                output.append(UInt8(ascii: "]"))
            case .object(let box):
                output.append(UInt8(ascii: "{"))
                // Sorted by key, later entries first among equal keys: a key written twice keeps
                // its last value, as in Foundation.
                let order = box.entries.indices.sorted { left, right in
                    let (a, b) = (box.entries[left].key, box.entries[right].key)
                    return a == b ? left > right : JSONText.keyPrecedes(a, b)
                }
                var previous: String?
                for index in order {
                    let (key, node) = box.entries[index]
                    if key == previous { continue }
                    if previous != nil { output.append(UInt8(ascii: ",")) }
                    previous = key
                    JSONText.appendQuoted(key, to: &output)
                    output.append(UInt8(ascii: ":"))
                    node.write(to: &output)
                }
                output.append(UInt8(ascii: "}"))
            }
        }
    }

    final class ArrayBox { var items: [Node] = [] }
    final class ObjectBox { var entries: [(key: String, node: Node)] = [] }

    /// The snake_case form of each property name, as Foundation's `.convertToSnakeCase` makes it.
    static func snakeCase(_ key: String) -> String {
        // Without capitals there is nothing to convert (most keys given in CodingKeys).
        if key.utf8.allSatisfy({ $0 < 0x80 && !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) { return key }
        if let known = snakeCaseKeys.withLock({ $0[key] }) { return known }
        let converted = (try? KeyProbe.convert(key)) ?? key
        snakeCaseKeys.withLock { $0[key] = converted }
        return converted
    }

    private static let snakeCaseKeys = Mutex<[String: String]>([:])

    /// Asks Foundation to convert one key: encodes `{key: 0}` with `.convertToSnakeCase`.
    private struct KeyProbe: Encodable {
        let key: String

        static func convert(_ key: String) throws -> String {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            let data = try encoder.encode(KeyProbe(key: key))
            return try JSONDecoder().decode([String: Int].self, from: data).keys.first ?? key
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: AnyKey.self)
            try container.encode(0, forKey: AnyKey(stringValue: key))
        }
    }

    struct AnyKey: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }
}

/// `[String: V]` dictionaries, whose keys Foundation writes as they are.
protocol StringKeyedDictionary {
    func node() throws -> FastJSONEncoder.Node
}

extension Dictionary: StringKeyedDictionary where Key == String, Value: Encodable {
    func node() throws -> FastJSONEncoder.Node {
        let box = FastJSONEncoder.ObjectBox()
        for (key, value) in self { box.entries.append((key, try FastJSONEncoder.Node.of(value))) }
        return .object(box)
    }
}

/// The `Encoder` one value encodes itself into. `codingPath` is left empty: no view reads it.
private final class NodeEncoder: Encoder {
    typealias Node = FastJSONEncoder.Node
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var result: Node?
    /// The type being encoded. A primitive this file does not know (`Int128`, say) encodes itself
    /// as a single value of its own type, which would come straight back here: it falls back.
    let encoding: Any.Type

    init(encoding: Any.Type) { self.encoding = encoding }
    /// Inheritance-style encoding, which no view uses: Foundation's layout for it is not
    /// reproduced, so the value falls back.
    var usedSuperEncoder = false

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object(let box)? = result { return KeyedEncodingContainer(KeyedNodeContainer(box: box, owner: self)) }
        let box = FastJSONEncoder.ObjectBox()
        result = .object(box)
        return KeyedEncodingContainer(KeyedNodeContainer(box: box, owner: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array(let box)? = result { return UnkeyedNodeContainer(box: box, owner: self) }
        let box = FastJSONEncoder.ArrayBox()
        result = .array(box)
        return UnkeyedNodeContainer(box: box, owner: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleNodeContainer(encoder: self) }

    /// Marks the value for Foundation and hands out an encoder whose output is dropped.
    func fallBack() -> any Encoder {
        usedSuperEncoder = true
        return NodeEncoder(encoding: encoding)
    }
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: FastJSONEncoder.ObjectBox
    let owner: NodeEncoder
    var codingPath: [any CodingKey] { [] }

    private func set(_ node: FastJSONEncoder.Node, _ key: Key) { box.entries.append((FastJSONEncoder.snakeCase(key.stringValue), node)) }

    mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
    // The common primitives directly, without a dynamic cast each.
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { throw FastJSONEncoder.Unsupported() }
    mutating func encode(_ value: Float, forKey key: Key) throws { throw FastJSONEncoder.Unsupported() }
    mutating func encode(_ value: some Encodable, forKey key: Key) throws { set(try .of(value), key) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = FastJSONEncoder.ObjectBox()
        set(.object(nested), key)
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(box: nested, owner: owner))
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = FastJSONEncoder.ArrayBox()
        set(.array(nested), key)
        return UnkeyedNodeContainer(box: nested, owner: owner)
    }
    mutating func superEncoder() -> any Encoder { owner.fallBack() }
    mutating func superEncoder(forKey key: Key) -> any Encoder { owner.fallBack() }
}

private struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
    let box: FastJSONEncoder.ArrayBox
    let owner: NodeEncoder
    var codingPath: [any CodingKey] { [] }
    var count: Int { box.items.count }

    mutating func encodeNil() throws { box.items.append(.null) }
    mutating func encode(_ value: String) throws { box.items.append(.string(value)) }
    mutating func encode(_ value: Double) throws { throw FastJSONEncoder.Unsupported() }
    mutating func encode(_ value: Float) throws { throw FastJSONEncoder.Unsupported() }
    mutating func encode(_ value: some Encodable) throws { box.items.append(try .of(value)) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = FastJSONEncoder.ObjectBox()
        box.items.append(.object(nested))
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(box: nested, owner: owner))
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = FastJSONEncoder.ArrayBox()
        box.items.append(.array(nested))
        return UnkeyedNodeContainer(box: nested, owner: owner)
    }
    mutating func superEncoder() -> any Encoder { owner.fallBack() }
}

private struct SingleNodeContainer: SingleValueEncodingContainer {
    let encoder: NodeEncoder
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { encoder.result = .null }
    mutating func encode(_ value: String) throws { encoder.result = .string(value) }
    mutating func encode(_ value: Bool) throws { encoder.result = .bool(value) }
    mutating func encode(_ value: Int64) throws { encoder.result = .number(String(value)) }
    mutating func encode(_ value: Double) throws { throw FastJSONEncoder.Unsupported() }
    mutating func encode(_ value: Float) throws { throw FastJSONEncoder.Unsupported() }
    mutating func encode<T: Encodable>(_ value: T) throws {
        guard T.self != encoder.encoding else { throw FastJSONEncoder.Unsupported() }
        encoder.result = try .of(value)
    }
}
