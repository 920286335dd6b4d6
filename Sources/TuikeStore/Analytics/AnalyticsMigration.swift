/// Analytics: each payment keeps what its commissions depended on (`CommissionInputs`), so the
/// plan simulator can replay it as the live engine saw it. Payments made before have none and
/// are replayed approximately (`PlanSimulation.approximateOrders`).
enum AnalyticsMigration {
    static let migration = Migration(version: 29, name: "analytics", statements: [
        "ALTER TABLE payments ADD COLUMN commission_inputs TEXT",
    ])
}
