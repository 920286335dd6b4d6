import Foundation

/// A video on a video platform (视频号, Douyin…) that shows products. Promoters share it through
/// links of their own (`video_id`), so Tuike counts its clicks, orders, GMV and commission; the
/// platform's own numbers (plays, likes, comments, shares) are pushed by integrators per day.
public struct Video: Equatable, Sendable {
    public enum Status: String, Codable, Sendable, CaseIterable { case active, archived }

    public let id: String
    public var title: String
    public var url: String
    public var coverMediaID: String?
    public var productIDs: [String]
    public var status: Status
    public let createdAt: Instant

    public init(id: String, title: String, url: String, coverMediaID: String?, productIDs: [String], status: Status, createdAt: Instant) {
        self.id = id
        self.title = title
        self.url = url
        self.coverMediaID = coverMediaID
        self.productIDs = productIDs
        self.status = status
        self.createdAt = createdAt
    }

    public static let maxProducts = 20

    public static func validate(title: String, url: String, productIDs: [String]) throws(TuikeError) {
        try Product.validate(title: title)
        guard url.count <= 2_000, let parsed = URL(string: url), parsed.scheme == "https", parsed.host?.isEmpty == false else {
            throw .validation("url must be an https address of the video on its platform")
        }
        if productIDs.count > maxProducts { throw .validation("a video links at most \(maxProducts) products") }
        if Set(productIDs).count != productIDs.count { throw .validation("product_ids has duplicates") }
    }
}

/// A day of a video's numbers on its platform, for the video's own account (`promoterID` nil) or
/// for one promoter's share of it. Pushing the same day again replaces that day's numbers.
public struct VideoDayStats: Equatable, Sendable {
    public let videoID: String
    public let promoterID: String?
    public let day: String
    public let plays: Int64
    public let likes: Int64
    public let comments: Int64
    public let shares: Int64

    public init(videoID: String, promoterID: String?, day: String, plays: Int64, likes: Int64, comments: Int64, shares: Int64) {
        self.videoID = videoID
        self.promoterID = promoterID
        self.day = day
        self.plays = plays
        self.likes = likes
        self.comments = comments
        self.shares = shares
    }

    /// Far above any real video; low enough that a year of sums cannot overflow.
    public static let maxCount: Int64 = 1_000_000_000_000

    /// Checks the numbers and the day: a calendar day (`YYYY-MM-DD`) not after today in the
    /// program's time zone (the platform reports finished or running days, never future ones).
    public func validate(today: String) throws(TuikeError) {
        for (name, value) in [("plays", plays), ("likes", likes), ("comments", comments), ("shares", shares)]
        where !(0...Self.maxCount).contains(value) {
            throw .validation("\(name) must be between 0 and \(Self.maxCount)")
        }
        guard CalendarDays.startOfDay(day, timeZone: "UTC") != nil else { throw .validation("day must be a date like 2026-12-03") }
        if day > today { throw .validation("day \(day) is in the future (today is \(today) in the program's time zone)") }
    }
}

/// A video's (or a promoter's share's) figures: the platform's and Tuike's side by side.
public struct VideoPerformance: Equatable, Sendable {
    public let videoID: String
    public let promoterID: String?
    public var plays: Int64 = 0
    public var likes: Int64 = 0
    public var comments: Int64 = 0
    public var shares: Int64 = 0
    public var clicks: Int64 = 0
    public var orders: Int64 = 0
    public var gmv: Int64 = 0
    public var commission: Int64 = 0

    public init(videoID: String, promoterID: String?) {
        self.videoID = videoID
        self.promoterID = promoterID
    }
}
