import HTTPTypes
import Hummingbird

/// The pages' words in Chinese (default) and English, chosen by `?lang=` (remembered in a cookie
/// by `LanguageMiddleware`), else by `Accept-Language`.
enum Language: String, Sendable {
    case zh, en

    static let cookieName = "tk_lang"

    static func of(_ request: Request) -> Language {
        if let asked = request.uri.queryParameters["lang"], let language = Language(rawValue: String(asked)) { return language }
        if let chosen = request.cookies[cookieName]?.value, let language = Language(rawValue: chosen) { return language }
        let accepted = request.headers[.acceptLanguage]?.lowercased() ?? ""
        // The first language the browser names wins; Chinese unless that is English.
        return accepted.hasPrefix("en") ? .en : .zh
    }

    var htmlTag: String { self == .zh ? "zh-CN" : "en" }

    /// The words for code (`strings[.buy]`); `table` is the same for templates (`{{t.buy}}`).
    var strings: Words { Words(table: table) }
    var table: [String: String] { self == .zh ? Strings.allZh : Strings.allEn }
}

/// One language's words. A key without an entry shows as the key itself rather than stopping the
/// server: a missing word is a visible typo, never a crash (a test checks that both languages have
/// every key the other has).
struct Words: Sendable {
    let table: [String: String]

    subscript(word: Word) -> String { table[word.rawValue] ?? word.rawValue }

    /// The word for `key`, or nil where there is none (for labels built from data, with a fallback).
    func lookup(_ key: String) -> String? { table[key] }

    /// The label of a value from data (`state_paid`, `kind_course`), else the value itself: a
    /// test checks that every value of each labelled enum has its words.
    func label(_ prefix: String, _ value: String) -> String { table["\(prefix)_\(value)"] ?? value }
}

enum Strings {
    static let allZh = zh.merging(consoleZh) { first, _ in first }
    static let allEn = en.merging(consoleEn) { first, _ in first }

    static let zh: [String: String] = [
        "held_reason": "审核原因",
        "risk_self_purchase_ip": "本人网络下单",
        "risk_self_purchase_device": "本人设备下单",
        "risk_click_flood": "异常点击",
        "risk_conversion_anomaly": "转化率异常",
        "risk_refund_abuse": "退款率过高",
        "risk_shared_device_group": "同设备多人参团",
        "risk_shared_payout_account": "收款账户与他人共用",
        "risk_new_promoter_burst": "新推客订单激增",
        "shop": "推客学堂", "courses": "全部课程", "buy": "立即购买", "price": "价格", "group_buy": "拼团", "group_price": "拼团价",
        "leader_price": "团长价", "open_group": "我要开团", "join_group": "参团", "forming_groups": "正在拼的团，可直接参团",
        "no_groups": "暂时没有可参加的团，开一个吧！", "people_group": "人团", "members": "已拼", "slots_left": "还差", "people": "人",
        "ends_in": "剩余", "group": "拼团", "status_pending": "等待团长支付", "status_forming": "拼团中", "status_succeeded": "拼团成功",
        "status_failed": "拼团失败，已原路退款", "status_cancelled": "团已取消", "share": "邀请好友参团", "copy": "复制链接",
        "copied": "已复制", "watch_video": "观看视频", "poster_hint": "长按图片保存海报，或把这个页面直接分享给好友。", "view_course": "查看课程",
        "share_page": "分享页", "leader": "团长", "not_found": "没有找到", "back": "返回首页", "english": "English", "chinese": "中文",
        "live": "实时更新", "from": "原价", "home_title": "好课推荐", "sandbox_note": "沙箱环境：支付不会真实扣款",
        "portal_login": "推客登录", "phone": "手机号", "password": "密码", "login": "登录", "logout": "退出登录", "invite_code": "邀请码",
        "pending": "预估收益（待结算）", "available": "可提现", "withdrawn": "已提现", "last_30_days": "近 30 天", "clicks": "点击", "orders": "订单",
        "conversion": "转化率", "withdraw": "申请提现", "amount_yuan": "金额（元）", "my_links": "我的推广链接", "material_center": "素材中心", "material_hint": "选一门课，保存海报或二维码发到群里、朋友圈，或复制文案；每次分享带来的点击和订单都会记在这份素材上。",
        "my_account": "我的账户", "save_qr": "保存二维码", "save_poster": "保存海报", "save_image": "保存图片", "open_materials": "打开素材中心：海报、二维码、文案",
        "commissions": "佣金明细",
        "statements": "结算单", "gross": "应发", "tax": "个税", "net": "实发", "withdrawals": "提现记录", "team": "我的团队", "incentives": "勋章与积分", "points": "积分", "badge_coupon": "专属优惠券", "month_rank": "本月销售额排名", "unranked": "暂未上榜", "none": "暂无",
        "login_failed": "手机号或密码不正确", "login_throttled": "尝试次数过多，请 15 分钟后再试", "withdraw_requested": "提现申请已提交，等待财务审核",
        "commission_pending": "待结算", "commission_held": "审核中", "commission_settled": "已结算", "commission_withdrawn": "已提现",
        "commission_reversed": "已退回", "commission_rejected": "已驳回",
        "console": "管理后台", "console_login": "管理后台登录", "username": "用户名", "paid_orders": "已支付订单", "commission_cost": "佣金成本",
        "days": "天", "funnel": "转化漏斗", "top_promoters": "推客排行", "withdrawals_queue": "待审核提现", "approve": "通过并打款",
        "reject": "驳回", "reason": "驳回原因",
        "apply_title": "申请成为推客", "name": "姓名", "agreement": "推客协议", "signature": "签名（请输入您的姓名，视为签署本协议）",
        "appeal": "对这笔佣金有疑问？申诉", "appeal_hint": "请说明情况", "appeal_send": "提交申诉", "appeals": "我的申诉",
        "appeal_sent": "申诉已提交，我们会尽快答复", "withdrawal_requested": "审核中", "withdrawal_approved": "打款中",
        "withdrawal_paid": "已到账", "withdrawal_failed": "打款失败，已退回余额", "withdrawal_rejected": "已驳回", "appeal_open": "处理中", "appeal_answered": "已答复",
        "apply": "同意协议并提交申请", "applied": "申请已提交", "applied_message": "我们会尽快审核，通过后即可用手机号和密码登录。",
        "applied_active_message": "欢迎加入！请用手机号和刚才设置的密码登录。",
        "checkout": "收银台", "checkout_order": "订单", "total": "合计", "pay_sandbox": "支付（沙箱）", "paid_thanks": "已支付，谢谢！", "pay_wechat": "微信支付", "scan_wechat": "请用微信扫一扫支付，支付后本页会自动更新。",
        "pay_alipay": "支付宝支付",
        "order_status": "订单状态", "see_group": "查看拼团进度", "sandbox_payment": "这是沙箱支付，不会真实扣款。",
        "order_not_found": "订单不存在",
    ]
    static let en: [String: String] = [
        "held_reason": "Under review for",
        "risk_self_purchase_ip": "Own address bought",
        "risk_self_purchase_device": "Own device bought",
        "risk_click_flood": "Click flood",
        "risk_conversion_anomaly": "Abnormal conversion",
        "risk_refund_abuse": "High refund rate",
        "risk_shared_device_group": "One device, several group buyers",
        "risk_shared_payout_account": "Payout account shared",
        "risk_new_promoter_burst": "New promoter's sudden volume",
        "shop": "Tuike Academy", "courses": "All courses", "buy": "Buy now", "price": "Price", "group_buy": "Group buy", "group_price": "Group price",
        "leader_price": "Leader price", "open_group": "Start a group", "join_group": "Join", "forming_groups": "Groups forming now — join one",
        "no_groups": "No group to join right now. Start one!", "people_group": "-person group", "members": "Joined", "slots_left": "Needs",
        "people": "more", "ends_in": "Ends in", "group": "Group", "status_pending": "Waiting for the leader to pay", "status_forming": "Forming",
        "status_succeeded": "Group complete!", "status_failed": "Group failed; everyone was refunded", "status_cancelled": "Group cancelled",
        "share": "Invite friends to join", "copy": "Copy link", "copied": "Copied", "watch_video": "Watch the video", "poster_hint": "Long-press the poster to save it, or share this page as it is.",
        "view_course": "View the course", "share_page": "Share page", "leader": "Leader", "not_found": "Not found",
        "back": "Back to the shop", "english": "English", "chinese": "中文", "live": "Live", "from": "List price",
        "home_title": "Recommended courses", "sandbox_note": "Sandbox: payments here move no real money",
        "portal_login": "Promoter login", "phone": "Phone", "password": "Password", "login": "Log in", "logout": "Log out",
        "invite_code": "Invite code", "pending": "Estimated (pending)", "available": "Available", "withdrawn": "Withdrawn", "last_30_days": "Last 30 days",
        "clicks": "Clicks", "orders": "Orders", "conversion": "Conversion", "withdraw": "Withdraw", "amount_yuan": "Amount (yuan)",
        "my_links": "My links", "material_center": "Material center",
        "material_hint": "Pick a course and share a poster or QR code into a chat or Moments, or copy a text; the clicks and orders each share brings are credited to that material.",
        "my_account": "My account", "save_qr": "Save QR code", "save_poster": "Save poster", "save_image": "Save image",
        "open_materials": "Open the material center: posters, QR codes, texts", "commissions": "Commissions", "statements": "Statements", "gross": "Gross", "tax": "Tax", "net": "Net",
        "withdrawals": "Withdrawals", "team": "My team", "incentives": "Badges and points", "points": "Points", "badge_coupon": "Your coupon", "month_rank": "This month's sales rank", "unranked": "not ranked yet", "none": "None yet", "login_failed": "Wrong phone number or password",
        "login_throttled": "Too many attempts; try again in 15 minutes",
        "withdraw_requested": "Withdrawal requested; finance will review it", "commission_pending": "Pending", "commission_held": "Held for review",
        "commission_settled": "Settled", "commission_withdrawn": "Withdrawn", "commission_reversed": "Reversed", "commission_rejected": "Rejected",
        "console": "Console", "console_login": "Console login", "username": "Username", "paid_orders": "Paid orders",
        "commission_cost": "Commission cost", "days": "days", "funnel": "Funnel", "top_promoters": "Top promoters",
        "withdrawals_queue": "Withdrawals to review", "approve": "Approve and pay", "reject": "Reject", "reason": "Reason",
        "apply_title": "Become a promoter", "name": "Name", "agreement": "Promoter agreement",
        "signature": "Signature (type your name to sign the agreement)", "apply": "Agree and apply",
        "appeal": "Question about this commission? Appeal", "appeal_hint": "What happened?", "appeal_send": "Send appeal", "appeals": "My appeals",
        "appeal_sent": "Appeal sent; we will answer soon", "withdrawal_requested": "under review", "withdrawal_approved": "paying out",
        "withdrawal_paid": "paid", "withdrawal_failed": "failed, back in your balance", "withdrawal_rejected": "rejected", "appeal_open": "open", "appeal_answered": "answered", "applied": "Application received",
        "applied_message": "We will review it soon; once approved, log in with your phone and password.",
        "applied_active_message": "Welcome aboard! Log in with your phone and the password you just chose.",
        "checkout": "Checkout", "checkout_order": "Order", "total": "Total", "pay_sandbox": "Pay (sandbox)", "paid_thanks": "Paid. Thank you!", "pay_wechat": "WeChat Pay", "scan_wechat": "Scan with WeChat to pay; this page updates once you have paid.",
        "pay_alipay": "Pay with Alipay",
        "order_status": "Order status", "see_group": "See the group", "sandbox_payment": "This is a sandbox payment; no money moves.",
        "order_not_found": "Order not found",
    ]
}

/// Remembers a language chosen with `?lang=` for the next pages (a year, like the visitor cookie).
struct LanguageMiddleware: RouterMiddleware {
    typealias Context = TuikeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if let asked = request.uri.queryParameters["lang"], let language = Language(rawValue: String(asked)) {
            response.headers.append(HTTPField(name: .setCookie, value: "\(Language.cookieName)=\(language.rawValue); Path=/; Max-Age=31536000; SameSite=Lax"))
        }
        return response
    }
}
