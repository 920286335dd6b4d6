import Foundation

/// What a product shows besides its text: a cover image, a gallery, a video hosted by a video
/// platform (its URL and a cover image), and a rich detail of text and images, sanitised by
/// `RichText` on the way in.
public struct ProductMedia: Sendable, Equatable {
    public var coverMediaID: String?
    public var gallery: [String]
    public var videoURL: String?
    public var videoCoverMediaID: String?
    public var detail: String

    public init(coverMediaID: String? = nil, gallery: [String] = [], videoURL: String? = nil, videoCoverMediaID: String? = nil, detail: String = "") {
        self.coverMediaID = coverMediaID
        self.gallery = gallery
        self.videoURL = videoURL
        self.videoCoverMediaID = videoCoverMediaID
        self.detail = detail
    }

    public static let maxGallery = 20
    public static let maxVideoURLLength = 1_000

    /// Every media id this names, each once, cover first.
    public var mediaIDs: [String] {
        var seen = Set<String>()
        return ([coverMediaID, videoCoverMediaID].compactMap { $0 } + gallery).filter { seen.insert($0).inserted }
    }

    public func validate() throws(TuikeError) {
        if gallery.count > Self.maxGallery { throw .validation("gallery holds at most \(Self.maxGallery) images") }
        for id in mediaIDs where !Media.isID(id) { throw .validation("\(id) is not a media id") }
        if let videoURL {
            guard videoURL.utf8.count <= Self.maxVideoURLLength, let url = URLComponents(string: videoURL), url.scheme?.lowercased() == "https",
                  let host = url.host, !host.isEmpty
            else { throw .validation("video_url must be an https URL of at most \(Self.maxVideoURLLength) bytes") }
        }
    }
}
