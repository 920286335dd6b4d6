import Foundation
import Hummingbird
import TuikeCore

/// A request body: its `Keys` are every field it accepts, so a misspelt field is refused rather
/// than silently ignored, and the list of fields is written once.
protocol RequestBody: Decodable {
    associatedtype Keys: CodingKey & CaseIterable
    /// The fields a body may send: its `Keys`, unless an operation accepts fewer.
    static var fieldNames: Set<String> { get }
}

extension RequestBody {
    static var fieldNames: Set<String> { Set(Keys.allCases.map(\.stringValue)) }
}

extension CommissionRule: RequestBody {
    typealias Keys = CodingKeys
}

/// Reading request bodies with errors a client can act on: syntax errors and wrong types are 400
/// with the field named; unknown fields are 422. The body is parsed once: the fields are checked
/// on the decoder's own container before the type decodes itself from it.
enum JSONBody {
    static func decode<T: RequestBody>(_ type: T.Type, from request: Request, context: TuikeRequestContext) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw TuikeError(.malformed, code: "payload_too_large", "the request body is larger than \(context.maxUploadSize) bytes")
        }
        return try decode(type, from: Data(buffer: buffer))
    }

    static func decode<T: RequestBody>(_ type: T.Type, from data: Data) throws -> T {
        // PostgreSQL refuses NUL in text (SQLite would store it): refused here for both, 422.
        guard !containsNUL(data) else { throw TuikeError.validation("text in the request body must not contain NUL characters (\\u0000)") }
        return try decode(Checked<T>.self, from: data, with: JSONDecoder()).value
    }

    /// Whether the JSON text escapes a NUL (`\u0000` after an odd run of backslashes; a raw NUL
    /// byte is not JSON and the decoder refuses it anyway).
    static func containsNUL(_ data: Data) -> Bool {
        let bytes = [UInt8](data)
        let escape: [UInt8] = Array("u0000".utf8)
        var index = 1
        while index + escape.count <= bytes.count {
            if bytes[index] == UInt8(ascii: "u"), bytes[index..<(index + escape.count)].elementsEqual(escape) {
                var backslashes = 0
                var back = index - 1
                while back >= 0, bytes[back] == UInt8(ascii: "\\") { backslashes += 1; back -= 1 }
                if backslashes % 2 == 1 { return true }
            }
            index += 1
        }
        return false
    }

    /// A body Tuike wrote itself (merged settings): no field check.
    static func decode<T: Decodable>(trusted type: T.Type, from data: Data) throws -> T {
        try decode(type, from: data, with: JSONDecoder())
    }

    private static func decode<T: Decodable>(_ type: T.Type, from data: Data, with decoder: JSONDecoder) throws -> T {
        guard !data.isEmpty else { throw notAnObject }
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            switch error {
            // Not JSON at all, or (the decoder says the same, with no field named) a number that
            // is not an integer of the field's range: only then is the body parsed a second time,
            // to tell the two apart.
            case .dataCorrupted(let context) where context.codingPath.isEmpty:
                _ = try jsonObject(data)
                throw TuikeError(.malformed, code: "invalid_request", "a number in the request body is not an integer, or is out of range")
            case .typeMismatch(_, let context) where context.codingPath.isEmpty,
                 .valueNotFound(_, let context) where context.codingPath.isEmpty:
                throw notAnObject
            // A value of the right JSON type that the field does not accept (an unknown enum
            // case, a time that is not RFC 3339) is a validation failure, not a malformed body.
            case .dataCorrupted(let context) where !context.codingPath.isEmpty:
                throw TuikeError.validation(describe(error))
            default:
                throw TuikeError(.malformed, code: "invalid_request", describe(error))
            }
        }
    }

    static let notAnObject = TuikeError(.malformed, code: "malformed_json", "the request body must be a JSON object")

    /// Parses the body as a JSON object, or explains why it is not one (settings are merged as
    /// objects before they are decoded).
    static func jsonObject(_ data: Data) throws -> [String: Any] {
        guard !data.isEmpty else { throw notAnObject }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw TuikeError(.malformed, code: "malformed_json", "the request body is not valid JSON")
        }
        guard let object = parsed as? [String: Any] else { throw notAnObject }
        return object
    }

    static func rejectUnknown(_ keys: some Sequence<String>, allowed: Set<String>, prefix: String) throws(TuikeError) {
        let unknown = keys.filter { !allowed.contains($0) }.sorted()
        guard unknown.isEmpty else {
            let names = unknown.map { "\(prefix)\($0)" }.joined(separator: ", ")
            throw TuikeError.validation("unknown field\(unknown.count > 1 ? "s" : ""): \(names)")
        }
    }

    /// `T` decoded after its fields were checked, from the same decoder.
    private struct Checked<T: RequestBody>: Decodable {
        let value: T

        init(from decoder: any Decoder) throws {
            let keys = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
            try JSONBody.rejectUnknown(keys, allowed: T.fieldNames, prefix: "")
            value = try T(from: decoder)
        }
    }

    private struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.hasPrefix(".") ? String(keys.dropFirst()) : keys
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "field \(path(context)) must be \(describe(type))"
        case .valueNotFound(let type, let context):
            return "field \(path(context)) must be \(describe(type)), not null"
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "field \(parent.isEmpty ? "" : parent + ".")\(key.stringValue) is required"
        case .dataCorrupted(let context):
            let where_ = path(context)
            return where_.isEmpty ? "the request body is not valid JSON" : "field \(where_) is invalid: \(context.debugDescription)"
        @unknown default:
            return "the request body does not match the expected shape"
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int64.Type, is Int.Type, is Int64?.Type, is Int?.Type: "an integer"
        case is String.Type, is String?.Type: "a string"
        case is Bool.Type, is Bool?.Type: "true or false"
        case is [Any].Type: "an array"
        default: "of type \(type)"
        }
    }
}

/// Writes JSON responses: snake_case keys, RFC 3339 times (via `Instant`), explicit nulls where a
/// view encodes them.
enum JSONOutput {
    /// The reference for every response's bytes; `FastJSONEncoder` writes the same, faster.
    static let foundationEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: try encode(value))))
    }

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        if let writable = value as? any JSONWritable {
            var json = JSONWriter(capacity: 1_024)
            writable.writeJSON(to: &json)
            assert(json.bytes == (try? foundationEncoder.encode(value)).map(Array.init), "\(type(of: value)).writeJSON differs from Foundation")
            return json.bytes
        }
        guard let fast = try? FastJSONEncoder.encode(value) else { return Array(try foundationEncoder.encode(value)) }
        assert(fast == (try? foundationEncoder.encode(value)).map(Array.init), "FastJSONEncoder differs from Foundation for \(type(of: value))")
        return fast
    }
}

extension KeyedDecodingContainer {
    /// A field of a PATCH body that may be cleared: absent (nil: unchanged), null (.some(nil):
    /// cleared) or a value.
    func decodeNullable(_ key: Key) throws -> String?? {
        guard contains(key) else { return nil }
        return .some(try decodeNil(forKey: key) ? nil : try decode(String.self, forKey: key))
    }
}
