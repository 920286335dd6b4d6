import Crypto
import Foundation
import Hummingbird
import NIOCore
import TuikeCore
import TuikeStore

/// Checks, decodes and stores an image with its renditions: uploads and the demo school's covers.
struct MediaIngest: Sendable {
    let media: MediaRepository
    let pool: RenderPool
    let clock: any TuikeClock

    /// An upload's bytes, refused with 413 past `Media.maxBytes` without reading the rest.
    static func body(of request: Request) async throws -> [UInt8] {
        do {
            return Array(buffer: try await request.body.collect(upTo: Media.maxBytes))
        } catch {
            throw TuikeError.tooLarge("an image may be at most 10 MiB (\(Media.maxBytes) bytes)")
        }
    }

    /// The stored image, and whether this call stored it (false: the same bytes were already there).
    func store(_ bytes: [UInt8]) async throws -> (Media, created: Bool) {
        let probe: ImageProbe
        do {
            probe = try ImageProbe.probe(bytes)
        } catch {
            throw error.tuikeError
        }
        let sha256 = Self.sha256(bytes)
        let id = Media.id(sha256: sha256)
        if let existing = try await media.find(id) { return (existing, false) }
        let renditions = try await pool.run { () throws -> [MediaRendition] in
            let raster = try ImageDecoder.decode(bytes, as: probe)
            var renditions: [MediaRendition] = []
            for width in Media.renditionWidths where width < probe.width {
                let scaled = try raster.scaled(toWidth: width)
                renditions.append(MediaRendition(width: Int64(width), height: Int64(scaled.height), mimeType: "image/jpeg", bytes: try scaled.jpeg()))
            }
            return renditions
        }
        let item = Media(id: id, sha256: sha256, mimeType: probe.mimeType, width: Int64(probe.width), height: Int64(probe.height),
                         size: Int64(bytes.count), createdAt: clock.now())
        return try await media.store(item, bytes: bytes, renditions: renditions)
    }

    /// Lower-case hex SHA-256: media ids, poster hashes and QR image ETags.
    static func sha256(_ bytes: some DataProtocol) -> String {
        SHA256.hash(data: bytes).map { byte in byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16) }.joined()
    }
}
