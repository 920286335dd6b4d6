import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// A product as the API shows it.
struct ProductView: Encodable, Sendable {
    let id: String
    let title: String
    let description: String
    let kind: String
    let price: Int64
    let currency: String
    @ExplicitNull var stock: Int64?
    let status: String
    let createdAt: Instant
    let updatedAt: Instant
    @ExplicitNull var coverMediaId: String?
    @ExplicitNull var coverUrl: String?
    let gallery: [GalleryImage]
    @ExplicitNull var videoUrl: String?
    @ExplicitNull var videoCoverMediaId: String?
    let detail: String
    let skus: [SkuView]

    struct SkuView: Encodable, Sendable {
        let code: String
        let attributes: [String: String]
        let label: String
        let price: Int64
        let stock: Int64
        @ExplicitNull var commission: CommissionRule?

        /// A variant's own commission rule is the merchant's business: shown to admins only.
        init(_ sku: Sku, showRule: Bool = true) {
            code = sku.code
            attributes = sku.attributes
            label = sku.label
            price = sku.price
            stock = sku.stock
            commission = showRule ? sku.rule : nil
        }
    }

    struct GalleryImage: Encodable, Sendable { let id: String; let url: String; let thumbUrl: String }

    init(_ product: Product, media: ProductMedia? = nil, skus: [Sku] = [], publicURL: String = "", admin: Bool = true) {
        self.skus = skus.map { SkuView($0, showRule: admin) }
        id = product.id
        title = product.title
        description = product.description
        kind = product.kind.rawValue
        price = product.price
        currency = product.currency
        stock = product.stock
        status = product.status.rawValue
        createdAt = product.createdAt
        updatedAt = product.updatedAt
        let media = media ?? ProductMedia()
        coverMediaId = media.coverMediaID
        coverUrl = media.coverMediaID.map { MediaController.url($0, publicURL: publicURL) }
        gallery = media.gallery.map { id in
            GalleryImage(id: id, url: MediaController.url(id, publicURL: publicURL), thumbUrl: MediaController.url(id, publicURL: publicURL, width: 480))
        }
        videoUrl = media.videoURL
        videoCoverMediaId = media.videoCoverMediaID
        detail = media.detail
    }
}
