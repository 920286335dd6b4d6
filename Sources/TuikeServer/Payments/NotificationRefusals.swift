import Logging
import Metrics
import TuikeCore

/// A provider notification refused: logged at error level and counted
/// (`tuike_payment_notifications_refused{provider, code}` on `/metrics`), since each one is a
/// misconfiguration or someone forging payments, and either needs a person.
enum NotificationRefusals {
    static func report(_ error: TuikeError, provider: String, logger: Logger) {
        logger.error("payment notification refused, nothing booked", metadata: ["provider": "\(provider)", "code": "\(error.code)", "reason": "\(error.message)"])
        Counter(label: "tuike_payment_notifications_refused", dimensions: [("provider", provider), ("code", error.code)]).increment()
    }
}
