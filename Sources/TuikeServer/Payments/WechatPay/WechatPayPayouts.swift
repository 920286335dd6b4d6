import Foundation
import TuikeCore
import TuikeStore

/// Withdrawals to the promoter's WeChat balance (商家转账, `transfer-bills`), for withdrawals on
/// the `wechat` channel whose account is the promoter's openid under the merchant's app, followed
/// by `|` and the promoter's real name where one is given (required from 2,000 yuan; sent
/// encrypted with the platform key). The merchant's bill number is the withdrawal id without its
/// underscore (WeChat Pay takes letters and digits only), so asking twice is one transfer.
/// WeChat Pay's states map to the rules': `SUCCESS` is paid, `FAIL` and `CANCELLED` are failed
/// (the money returns to available), every other state keeps the withdrawal approved until a
/// later query settles it. While a bill waits for the promoter to confirm it in WeChat
/// (`WAIT_USER_CONFIRM`), its `package_info` is kept for the promoter's page
/// (`GET /api/v1/withdrawals/{id}/confirmation`).
struct WechatPayPayouts: ChannelPayoutProvider {
    let name = WechatPayConfig.provider
    let channel = ProgramSettings.Channel.wechat
    let payments: WechatPayPayments

    func isConfigured() async throws -> Bool { try await WechatPayConfig.load(from: payments.providers, at: payments.clock.now()) != nil }
    /// WeChat Pay's transfer scene for commissions and rewards (佣金报酬).
    static let sceneID = "1005"
    /// From this amount (fen) WeChat Pay needs the payee's real name.
    static let namedFrom: Int64 = 200_000

    /// The openid and, when given, the real name of an account written `openid|姓名`.
    static func payee(_ account: String?) -> (openid: String, name: String?)? {
        let parts = (account ?? "").split(separator: "|", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let openid = parts.first, (1...128).contains(openid.count), openid.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else { return nil }
        let name = parts.count == 2 && !parts[1].isEmpty ? parts[1] : nil
        return (openid, name)
    }

    static func billNumber(_ withdrawal: Withdrawal) -> String { withdrawal.id.filter { $0.isASCII && ($0.isLetter || $0.isNumber) } }

    private struct TransferRequest: Encodable {
        struct ReportInfo: Encodable {
            let infoType: String
            let infoContent: String
            enum CodingKeys: String, CodingKey { case infoType = "info_type", infoContent = "info_content" }
        }
        let appid, outBillNo, transferSceneId, openid, transferRemark: String
        let userName: String?
        let transferAmount: Int64
        let transferSceneReportInfos: [ReportInfo]
        enum CodingKeys: String, CodingKey {
            case appid, outBillNo = "out_bill_no", transferSceneId = "transfer_scene_id", openid, transferRemark = "transfer_remark"
            case userName = "user_name", transferAmount = "transfer_amount", transferSceneReportInfos = "transfer_scene_report_infos"
        }
    }

    struct Bill: Decodable {
        let outBillNo: String?
        let transferBillNo: String?
        let state: String?
        let transferAmount: Int64?
        let failReason: String?
        let packageInfo: String?
        enum CodingKeys: String, CodingKey {
            case outBillNo = "out_bill_no", transferBillNo = "transfer_bill_no", state, transferAmount = "transfer_amount", failReason = "fail_reason"
            case packageInfo = "package_info"
        }
    }

    func pay(withdrawal: Withdrawal, resuming: Bool) async throws -> PayoutResult {
        let client = try await payments.client()
        let number = Self.billNumber(withdrawal)
        // After a lost answer, ask before sending again: the bill may exist already.
        if resuming {
            let reply = try await client.call("GET", "/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/\(number)", tolerating: ["NOT_FOUND"])
            if (200..<300).contains(reply.status) {
                let bill = try Self.read(reply.body)
                // Waiting for a confirmation whose package was lost with the answer: the promoter
                // could never confirm it, so it is cancelled, and the query after that fails it.
                if bill.state == "WAIT_USER_CONFIRM", try await payments.providers.confirmation(withdrawalID: withdrawal.id) == nil {
                    _ = try await client.call("POST", "/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/\(number)/cancel",
                                              tolerating: ["NOT_FOUND", "INVALID_REQUEST"])
                    return .pending(reason: "WeChat Pay's transfer is being cancelled: its confirmation was lost")
                }
                return try await result(bill, withdrawal: withdrawal)
            }
        }
        // Checked only before a bill is made: a bill that may exist is settled by its query above.
        guard let payee = Self.payee(withdrawal.account) else {
            throw TuikeError(.unprocessable, code: "payout_failed", "a WeChat transfer needs the promoter's openid as the withdrawal's account")
        }
        guard payee.name != nil || withdrawal.payout < Self.namedFrom else {
            throw TuikeError(.unprocessable, code: "payout_failed",
                             "WeChat Pay needs the payee's real name from \(Money.format(Self.namedFrom)) yuan: give the account as openid|姓名")
        }
        let name = try payee.name.map { try client.encrypt($0) }
        let request = TransferRequest(
            appid: client.config.appid, outBillNo: number, transferSceneId: Self.sceneID, openid: payee.openid, transferRemark: "推广佣金提现",
            userName: name?.ciphertext, transferAmount: withdrawal.payout,
            transferSceneReportInfos: [.init(infoType: "岗位类型", infoContent: "推广员"), .init(infoType: "报酬说明", infoContent: "推广佣金")])
        let bill = try await client.call("POST", "/v3/fund-app/mch-transfer/transfer-bills", json: request, answer: Bill.self,
                                         headers: name.map { ["Wechatpay-Serial": $0.serial] } ?? [:])
        return try await result(bill, withdrawal: withdrawal)
    }

    static func read(_ body: Data) throws -> Bill {
        do { return try JSONDecoder().decode(Bill.self, from: body) } catch { throw WechatPayPayments.unreadable("\(error)") }
    }

    func result(_ bill: Bill, withdrawal: Withdrawal) async throws -> PayoutResult {
        guard bill.outBillNo == nil || bill.outBillNo == Self.billNumber(withdrawal), bill.transferAmount == nil || bill.transferAmount == withdrawal.payout else {
            throw WechatPayPayments.unreadable("a bill for \(bill.outBillNo ?? "-") of \(bill.transferAmount ?? 0), not this withdrawal")
        }
        switch bill.state {
        case "SUCCESS": return .paid(reference: bill.transferBillNo ?? Self.billNumber(withdrawal))
        case "FAIL", "CANCELLED":
            throw TuikeError(.conflict, code: "payout_failed", "WeChat Pay did not transfer: \(bill.failReason ?? bill.state ?? "")")
        case "WAIT_USER_CONFIRM":
            if let package = bill.packageInfo, !package.isEmpty {
                try await payments.providers.saveConfirmation(withdrawalID: withdrawal.id, provider: name, package: package, at: payments.clock.now())
            }
            return .pending(reason: "WeChat Pay's transfer waits for the promoter to confirm it in WeChat")
        default: return .pending(reason: "WeChat Pay's transfer is \(bill.state ?? "in an unknown state")")
        }
    }
}
