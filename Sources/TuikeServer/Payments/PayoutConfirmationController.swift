import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// What a promoter's page needs to confirm a transfer WeChat Pay holds until the promoter accepts
/// it in WeChat: `wx.requestMerchantTransfer({mchId, appId, package})`. Only while the withdrawal
/// is approved and WeChat Pay waits; the promoter's own, or an admin's.
struct PayoutConfirmationController {
    let withdrawals: WithdrawalRepository
    let wechatPay: WechatPayPayments

    struct ConfirmationView: Encodable {
        let provider: String
        let mchId: String
        let appId: String
        let package: String
    }

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/api/v1/withdrawals/{id}/confirmation", summary: "What the promoter confirms a WeChat transfer with (wx.requestMerchantTransfer)",
                tag: "Withdrawals", access: .adminOrPromoter,
                responses: [(200, "The confirmation's parameters.", Schemas.object([("provider", Schemas.string), ("mch_id", Schemas.string),
                                                                                    ("app_id", Schemas.string), ("package", Schemas.string)])),
                            (404, "Nothing waits for the promoter's confirmation.", nil)]) { _, context in
            let id = try context.parameters.require("id")
            guard let withdrawal = try await withdrawals.find(id) else { throw TuikeError.notFound("withdrawal", id) }
            try context.requireSelfOrAdmin(withdrawal.promoterID)
            guard withdrawal.status == .approved, let found = try await wechatPay.providers.confirmation(withdrawalID: id),
                  let config = try await WechatPayConfig.load(from: wechatPay.providers, at: wechatPay.clock.now()) else {
                throw TuikeError(.notFound, code: "not_found", "withdrawal \(id) waits for no confirmation")
            }
            return try JSONOutput.response(ConfirmationView(provider: found.provider, mchId: config.mchid, appId: config.appid, package: found.package))
        }
    }
}
