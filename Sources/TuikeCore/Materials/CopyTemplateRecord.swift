/// A copy text the merchant wrote for promoters to paste with their link, for one product or
/// (`productID == nil`) for every product. Its placeholders are checked when it is saved and
/// filled with live values for each promoter (`CopyTemplate.fill`).
public struct CopyTemplate: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable { case active, archived }

    public let id: String
    public var productID: String?
    public var text: String
    public var status: Status
    /// Only promoters holding this badge see it (`PosterTemplate.badgeID`).
    public var badgeID: String?
    public let createdAt: Instant
    public var updatedAt: Instant

    public init(id: String, productID: String?, text: String, status: Status = .active, badgeID: String? = nil, createdAt: Instant, updatedAt: Instant) {
        self.badgeID = badgeID
        self.id = id
        self.productID = productID
        self.text = text
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public static let maxTemplates = 500
}
