import SQLKit
import TuikeCore

extension SQLRow {
    /// Decodes a TEXT column into a string enum. Done by hand because PostgresKit would try to read
    /// a non-primitive `Decodable` as JSON.
    func decodeEnum<E: RawRepresentable>(column: String, as type: E.Type) throws -> E where E.RawValue == String {
        let raw = try decode(column: column, as: String.self)
        guard let value = E(rawValue: raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(column) has unknown value \(raw)"))
        }
        return value
    }

    func decodeInstant(column: String) throws -> Instant {
        Instant(milliseconds: try decode(column: column, as: Int64.self))
    }

    func decodeOptionalInstant(column: String) throws -> Instant? {
        try decode(column: column, as: Int64?.self).map(Instant.init(milliseconds:))
    }
}
