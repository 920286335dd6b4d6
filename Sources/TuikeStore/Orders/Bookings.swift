import SQLKit
import TuikeCore

/// The journal entries, outbox events and other inserts of one transaction, gathered while it
/// runs and written together by `write` as one `StatementBatch`: one INSERT per table for all of
/// them, and on PostgreSQL one round trip for all the tables. A payment books two entries, three
/// events, its payment row, its commissions, the buyer's courses and binding.
struct Bookings: Sendable {
    private var entries: [(entry: JournalEntry, reference: String)] = []
    private var events: [Outbox.Event] = []
    /// Further writes that nothing in the transaction reads before `write` (see `StatementBatch`).
    var statements = StatementBatch()

    mutating func post(_ entry: JournalEntry, reference: String) { entries.append((entry, reference)) }

    mutating func emit(_ event: DomainEvent) { events.append(Outbox.Event(event)) }

    /// Writes what was gathered, inside the caller's transaction, and starts over.
    mutating func write(at now: Instant, in db: any SQLDatabase) async throws {
        try await batch(at: now).run(in: db)
        entries = []
        events = []
        statements = StatementBatch()
    }

    /// Writes what was gathered only if `requirement` returns a row, all of it as one statement on
    /// PostgreSQL, for `Database.writeStatement` (see `StatementBatch.runAlone`); returns whether it
    /// wrote.
    func writeAlone(requiring requirement: SQLQueryString, at now: Instant, in db: any SQLDatabase) async throws -> Bool {
        try await batch(at: now).runAlone(requiring: requirement, in: db)
    }

    private func batch(at now: Instant) -> StatementBatch {
        var batch = statements
        if !entries.isEmpty { JournalRepository.post(entries, at: now, into: &batch) }
        Outbox.emit(events, at: now, into: &batch)
        return batch
    }
}
