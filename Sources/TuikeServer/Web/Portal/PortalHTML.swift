/// The promoter's portal page (`/me`) as HTML, from the model `PortalController` gathers: its
/// balance, traffic, withdrawal form, links, commissions with an appeal form each, statements,
/// withdrawals, appeals and team (`HTMLWriting`).
struct PortalHTML: ModelHTML {
    let strings: Words
    let model: [String: Any]
    var out = ""

    init(strings: Words, model: [String: Any]) {
        self.strings = strings
        self.model = model
    }

    /// A card's rows, or "none" when it has none.
    private mutating func rows(_ key: String, _ row: (inout PortalHTML, [String: Any]) -> Void) {
        let items = Self.nodes(model, key)
        for item in items { row(&self, item) }
        if items.isEmpty { raw("<p class=\"muted\">"); say(.`none`); raw("</p>") }
    }

    mutating func write() {
        let promoter = child("promoter"), balance = child("balance"), stats = child("stats")
        raw("<div class=\"card\"><h1>"); text(promoter["name"]); raw("</h1><p class=\"muted\">"); say(.inviteCode); raw(" "); text(promoter["invite_code"]); raw("</p>\n")
        if let notice = model["notice"] as? String, !notice.isEmpty { raw("<p class=\"status succeeded\">"); text(notice); raw("</p>") }
        if let error = model["error"] as? String, !error.isEmpty { raw("<p class=\"status failed\">"); text(error); raw("</p>") }
        raw("\n<div class=\"grid\">")
        for (bucket, word) in [("pending", Word.pending), ("available", .available), ("withdrawn", .withdrawn)] {
            raw("<div><div class=\"muted\">"); say(word); raw("</div><div class=\"price\" data-balance=\"\(bucket)\">¥"); text(balance[bucket]); raw("</div></div>")
        }
        raw("</div>\n<p class=\"muted\">"); say(.last30Days); raw(": "); say(.clicks); raw(" "); text(stats["pv"]); raw(" · UV "); text(stats["uv"])
        raw(" · "); say(.orders); raw(" "); text(stats["orders"]); raw(" · "); say(.conversion); raw(" "); text(stats["conversion"]); raw("</p>\n")
        raw("<form method=\"post\" action=\"/me/logout\">"); hidden(nonce: false); raw("<button class=\"btn alt\" type=\"submit\">"); say(.logout); raw("</button></form></div>\n")

        raw("<div class=\"card\"><h2>"); say(.withdraw); raw("</h2><form method=\"post\" action=\"/me/withdraw\">"); hidden()
        raw("\n<p><label>"); say(.amountYuan); raw(" <input name=\"amount\" inputmode=\"decimal\" required></label>\n<select name=\"channel\">")
        for channel in model["channels"] as? [String] ?? [] { raw("<option value=\""); text(channel); raw("\">"); text(channel); raw("</option>") }
        raw("</select></p>\n<button class=\"btn\" type=\"submit\">"); say(.withdraw); raw("</button></form></div>\n")

        raw("<div class=\"card\"><h2>"); say(.myLinks); raw("</h2><p><a class=\"btn\" href=\"/me/materials\" data-materials>"); say(.openMaterials); raw("</a> ")
        raw("<a class=\"btn alt\" href=\"/me/videos\" data-videos>"); say(.navVideos); raw("</a></p>")
        for link in Self.nodes(model, "links") {
            raw("<div class=\"row\"><input class=\"share\" id=\"link-"); text(link["code"]); raw("\" readonly value=\""); text(link["url"]); raw("\">\n")
            raw("<button class=\"btn alt\" type=\"button\" data-copy=\"link-"); text(link["code"]); raw("\" data-done=\""); say(.copied); raw("\">")
            say(.copy); raw("</button></div>")
        }
        raw("</div>\n<div class=\"card\" id=\"commissions\"><h2>"); say(.commissions); raw("</h2>\n<p class=\"tabs\">")
        for filter in Self.nodes(model, "commission_filters") {
            raw("<a href=\""); text(filter["href"]); raw("\""); if Self.flag(filter, "current") { raw(" class=\"on\"") }
            raw(">"); text(filter["label"]); raw("</a>")
        }
        raw("</p>")
        rows("commissions") { html, row in
            html.raw("<div class=\"row\" data-commission=\""); html.text(row["id"]); html.raw("\"><span>"); html.text(row["created_at"]); html.raw(" · L")
            html.text(row["level"]); html.raw(" · "); html.text(row["basis"]); html.raw("</span>\n<span><b>¥"); html.text(row["amount"])
            html.raw("</b> <span class=\"badge\">"); html.text(row["status_label"]); html.raw("</span></span></div>\n")
            if row["hold_reason"] != nil {
                html.raw("<p class=\"muted\" data-hold-reason>"); html.say(.heldReason); html.raw(": "); html.text(row["hold_reason"]); html.raw("</p>\n")
            }
            html.raw("<details class=\"muted\"><summary>"); html.say(.appeal); html.raw("</summary><form method=\"post\" action=\"/me/appeals\">")
            html.hidden()
            html.raw("\n<input type=\"hidden\" name=\"commission_id\" value=\""); html.text(row["id"]); html.raw("\"><input class=\"share\" name=\"message\" placeholder=\"")
            html.say(.appealHint); html.raw("\" required>\n<button class=\"btn small\" type=\"submit\">"); html.say(.appealSend); html.raw("</button></form></details>")
        }
        raw("</div>\n<div class=\"card\"><h2>"); say(.statements); raw("</h2>")
        rows("statements") { html, row in
            html.raw("<div class=\"row\"><span>"); html.text(row["period_end"]); html.raw("</span>\n<span>"); html.say(.gross); html.raw(" ¥"); html.text(row["gross"])
            html.raw(" · "); html.say(.tax); html.raw(" ¥"); html.text(row["tax"]); html.raw(" · "); html.say(.net); html.raw(" <b>¥"); html.text(row["net"])
            html.raw("</b></span></div>")
        }
        raw("</div>\n<div class=\"card\"><h2>"); say(.withdrawals); raw("</h2>")
        rows("withdrawals") { html, row in
            html.raw("<div class=\"row\"><span>"); html.text(row["requested_at"]); html.raw(" · "); html.text(row["channel"]); html.raw("</span>\n<span>¥")
            html.text(row["amount"]); html.raw(" <span class=\"badge\">"); html.text(row["status"]); html.raw("</span></span></div>")
        }
        raw("</div>\n<div class=\"card\"><h2>"); say(.appeals); raw("</h2>")
        rows("appeals") { html, row in
            html.raw("<div class=\"row\" data-appeal><span>"); html.text(row["created_at"]); html.raw(" · "); html.text(row["message"])
            html.raw("</span>\n<span class=\"badge\">"); html.text(row["status_label"]); html.raw("</span></div>")
            if let answer = row["answer"] { html.raw("<p class=\"muted\">↳ "); html.text(answer); html.raw("</p>") }
        }
        let incentives = child("incentives")
        raw("</div>\n<div class=\"card\" data-incentives><h2>"); say(.incentives); raw("</h2><p>"); say(.points); raw(" <b data-points>")
        text(incentives["points"]); raw("</b> · "); say(.monthRank); raw(" ")
        if let rank = incentives["rank"] { raw("<b data-rank>"); text(rank); raw("</b>") } else { say(.unranked) }
        raw("</p>")
        for badge in Self.nodes(incentives, "badges") {
            raw("<p><span class=\"badge\" data-badge>🏅 "); text(badge["name"]); raw("</span>")
            if let perk = badge["perk"] { raw(" <span class=\"muted\">"); text(perk); raw("</span>") }
            if let code = badge["coupon"] { raw(" <span data-coupon>"); say(.badgeCoupon); raw(" <code>"); text(code); raw("</code></span>") }
            raw("</p>")
        }
        for goal in Self.nodes(incentives, "progress") {
            raw("<div class=\"row\" data-progress><span>"); text(goal["name"]); raw("</span><span class=\"muted\">"); text(goal["value"]); raw(" / ")
            text(goal["threshold"]); raw("</span></div>")
        }
        raw("</div>\n<div class=\"card\"><h2>"); say(.team); raw("</h2>")
        rows("team") { html, row in
            html.raw("<div class=\"row\"><span>"); html.text(row["name"]); html.raw("</span><span class=\"muted\">"); html.say(.clicks); html.raw(" ")
            html.text(row["clicks"]); html.raw(" · "); html.say(.paidOrders); html.raw(" "); html.text(row["paid_orders"]); html.raw("</span></div>")
        }
        raw("</div>")
    }
}
