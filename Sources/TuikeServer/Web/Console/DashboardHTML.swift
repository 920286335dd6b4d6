/// The console's dashboard (`/admin`) below the navigation: the 30 days' figures, the GMV chart,
/// the funnel, the top promoters and the withdrawals waiting for approval, each with its approve
/// and reject forms (`HTMLWriting`).
struct DashboardHTML: ModelHTML {
    let strings: Words
    let model: [String: Any]
    var out = ""

    init(strings: Words, model: [String: Any]) {
        self.strings = strings
        self.model = model
    }

    mutating func write() {
        let kpi = child("kpi"), chart = child("chart"), funnel = child("funnel")
        raw("<div class=\"card\"><h1>"); say(.console); raw("</h1>\n<div class=\"grid\"><div><div class=\"muted\">GMV · "); say(.last30Days)
        raw("</div><div class=\"price\" data-kpi=\"gmv\">¥"); text(kpi["gmv"]); raw("</div></div>\n<div><div class=\"muted\">"); say(.paidOrders)
        raw("</div><div class=\"price\" data-kpi=\"orders\">"); text(kpi["orders"]); raw("</div></div>\n<div><div class=\"muted\">"); say(.commissionCost)
        raw("</div><div class=\"price\" data-kpi=\"commissions\">¥"); text(kpi["commissions"]); raw("</div></div></div>\n<h2>GMV · 14 "); say(.days)
        raw("</h2><svg viewBox=\"0 0 "); text(chart["width"]); raw(" 120\" width=\"100%\" height=\"120\" role=\"img\" aria-label=\"GMV\">\n")
        for bar in Self.nodes(chart, "bars") {
            raw("<rect x=\""); text(bar["x"]); raw("\" y=\""); text(bar["y"]); raw("\" width=\""); text(bar["w"]); raw("\" height=\""); text(bar["h"])
            raw("\" fill=\"#e4393c\"><title>"); text(bar["label"]); raw(" ¥"); text(bar["value"]); raw("</title></rect>")
        }
        raw("</svg>\n<h2>"); say(.funnel); raw("</h2><p>"); say(.clicks); raw(" "); text(funnel["clicks"]); raw(" → UV "); text(funnel["uv"]); raw(" → ")
        say(.orders); raw(" "); text(funnel["orders"]); raw(" → "); say(.paidOrders); raw(" "); text(funnel["paid"]); raw("</p>\n<h2>"); say(.topPromoters); raw("</h2>")
        for row in Self.nodes(model, "top") { raw("<div class=\"row\"><span>"); text(row["name"]); raw("</span><b>¥"); text(row["amount"]); raw("</b></div>") }
        raw("</div>\n<div class=\"card\"><h2>"); say(.withdrawalsQueue); raw("</h2>")
        let queue = Self.nodes(model, "queue")
        for item in queue {
            raw("<div class=\"row\" data-withdrawal=\""); text(item["id"]); raw("\"><span>"); text(item["promoter"]); raw(" · "); text(item["channel"])
            raw(" · ¥"); text(item["amount"]); raw("</span>\n<span><form method=\"post\" action=\"/admin/withdrawals/"); text(item["id"])
            raw("/approve\" class=\"inline\">"); hidden(); raw("\n<button class=\"btn\" type=\"submit\">"); say(.approve); raw("</button></form>\n")
            raw("<form method=\"post\" action=\"/admin/withdrawals/"); text(item["id"]); raw("/reject\" class=\"inline\">"); hidden()
            raw("\n<input name=\"reason\" placeholder=\""); say(.reason); raw("\" required><button class=\"btn alt\" type=\"submit\">"); say(.reject)
            raw("</button></form></span></div>")
        }
        if queue.isEmpty { raw("\n<p class=\"muted\">"); say(.`none`); raw("</p>") }
        raw("</div>")
    }
}
