import SQLKit
import TuikeCore

/// The journal entries and outbox events of one transaction, gathered while it runs and written
/// together by `write`: one INSERT per table for all of them rather than a few statements for each.
/// A payment books two entries and three events; on PostgreSQL every statement is a round trip.
struct Bookings {
    private var entries: [(entry: JournalEntry, reference: String)] = []
    private var events: [Outbox.Event] = []

    mutating func post(_ entry: JournalEntry, reference: String) { entries.append((entry, reference)) }

    mutating func emit(_ type: String, subject: String, payload: [String: Outbox.Value]) {
        events.append(Outbox.Event(type, subject: subject, payload: payload))
    }

    /// Writes what was gathered, inside the caller's transaction, and starts over.
    mutating func write(at now: Instant, in db: any SQLDatabase) async throws {
        if !entries.isEmpty { try await JournalRepository.post(entries, at: now, in: db) }
        try await Outbox.emit(events, at: now, in: db)
        entries = []
        events = []
    }
}
