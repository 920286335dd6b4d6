import Logging
import Synchronization

/// A logger that keeps what is logged at `level` or above, for tests that check what was logged.
public final class CapturedLog: Sendable {
    public struct Entry: Sendable {
        public let message: String
        /// The module that logged it (swift-log's `source`).
        public let source: String
    }

    public let entries = Mutex<[Entry]>([])
    private let level: Logger.Level

    public init(level: Logger.Level = .warning) { self.level = level }

    public var messages: [String] { entries.withLock { $0.map(\.message) } }

    public var logger: Logger {
        var logger = Logger(label: "tuike-test-capture") { _ in Handler(log: self) }
        logger.logLevel = level
        return logger
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level
        init(log: CapturedLog) {
            self.log = log
            logLevel = log.level
        }
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            log.entries.withLock { $0.append(Entry(message: "\(event.message)", source: event.source)) }
        }
    }
}
