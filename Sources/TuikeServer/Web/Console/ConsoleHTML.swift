import TuikeCore

/// The console's sections as HTML, written directly from their models (`ConsoleView`), the same
/// markup the Mustache template made at a fraction of its cost (`HTMLWriting`).
struct ConsoleHTML: HTMLWriting {
    let csrf: String
    let nonce: String
    let none: String
    var out = ""

    init(csrf: String, nonce: String, none: String) {
        self.csrf = csrf
        self.nonce = nonce
        self.none = none
        out.reserveCapacity(16_384)
    }

    static func sections(_ sections: [ConsoleView.Node], csrf: String, nonce: String, none: String) -> String {
        var html = ConsoleHTML(csrf: csrf, nonce: nonce, none: none)
        for section in sections { html.section(section) }
        return html.out
    }

    private mutating func section(_ node: ConsoleView.Node) {
        raw("<section class=\"card\" id=\""); text(node["id"]); raw("\"><h2>"); text(node["title"]); raw("</h2>")
        if let note = node["note"] { raw("<p class=\"muted\">"); text(note); raw("</p>") }
        raw("\n")
        if let filters = node["filters"] as? ConsoleView.Node {
            raw("<p class=\"tabs\">")
            for item in Self.nodes(filters, "items") { link(item) }
            raw("</p>")
        }
        raw("\n")
        if let form = node["form"] as? ConsoleView.Node { self.form(form) }
        raw("\n")
        if let figure = node["figure"] as? String { raw("<figure class=\"chart\">"); raw(figure); raw("</figure>") }
        if let table = node["table"] as? ConsoleView.Node { self.table(table) }
        raw("\n")
        if Self.flag(node, "has_section_actions") {
            raw("<p class=\"actions\">")
            for action in Self.nodes(node, "section_actions") { self.action(action) }
            raw("</p>")
        }
        raw("\n")
        if Self.flag(node, "has_links") {
            raw("<p>")
            for item in Self.nodes(node, "links") {
                raw("<a class=\"btn alt small\" href=\""); text(item["href"]); raw("\">"); text(item["label"]); raw("</a> ")
            }
            raw("</p>")
        }
        raw("</section>")
    }

    private mutating func link(_ item: ConsoleView.Node) {
        raw("<a href=\""); text(item["href"]); raw("\"")
        if Self.flag(item, "current") { raw(" class=\"on\"") }
        raw(">"); text(item["label"]); raw("</a>")
    }

    private mutating func form(_ form: ConsoleView.Node) {
        raw("<form method=\""); text(form["method"]); raw("\" action=\""); text(form["action"]); raw("\" class=\"fields\">")
        if Self.flag(form, "post") { hidden(csrf: csrf, nonce: nonce) }
        raw("\n")
        for field in Self.nodes(form, "fields") {
            raw("<label>"); text(field["label"])
            if Self.flag(field, "select") {
                raw("<select name=\""); text(field["name"]); raw("\">")
                for choice in Self.nodes(field, "choices") {
                    raw("<option value=\""); text(choice["value"]); raw("\"")
                    if Self.flag(choice, "selected") { raw(" selected") }
                    raw(">"); text(choice["text"]); raw("</option>")
                }
                raw("</select>")
            } else if (field["type"] as? String) == "textarea" {
                // Several lines (a pasted CSV file): an input would drop the line breaks.
                raw("<textarea name=\""); text(field["name"]); raw("\" rows=\"6\" placeholder=\""); text(field["hint"]); raw("\"")
                if Self.flag(field, "required") { raw(" required") }
                raw(">"); text(field["value"]); raw("</textarea>")
            } else {
                raw("<input name=\""); text(field["name"]); raw("\" type=\""); text(field["type"]); raw("\" value=\""); text(field["value"])
                raw("\" placeholder=\""); text(field["hint"]); raw("\"")
                if Self.flag(field, "required") { raw(" required") }
                raw(">")
            }
            raw("</label>")
        }
        raw("\n<button class=\"btn\" type=\"submit\">"); text(form["submit"]); raw("</button></form>")
    }

    private mutating func table(_ table: ConsoleView.Node) {
        raw("<div class=\"scroll\"><table><thead><tr>")
        for column in table["columns"] as? [String] ?? [] { raw("<th>"); text(column); raw("</th>") }
        raw("</tr></thead><tbody>\n")
        for row in Self.nodes(table, "rows") {
            raw("<tr data-row=\""); text(row["key"]); raw("\">")
            for cell in Self.nodes(row, "cells") {
                raw("<td data-label=\""); text(cell["label"]); raw("\">")
                if let link = cell["link"] {
                    raw("<a href=\""); text(link); raw("\">"); text(cell["text"]); raw("</a>")
                } else {
                    text(cell["text"])
                }
                raw("</td>")
            }
            raw("\n")
            if Self.flag(row, "has_actions") {
                raw("<td class=\"actions\">")
                for action in Self.nodes(row, "actions") { self.action(action) }
                raw("</td>")
            } else {
                raw("<td></td>")
            }
            raw("</tr>")
        }
        raw("\n</tbody></table></div>")
        if Self.flag(table, "empty") { raw("<p class=\"muted\">"); text(none); raw("</p>") }
    }

    private mutating func action(_ action: ConsoleView.Node) {
        raw("<form method=\"post\" action=\""); text(action["action"]); raw("\" class=\"inline\">")
        hidden(csrf: csrf, nonce: nonce)
        raw("\n")
        for input in Self.nodes(action, "inputs") {
            raw("<input type=\""); text(input["type"]); raw("\" name=\""); text(input["name"]); raw("\" value=\""); text(input["value"])
            raw("\" placeholder=\""); text(input["hint"]); raw("\" size=\"8\"")
            if Self.flag(input, "required") { raw(" required") }
            raw(">")
        }
        raw("<button class=\"btn small"); if Self.flag(action, "secondary") { raw(" alt") }
        raw("\" type=\"submit\">"); text(action["label"]); raw("</button></form>")
    }
}
