import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TuikeCore
import TuikeStore

/// Image uploads (admin) and their public, immutable delivery.
///
/// An upload is checked from its bytes alone: the declared `Content-Type` is not trusted.
/// `ImageProbe` reads the real type and declared size from the header (an HTML or SVG file is
/// 415, a size beyond the limits 413 before any pixel is decoded), then the whole image is decoded
/// (a truncated or corrupt one is 415) and its renditions are made, and only then is anything stored.
struct MediaController {
    let media: MediaRepository
    let ingest: MediaIngest
    let publicURL: String
    let clock: any TuikeClock

    static let uploadPath = "/api/v1/media"

    func addRoutes(to api: APIRoutes) {
        api.add(.post, Self.uploadPath, summary: "Upload an image (PNG, JPEG or WebP, at most 10 MiB)", tag: "Materials", access: .admin,
                request: ["type": "string", "format": "binary",
                          "description": "The image's bytes (`Content-Type: image/png`, `image/jpeg` or `image/webp`; the type is read from the bytes)."],
                responses: [(201, "The image, stored.", Schemas.ref("Media")), (200, "The same bytes were already stored: that image.", Schemas.ref("Media")),
                            (413, "Larger than 10 MiB, or more than 8192 px a side or 40 megapixels.", nil),
                            (415, "Not a whole PNG, JPEG or WebP image.", nil)],
                handler: upload)
        api.add(.get, "/api/v1/media", summary: "List uploaded images, newest first", tag: "Materials", access: .admin,
                responses: [(200, "A page of images.", Schemas.page(of: "Media"))], parameters: Schemas.pagination, handler: list)
        api.add(.get, "/media/{id}", summary: "An uploaded image, or a downscaled copy of it", tag: "Materials", access: .publicAccess,
                responses: [(200, "The image; cached for a year (the URL names the content).", nil), (304, "Not modified.", nil)],
                parameters: [Schemas.query("w", Schemas.enumeration(Media.renditionWidths.map(String.init)),
                                           "A JPEG copy this many pixels wide (an image no wider is sent as it is).")],
                handler: serve)
    }

    struct MediaView: Encodable, Sendable {
        let id: String
        let url: String
        let width: Int64
        let height: Int64
        let sha256: String
        let mimeType: String
        let size: Int64
        let createdAt: Instant

        init(_ media: Media, publicURL: String) {
            id = media.id
            url = MediaController.url(media.id, publicURL: publicURL)
            width = media.width
            height = media.height
            sha256 = media.sha256
            mimeType = media.mimeType
            size = media.size
            createdAt = media.createdAt
        }

        static let schema = Schemas.object([
            ("id", Schemas.string), ("url", Schemas.string), ("width", Schemas.integer), ("height", Schemas.integer),
            ("sha256", Schemas.string), ("mime_type", Schemas.string), ("size", Schemas.integer), ("created_at", Schemas.time),
        ], required: ["id", "url", "width", "height", "sha256", "mime_type", "size", "created_at"])
    }

    static func url(_ id: String, publicURL: String, width: Int? = nil) -> String {
        "\(publicURL)/media/\(id)" + (width.map { "?w=\($0)" } ?? "")
    }

    @Sendable func upload(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let (stored, created) = try await ingest.store(try await MediaIngest.body(of: request))
        return try JSONOutput.response(MediaView(stored, publicURL: publicURL), status: created ? .created : .ok)
    }

    @Sendable func list(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let page = try PageRequest(request)
        let fetched = try await media.list(limit: page.limit + 1, before: page.cursor)
        return try JSONOutput.response(Page(fetched: fetched.map { MediaView($0, publicURL: publicURL) }, limit: page.limit, id: \.id))
    }

    @Sendable func serve(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let width = try request.uri.queryParameters["w"].map { text in
            guard let width = Int(text), Media.renditionWidths.contains(width) else {
                throw TuikeError.validation("w must be one of \(Media.renditionWidths.map(String.init).joined(separator: ", "))")
            }
            return width
        }
        guard Media.isID(id), let content = try await media.content(id, width: width) else { throw TuikeError.notFound("media", id) }
        return Self.immutable(ByteBuffer(bytes: content.bytes), type: content.mimeType, etag: content.etag, request: request)
    }

    /// An answer whose URL names its content: cached for a year, 304 to a matching `If-None-Match`.
    static func immutable(_ body: ByteBuffer, type: String, etag: String, request: Request, maxAge: Int = 31_536_000) -> Response {
        var headers: HTTPFields = [.eTag: etag, .cacheControl: "public, max-age=\(maxAge)\(maxAge >= 86_400 ? ", immutable" : "")",
                                   .xContentTypeOptions: "nosniff"]
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag || $0 == "*" }) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = type
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}
