/// Who brought the buyer: docs/rules.md §3, as a pure function of what the store found.
public enum Attribution {
    public enum Rule: String, Codable, Sendable {
        case binding, coupon, firstClick = "first_click", lastClick = "last_click", linear, none
    }

    /// A recorded click, as attribution needs it.
    public struct Click: Equatable, Sendable {
        public let id: String
        public let linkID: String
        public let promoterID: String
        public let visitorID: String
        public let at: Instant
        public let isBot: Bool

        public init(id: String, linkID: String, promoterID: String, visitorID: String, at: Instant, isBot: Bool = false) {
            self.id = id
            self.linkID = linkID
            self.promoterID = promoterID
            self.visitorID = visitorID
            self.at = at
            self.isBot = isBot
        }
    }

    /// A buyer's binding to a promoter (客户关系保护期); `expiresAt == nil` is permanent.
    public struct Binding: Equatable, Sendable {
        public let promoterID: String
        public let expiresAt: Instant?

        public init(promoterID: String, expiresAt: Instant?) {
            self.promoterID = promoterID
            self.expiresAt = expiresAt
        }

        public func isActive(at now: Instant) -> Bool { expiresAt.map { now < $0 } ?? true }
    }

    /// What the rules need to know about a candidate promoter.
    public struct Candidate: Equatable, Sendable {
        public let status: Promoter.Status
        public let buyerID: String?

        public init(status: Promoter.Status, buyerID: String?) {
            self.status = status
            self.buyerID = buyerID
        }
    }

    public struct Input: Sendable {
        public var buyerID: String
        public var now: Instant
        public var model: ProgramSettings.AttributionModel
        public var windowDays: Int64
        public var binding: Binding?
        public var couponPromoterID: String?
        /// The visitor's clicks (or the one explicit click), in any order; the function filters them.
        public var clicks: [Click]
        public var promoters: [String: Candidate]

        public init(buyerID: String, now: Instant, model: ProgramSettings.AttributionModel = .firstClick, windowDays: Int64 = 30,
                    binding: Binding? = nil, couponPromoterID: String? = nil, clicks: [Click] = [], promoters: [String: Candidate] = [:]) {
            self.buyerID = buyerID
            self.now = now
            self.model = model
            self.windowDays = windowDays
            self.binding = binding
            self.couponPromoterID = couponPromoterID
            self.clicks = clicks
            self.promoters = promoters
        }
    }

    public struct Result: Equatable, Sendable {
        /// The level-1 promoter (the first of `promoters`), nil when nobody brought the buyer.
        public var promoterID: String? { promoters.first }
        /// Level-1 promoters in order; more than one only for `linear`, earliest click first.
        public let promoters: [String]
        public let rule: Rule
        /// The click that decided, for the order's attribution snapshot.
        public let clickID: String?
        /// The chosen promoter is the buyer: the order pays no commission at any level.
        public let selfReferral: Bool

        public static let none = Result(promoters: [], rule: .none, clickID: nil, selfReferral: false)
    }

    public static let dedupeWindowMilliseconds: Int64 = 60_000

    public static func decide(_ input: Input) -> Result {
        func isActive(_ id: String) -> Bool { input.promoters[id]?.status == .active }
        func isSelf(_ ids: [String]) -> Bool { ids.contains { input.promoters[$0]?.buyerID == input.buyerID } }

        if let binding = input.binding, binding.isActive(at: input.now), isActive(binding.promoterID) {
            return Result(promoters: [binding.promoterID], rule: .binding, clickID: nil, selfReferral: isSelf([binding.promoterID]))
        }
        if let coupon = input.couponPromoterID, isActive(coupon) {
            return Result(promoters: [coupon], rule: .coupon, clickID: nil, selfReferral: isSelf([coupon]))
        }
        let windowStart = input.now.adding(milliseconds: -input.windowDays * 86_400_000)
        // Repeat clicks within 60 s count once (sorted by `dedupe`), so a reload never becomes the
        // deciding click.
        let eligible = dedupe(input.clicks.filter { !$0.isBot && $0.at >= windowStart && $0.at <= input.now && isActive($0.promoterID) })
        guard let earliest = eligible.first, let latest = eligible.last else { return .none }
        switch input.model {
        case .firstClick:
            return Result(promoters: [earliest.promoterID], rule: .firstClick, clickID: earliest.id, selfReferral: isSelf([earliest.promoterID]))
        case .lastClick:
            return Result(promoters: [latest.promoterID], rule: .lastClick, clickID: latest.id, selfReferral: isSelf([latest.promoterID]))
        case .linear:
            var seen = Set<String>()
            let distinct = eligible.map(\.promoterID).filter { seen.insert($0).inserted }
            return Result(promoters: distinct, rule: .linear, clickID: earliest.id, selfReferral: isSelf(distinct))
        }
    }

    /// Splits `amount` equally over `count` parts; the remainder fen go to the first parts
    /// (the earliest promoters), one each.
    public static func linearSplit(_ amount: Int64, into count: Int) -> [Int64] {
        guard count > 0 else { return [] }
        let base = amount / Int64(count)
        let remainder = Int(amount % Int64(count))
        return (0..<count).map { base + ($0 < remainder ? 1 : 0) }
    }

    /// The clicks that count once for attribution (docs/rules.md §3): from one visitor on one link,
    /// a click within 60 s of the last counted one does not count again. All still count as PV.
    public static func dedupe(_ clicks: [Click]) -> [Click] {
        var lastCounted: [String: Instant] = [:]
        var counted: [Click] = []
        for click in clicks.sorted(by: { ($0.at, $0.id) < ($1.at, $1.id) }) {
            let key = click.visitorID + "\u{1F}" + click.linkID
            if let last = lastCounted[key], click.at.milliseconds - last.milliseconds < dedupeWindowMilliseconds { continue }
            lastCounted[key] = click.at
            counted.append(click)
        }
        return counted
    }
}

/// Crawlers and link previewers: counted apart, never attributed. Runs on every click, so it
/// searches ASCII-lowercased bytes instead of going through Foundation's locale-aware search.
public enum BotDetector {
    static let markers: [[UInt8]] = [
        "bot", "crawler", "spider", "slurp", "crawl", "facebookexternalhit", "embedly", "quora link preview",
        "whatsapp", "preview", "headlesschrome", "curl/", "wget/", "python-requests", "python-urllib",
        "go-http-client", "java/", "okhttp", "libwww", "httpclient", "scrapy", "phantomjs", "sogou", "semrush", "ahrefs",
    ].map { Array($0.utf8) }

    /// The markers by their first byte, so one pass over the user agent tries at each position
    /// only the markers that can start there.
    static let markersByFirstByte: [[[UInt8]]] = (0..<256).map { (byte: Int) in markers.filter { Int($0[0]) == byte } }

    public static func isBot(userAgent: String?) -> Bool {
        guard var userAgent, !userAgent.isEmpty else { return true }
        return userAgent.withUTF8 { bytes in
            for start in bytes.indices {
                for marker in markersByFirstByte[Int(lowercased(bytes[start]))] where start + marker.count <= bytes.count {
                    var matched = 1
                    while matched < marker.count && lowercased(bytes[start + matched]) == marker[matched] { matched += 1 }
                    if matched == marker.count { return true }
                }
            }
            return false
        }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 { (65...90).contains(byte) ? byte + 32 : byte }
}
