/// An uploaded image, named by its content: the same bytes are always the same media, so an
/// upload repeated (a retry, a double submit) stores nothing new.
public struct Media: Sendable, Equatable {
    public let id: String
    public let sha256: String
    public let mimeType: String
    public let width: Int64
    public let height: Int64
    public let size: Int64
    public let createdAt: Instant

    public init(id: String, sha256: String, mimeType: String, width: Int64, height: Int64, size: Int64, createdAt: Instant) {
        self.id = id
        self.sha256 = sha256
        self.mimeType = mimeType
        self.width = width
        self.height = height
        self.size = size
        self.createdAt = createdAt
    }

    /// 10 MiB: a phone photo fits; anything larger is refused before it is read in full.
    public static let maxBytes = 10 * 1_024 * 1_024

    /// `med_` and the first 128 bits of the SHA-256 in hex.
    public static func id(sha256 hex: String) -> String { "med_" + hex.prefix(32) }

    public static func isID(_ text: String) -> Bool {
        text.utf8.count == 36 && text.hasPrefix("med_") && text.utf8.dropFirst(4).allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Widths of the downscaled copies kept for lists (thumbs), cards and posters: JPEG, made at upload
    /// for images wider than them.
    public static let renditionWidths = [160, 480, 960]
}

/// A downscaled copy of a media image.
public struct MediaRendition: Sendable, Equatable {
    public let width: Int64
    public let height: Int64
    public let mimeType: String
    public let bytes: [UInt8]

    public init(width: Int64, height: Int64, mimeType: String, bytes: [UInt8]) {
        self.width = width
        self.height = height
        self.mimeType = mimeType
        self.bytes = bytes
    }
}
