import Foundation
import SQLKit
import TuikeCore

/// Uploaded images and their renditions, by content. Nothing here deletes a media row: products,
/// templates and old posters may still name it, and identical bytes are stored once anyway.
public struct MediaRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    static let columns = "id, sha256, mime, width, height, size, created_at"

    /// Stores the image and its renditions in one transaction, unless the same bytes are already
    /// stored: then the stored media is returned and `created` is false.
    public func store(_ media: Media, bytes: [UInt8], renditions: [MediaRendition]) async throws -> (media: Media, created: Bool) {
        try await database.write { db in
            let inserted = try await db.first("""
                INSERT INTO media (id, sha256, mime, width, height, size, bytes, created_at)
                VALUES (\(bind: media.id), \(bind: media.sha256), \(bind: media.mimeType), \(bind: media.width), \(bind: media.height),
                        \(bind: media.size), \(bind: Data(bytes)), \(bind: media.createdAt.milliseconds))
                ON CONFLICT DO NOTHING RETURNING id
                """) != nil
            guard inserted else {
                return (try await Self.find(media.id, in: db).required("media", media.id), false)
            }
            for rendition in renditions {
                try await db.execute("""
                    INSERT INTO media_renditions (media_id, width, height, mime, bytes)
                    VALUES (\(bind: media.id), \(bind: rendition.width), \(bind: rendition.height), \(bind: rendition.mimeType), \(bind: Data(rendition.bytes)))
                    """)
            }
            return (media, true)
        }
    }

    public func find(_ id: String) async throws -> Media? {
        try await database.read { db in try await Self.find(id, in: db) }
    }

    static func find(_ id: String, in db: any SQLDatabase) async throws -> Media? {
        try await db.first("SELECT \(unsafeRaw: columns) FROM media WHERE id = \(bind: id)").map(decode)
    }

    public func find(_ ids: [String]) async throws -> [String: Media] {
        guard !ids.isEmpty else { return [:] }
        return try await database.read { db in
            let found = try await db.rows("SELECT \(unsafeRaw: Self.columns) FROM media WHERE id IN (\(SQLList(ids.map { SQLBind($0) })))").map(Self.decode)
            return Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// The ones of `ids` that exist.
    public func existing(_ ids: [String]) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return try await database.read { db in
            Set(try await db.rows("SELECT id FROM media WHERE id IN (\(SQLList(ids.map { SQLBind($0) })))").map { try $0.decode(column: "id", as: String.self) })
        }
    }

    /// Newest first.
    public func list(limit: Int, before: String?) async throws -> [Media] {
        try await database.read { db in
            // Content-named ids say nothing of time: the page boundary is the creation time and id.
            let condition: SQLQueryString
            if let before, let anchor = try await Self.find(before, in: db) {
                condition = "created_at < \(bind: anchor.createdAt.milliseconds) OR (created_at = \(bind: anchor.createdAt.milliseconds) AND id < \(bind: before))"
            } else {
                condition = "1 = 1"
            }
            return try await db.rows("""
                SELECT \(unsafeRaw: Self.columns) FROM media WHERE \(condition) ORDER BY created_at DESC, id DESC LIMIT \(bind: limit)
                """).map(Self.decode)
        }
    }

    public struct Content: Sendable {
        public let mimeType: String
        public let bytes: [UInt8]
        /// The strong validator: the original's SHA-256, with the rendition's width.
        public let etag: String
    }

    /// The original, or the rendition `width` wide; an image narrower than the rendition is its
    /// own rendition.
    public func content(_ id: String, width: Int?) async throws -> Content? {
        try await database.read { db in
            guard let media = try await Self.find(id, in: db) else { return nil }
            if let width, Int64(width) < media.width,
               let row = try await db.first("SELECT mime, bytes FROM media_renditions WHERE media_id = \(bind: id) AND width = \(bind: Int64(width))") {
                return Content(mimeType: try row.decode(column: "mime", as: String.self), bytes: Array(try row.decode(column: "bytes", as: Data.self)),
                               etag: "\"\(media.sha256)-w\(width)\"")
            }
            guard let row = try await db.first("SELECT bytes FROM media WHERE id = \(bind: id)") else { return nil }
            return Content(mimeType: media.mimeType, bytes: Array(try row.decode(column: "bytes", as: Data.self)), etag: "\"\(media.sha256)\"")
        }
    }

    static func decode(_ row: any SQLRow) throws -> Media {
        Media(id: try row.decode(column: "id", as: String.self), sha256: try row.decode(column: "sha256", as: String.self),
              mimeType: try row.decode(column: "mime", as: String.self), width: try row.decode(column: "width", as: Int64.self),
              height: try row.decode(column: "height", as: Int64.self), size: try row.decode(column: "size", as: Int64.self),
              createdAt: try row.decodeInstant(column: "created_at"))
    }
}
