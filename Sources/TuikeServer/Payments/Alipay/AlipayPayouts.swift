import Foundation
import TuikeCore
import TuikeStore

/// Withdrawals to the promoter's Alipay account (single transfers, `alipay.fund.trans.uni.transfer`),
/// for withdrawals on the `alipay` channel. The account is the promoter's Alipay user id
/// (`2088…`), or a login id (phone or e-mail) followed by `|` and the account holder's real name,
/// which Alipay checks. The withdrawal id is the merchant's transfer number, so asking twice is one
/// transfer. `SUCCESS` is paid; `FAIL` and Alipay's refusals are failed (the money returns to
/// available); `DEALING` keeps the withdrawal approved until a later query settles it.
struct AlipayPayouts: ChannelPayoutProvider {
    let name = AlipayConfig.provider
    let channel = ProgramSettings.Channel.alipay
    let payments: AlipayPayments

    func isConfigured() async throws -> Bool { try await AlipayConfig.load(from: payments.providers) != nil }

    struct Payee: Encodable, Equatable {
        let identity: String
        let identityType: String
        let name: String?
        enum CodingKeys: String, CodingKey { case identity, identityType = "identity_type", name }
    }

    static func payee(_ account: String) -> Payee? {
        let parts = account.split(separator: "|", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let identity = parts.first, !identity.isEmpty, identity.count <= 100 else { return nil }
        if identity.count == 16, identity.hasPrefix("2088"), identity.allSatisfy({ $0.isASCII && $0.isNumber }) {
            return Payee(identity: identity, identityType: "ALIPAY_USER_ID", name: nil)
        }
        guard parts.count == 2, !parts[1].isEmpty else { return nil }
        return Payee(identity: identity, identityType: "ALIPAY_LOGON_ID", name: parts[1])
    }

    private struct TransferBiz: Encodable {
        let outBizNo, transAmount, productCode, bizScene, orderTitle, remark: String
        let payeeInfo: Payee
        enum CodingKeys: String, CodingKey {
            case outBizNo = "out_biz_no", transAmount = "trans_amount", productCode = "product_code", bizScene = "biz_scene"
            case orderTitle = "order_title", remark, payeeInfo = "payee_info"
        }
    }

    struct Transfer: Decodable {
        let outBizNo: String?
        let orderId: String?
        let status: String?
        let transAmount: String?
        let failReason: String?
        enum CodingKeys: String, CodingKey {
            case outBizNo = "out_biz_no", orderId = "order_id", status, transAmount = "trans_amount", failReason = "fail_reason"
        }
    }

    func pay(withdrawal: Withdrawal, resuming: Bool) async throws -> PayoutResult {
        let client = try await payments.client()
        if resuming {
            let found = try await client.call("alipay.fund.trans.common.query", biz: [
                "out_biz_no": withdrawal.id, "product_code": "TRANS_ACCOUNT_NO_PWD", "biz_scene": "DIRECT_TRANSFER",
            ])
            if found.succeeded { return try Self.result(try AlipayClient.read(Transfer.self, found), withdrawal: withdrawal) }
            guard found.subCode == "ORDER_NOT_EXIST" else { throw found.refusal }
        }
        // Checked only before a transfer is made: one that may exist is settled by its query above.
        guard let payee = withdrawal.account.flatMap(Self.payee) else {
            throw TuikeError(.unprocessable, code: "payout_failed",
                             "an Alipay transfer needs the promoter's Alipay user id (2088…), or a login id and the holder's name as login|name")
        }
        let answer = try await client.call("alipay.fund.trans.uni.transfer", biz: TransferBiz(
            outBizNo: withdrawal.id, transAmount: Money.format(withdrawal.payout), productCode: "TRANS_ACCOUNT_NO_PWD", bizScene: "DIRECT_TRANSFER",
            orderTitle: "推广佣金提现", remark: "推广佣金", payeeInfo: payee))
        guard answer.succeeded else {
            throw TuikeError(.conflict, code: "payout_failed", "Alipay did not transfer: \(answer.subCode ?? answer.code) \(answer.message)")
        }
        return try Self.result(try AlipayClient.read(Transfer.self, answer), withdrawal: withdrawal)
    }

    static func result(_ transfer: Transfer, withdrawal: Withdrawal) throws -> PayoutResult {
        guard transfer.outBizNo == nil || transfer.outBizNo == withdrawal.id,
              transfer.transAmount.map({ Money.parse($0) == withdrawal.payout }) ?? true else {
            throw ProviderUnreachable(provider: AlipayConfig.provider, reason: "a transfer for \(transfer.outBizNo ?? "-") of \(transfer.transAmount ?? "-"), not this withdrawal")
        }
        switch transfer.status {
        case "SUCCESS": return .paid(reference: transfer.orderId ?? withdrawal.id)
        case "FAIL", "REFUND", "CLOSED":
            throw TuikeError(.conflict, code: "payout_failed", "Alipay did not transfer: \(transfer.failReason ?? transfer.status ?? "")")
        default: return .pending(reason: "Alipay's transfer is \(transfer.status ?? "in an unknown state")")
        }
    }
}
