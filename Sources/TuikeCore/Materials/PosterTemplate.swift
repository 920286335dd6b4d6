import Foundation

/// How a poster looks: its layout, the merchant's colours, an optional background image and a
/// line of copy. Two are built in (`portrait` for Moments, `square` for chats); the merchant edits
/// them or adds more. A poster's cache key includes every field, so an edit shows at once.
public struct PosterTemplate: Sendable, Equatable, Hashable {
    public enum Layout: String, Sendable, CaseIterable, Hashable {
        case portrait, square

        /// Pixels: 9:16 for Moments and stories, square for chat bubbles.
        public var size: (width: Int, height: Int) {
            switch self {
            case .portrait: (720, 1_280)
            case .square: (800, 800)
            }
        }
    }

    public enum Status: String, Sendable, CaseIterable, Hashable { case active, archived }

    public var id: String
    public var name: String
    public var layout: Layout
    public var brandColour: String
    public var backgroundColour: String
    public var backgroundMediaID: String?
    public var copyLine: String
    public var status: Status
    /// Only promoters holding this badge (an unexpired award of the rule) see and use it: a perk.
    public var badgeID: String?
    public var createdAt: Instant
    public var updatedAt: Instant

    public init(id: String, name: String, layout: Layout, brandColour: String, backgroundColour: String, backgroundMediaID: String? = nil,
                copyLine: String, status: Status = .active, badgeID: String? = nil, createdAt: Instant, updatedAt: Instant) {
        self.badgeID = badgeID
        self.id = id
        self.name = name
        self.layout = layout
        self.brandColour = brandColour
        self.backgroundColour = backgroundColour
        self.backgroundMediaID = backgroundMediaID
        self.copyLine = copyLine
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public static let maxNameLength = 40
    public static let maxCopyLineLength = 60
    public static let maxTemplates = 50

    /// Ids travel in share URLs (`?s=p.<id>`): short, lower-case, URL-safe.
    public static func isID(_ text: String) -> Bool {
        (1...32).contains(text.utf8.count) && text.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5f }
    }

    public static func isColour(_ text: String) -> Bool {
        text.utf8.count == 7 && text.hasPrefix("#") && text.utf8.dropFirst().allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || (0x41...0x46).contains($0) }
    }

    public func validate() throws(TuikeError) {
        if !Self.isID(id) { throw .validation("id must be 1 to 32 lower-case letters, digits or _") }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || name.count > Self.maxNameLength { throw .validation("name must be 1 to \(Self.maxNameLength) characters") }
        try PlainText.check(name, field: "name")
        for (field, colour) in [("brand_colour", brandColour), ("background_colour", backgroundColour)] where !Self.isColour(colour) {
            throw .validation("\(field) must be a colour like #e8523f")
        }
        if let backgroundMediaID, !Media.isID(backgroundMediaID) { throw .validation("background_media_id is not a media id") }
        if copyLine.count > Self.maxCopyLineLength { throw .validation("copy_line is longer than \(Self.maxCopyLineLength) characters") }
        try PlainText.check(copyLine, field: "copy_line")
    }
}
