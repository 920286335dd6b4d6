import Crypto
import Foundation
import NIOCore
import TuikeCore
import TuikeStore

/// Posters and QR images of links: composed from live data, drawn on the `RenderPool`, kept in
/// `PosterCache` under the hash of everything they show.
struct PosterService: Sendable {
    let materials: MaterialRepository
    let media: MediaRepository
    let pool: RenderPool
    let cache: PosterCache
    let publicURL: String
    let clock: any TuikeClock

    /// The school's name on posters and the mark on QR logos.
    static let programName = "推客学堂"
    static let logo = QRLogo(mark: "推", colour: RGB(red: 232, green: 82, blue: 63))

    func linkURL(_ link: Link) -> String { "\(publicURL)/r/\(link.code)" }

    struct Image: Sendable {
        let bytes: ByteBuffer
        /// A strong ETag: quoted hex SHA-256 of the image's inputs.
        let etag: String
    }

    // MARK: QR codes

    func qrPNG(_ link: Link, size: Int, logo: Bool) async throws -> Image {
        let text = MaterialKey.qr.appended(to: linkURL(link))
        let key = Self.digest(["qr.png", text, String(size), logo ? "logo" : "-"])
        if let cached = cache.get(key) { return Image(bytes: cached, etag: "\"\(key)\"") }
        let png = try await pool.run { () throws -> [UInt8] in
            try QRCode(text, correction: logo ? .high : .medium).png(size: size, logo: logo ? Self.logo : nil)
        }
        let bytes = ByteBuffer(bytes: png)
        cache.put(key, bytes)
        return Image(bytes: bytes, etag: "\"\(key)\"")
    }

    func qrSVG(_ link: Link, size: Int, logo: Bool) throws -> Image {
        let text = MaterialKey.qr.appended(to: linkURL(link))
        let svg = try QRCode(text, correction: logo ? .high : .medium).svg(size: size, logo: logo ? Self.logo : nil)
        return Image(bytes: ByteBuffer(string: svg), etag: "\"\(Self.digest(["qr.svg", text, String(size), logo ? "logo" : "-"]))\"")
    }

    // MARK: Posters

    /// The content a poster of `link` with `templateID` shows now; nil when the link has no
    /// product or the product, promoter or template does not exist (or is not active).
    func content(_ link: Link, templateID: String, groupID: String?) async throws -> (content: PosterContent, facts: PosterFacts)? {
        guard let productID = link.productID, PosterTemplate.isID(templateID),
              let facts = try await materials.posterFacts(productID: productID, promoterID: link.promoterID, templateID: templateID,
                                                          groupID: groupID, at: clock.now()),
              facts.productActive, facts.template.status == .active, facts.unlocked
        else { return nil }
        let group = facts.campaign.map { PosterContent.Group(price: $0.groupPrice, size: $0.groupSize, missing: $0.missing) }
        let content = PosterContent(
            template: facts.template, programName: Self.programName, title: facts.productTitle, price: facts.productPrice, group: group,
            promoterName: facts.promoterName, copyLine: facts.template.copyLine, coverSHA256: facts.coverSHA256,
            backgroundSHA256: facts.backgroundSHA256, qrText: MaterialKey.poster(facts.template.id).appended(to: linkURL(link)))
        return (content, facts)
    }

    func poster(_ content: PosterContent, facts: PosterFacts) async throws -> Image {
        let key = content.hash
        if let cached = cache.get(key) { return Image(bytes: cached, etag: "\"\(key)\"") }
        // Cover and background from their largest rendition: the poster never draws them wider.
        let cover = try await facts.coverMediaID.asyncMap { try await media.content($0, width: 960)?.bytes }
        let background = try await facts.template.backgroundMediaID.asyncMap { try await media.content($0, width: 960)?.bytes }
        let png = try await pool.run { () throws -> [UInt8] in
            try PosterRenderer.render(content, cover: try Self.raster(cover ?? nil), background: try Self.raster(background ?? nil))
        }
        let bytes = ByteBuffer(bytes: png)
        cache.put(key, bytes)
        return Image(bytes: bytes, etag: "\"\(key)\"")
    }

    /// A stored image decoded for drawing; an image that no longer decodes is left out rather than
    /// failing the poster.
    static func raster(_ bytes: [UInt8]?) throws -> Raster? {
        guard let bytes, let probe = try? ImageProbe.probe(bytes) else { return nil }
        return try? ImageDecoder.decode(bytes, as: probe)
    }

    static func digest(_ parts: [String]) -> String {
        // Lengths first, so no two different lists of parts encode the same.
        MediaIngest.sha256(Data(parts.map { "\($0.utf8.count):\($0)" }.joined(separator: "|").utf8))
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
