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
        commandName: "tuike-bench", abstract: "Data for Tuike's benchmarks.", subcommands: [SeedCommissions.self])
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
