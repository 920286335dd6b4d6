import ArgumentParser
import Foundation
import Logging
import TuikeBench
import TuikeCore
import TuikeStore

/// Benchmark tooling, kept out of the `tuike` binary that production runs.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tuike-bench", abstract: "Data for Tuike's benchmarks.", subcommands: [SeedCommissions.self, SeedSchool.self])
}

struct SeedCommissions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-commissions", abstract: "Fill an empty database with pending commissions for bench/settle.sh, all eligible now.")
    @Option(help: "A SQLite file path or a postgres:// URL.") var database: String
    @Option(help: "Active promoters to create.") var promoters: Int = 10_000
    @Option(help: "Pending commissions spread over them.") var commissions: Int = 1_000_000

    func run() async throws {
        guard promoters > 0, commissions >= promoters else { throw ValidationError("need at least one commission per promoter") }
        var logger = Logger(label: "tuike-bench")
        logger.logLevel = .warning
        let store = try await StoreFactory.open(database, logger: logger)
        let now = Instant(Date())
        try await Migrator(database: store).migrate(now: now.milliseconds)
        try await BenchmarkSeed.pendingCommissions(promoters: promoters, commissions: commissions, eligibleAt: now, now: now, database: store)
        try await store.shutdown()
        print("Seeded \(commissions) pending commissions over \(promoters) promoters.")
    }
}

struct SeedSchool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-school",
        abstract: "Fill an empty database with a year of a large school for bench/reads.sh: promoters in three-level teams, clicks, paid "
            + "orders with their commissions, refunds, monthly settlements and withdrawals, and the journal of it all.")
    @Option(help: "A SQLite file path or a postgres:// URL.") var database: String
    @Option(help: "Active promoters, each with one link.") var promoters: Int = 10_000
    @Option(help: "Clicks over the year.") var clicks: Int = 10_000_000
    @Option(help: "Paid orders over the year.") var orders: Int = 1_000_000

    func run() async throws {
        guard promoters > 0, clicks > 0, orders >= 0 else { throw ValidationError("need at least one promoter and one click") }
        let started = ContinuousClock.now
        var logger = Logger(label: "tuike-bench")
        logger.logLevel = .warning
        let store = try await StoreFactory.open(database, logger: logger)
        let now = Instant(Date())
        try await Migrator(database: store).migrate(now: now.milliseconds)
        let report: LargeSchool.Report
        do {
            report = try await LargeSchool.seed(promoters: promoters, clicks: clicks, orders: orders, now: now, database: store)
        } catch {
            try? await store.shutdown()
            throw error
        }
        try await store.shutdown()
        print(report)
        let (seconds, attoseconds) = (ContinuousClock.now - started).components
        print("Seeded a year of \(promoters) promoters, \(clicks) clicks and \(orders) orders in "
            + String(format: "%.1f", Double(seconds) + Double(attoseconds) / 1e18) + " s.")
    }
}
