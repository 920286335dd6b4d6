/// A status with its allowed moves. The store moves a row with one conditional UPDATE whose
/// WHERE names the statuses it may come from, so a move happens once, and only along these
/// edges (a test reads the store's statements and checks each against `next`).
public protocol StatusMachine: RawRepresentable, CaseIterable, Hashable, Sendable where RawValue == String {
    /// The statuses this one may move to.
    var next: Set<Self> { get }
}

extension StatusMachine {
    public func canMove(to target: Self) -> Bool { next.contains(target) }

    /// No move leaves it.
    public var isFinal: Bool { next.isEmpty }

    /// The statuses `target` may be reached from in one move.
    public static func sources(of target: Self) -> [Self] { allCases.filter { $0.next.contains(target) } }
}
