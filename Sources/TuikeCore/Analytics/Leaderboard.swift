import Foundation

/// Leaderboards (rules §17): promoters ranked over a calendar day, week (from Monday) or month of
/// the program's time zone, on their own attributed sales or their commission. Equal values share
/// a rank and the next rank skips (1, 2, 2, 4); promoters with nothing are left off, and nobody is
/// invented to fill the board.
public enum Leaderboard {
    public enum Metric: String, Sendable, CaseIterable {
        /// What buyers paid in the period, less what was refunded in it.
        case gmv
        /// Orders paid in the period.
        case orders
        /// Commission earned in the period, less what refunds reversed in it.
        case commission
    }

    public struct Entry: Sendable, Equatable {
        public let rank: Int
        public let promoterID: String
        public let value: Int64
    }

    /// Every promoter with a positive value, ranked; ties in id order so the board is stable.
    public static func rank(_ values: [String: Int64]) -> [Entry] {
        let sorted = values.filter { $0.value > 0 }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        var entries: [Entry] = []
        entries.reserveCapacity(sorted.count)
        for (index, pair) in sorted.enumerated() {
            let rank = index > 0 && sorted[index - 1].value == pair.value ? entries[index - 1].rank : index + 1
            entries.append(Entry(rank: rank, promoterID: pair.key, value: pair.value))
        }
        return entries
    }

    /// Another promoter's name as a promoter sees it on the board: its first character, then `**`.
    public static func mask(_ name: String) -> String {
        guard let first = name.first else { return "**" }
        return "\(first)**"
    }

    /// The most entries a board returns.
    public static let maxLimit = 1000
}
