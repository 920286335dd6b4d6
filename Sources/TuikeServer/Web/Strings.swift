import Hummingbird

/// The pages' words in Chinese (default) and English, chosen by `?lang=` or `Accept-Language`.
enum Language: String, Sendable {
    case zh, en

    static func of(_ request: Request) -> Language {
        if let asked = request.uri.queryParameters["lang"], let language = Language(rawValue: String(asked)) { return language }
        let accepted = request.headers[.acceptLanguage]?.lowercased() ?? ""
        // The first language the browser names wins; Chinese unless that is English.
        return accepted.hasPrefix("en") ? .en : .zh
    }

    var htmlTag: String { self == .zh ? "zh-CN" : "en" }

    var strings: [String: String] { self == .zh ? Strings.zh : Strings.en }
}

enum Strings {
    static let zh: [String: String] = [
        "shop": "推客学堂", "courses": "全部课程", "buy": "立即购买", "price": "价格", "group_buy": "拼团", "group_price": "拼团价",
        "leader_price": "团长价", "open_group": "我要开团", "join_group": "参团", "forming_groups": "正在拼的团，可直接参团",
        "no_groups": "暂时没有可参加的团，开一个吧！", "people_group": "人团", "members": "已拼", "slots_left": "还差", "people": "人",
        "ends_in": "剩余", "group": "拼团", "status_pending": "等待团长支付", "status_forming": "拼团中", "status_succeeded": "拼团成功",
        "status_failed": "拼团失败，已原路退款", "status_cancelled": "团已取消", "share": "邀请好友参团", "copy": "复制链接",
        "copied": "已复制", "leader": "团长", "not_found": "没有找到", "back": "返回首页", "english": "English", "chinese": "中文",
        "live": "实时更新", "from": "原价", "home_title": "好课推荐", "sandbox_note": "沙箱环境：支付不会真实扣款",
    ]
    static let en: [String: String] = [
        "shop": "Tuike Academy", "courses": "All courses", "buy": "Buy now", "price": "Price", "group_buy": "Group buy", "group_price": "Group price",
        "leader_price": "Leader price", "open_group": "Start a group", "join_group": "Join", "forming_groups": "Groups forming now — join one",
        "no_groups": "No group to join right now. Start one!", "people_group": "-person group", "members": "Joined", "slots_left": "Needs",
        "people": "more", "ends_in": "Ends in", "group": "Group", "status_pending": "Waiting for the leader to pay", "status_forming": "Forming",
        "status_succeeded": "Group complete!", "status_failed": "Group failed; everyone was refunded", "status_cancelled": "Group cancelled",
        "share": "Invite friends to join", "copy": "Copy link", "copied": "Copied", "leader": "Leader", "not_found": "Not found",
        "back": "Back to the shop", "english": "English", "chinese": "中文", "live": "Live", "from": "List price",
        "home_title": "Recommended courses", "sandbox_note": "Sandbox: payments here move no real money",
    ]
}
