import Foundation
import TuikeCore

/// Builders for the `console` template: a page is a list of sections, each with an optional
/// form, filters, a table whose rows may carry action forms, and links. Every value is text the
/// template escapes; booleans are always set so that Mustache never finds a stray one further
/// up its context stack.
enum ConsoleView {
    typealias Node = [String: Any]

    /// `figure`: SVG this server drew (`SVGChart`, `SpreadSVG`), every text in it escaped; shown
    /// above the table that carries the same figures.
    static func section(_ id: String, _ title: String, note: String? = nil, filters: [Node] = [], form: Node? = nil,
                        actions: [Node] = [], figure: String? = nil, table: Node? = nil, links: [Node] = []) -> Node {
        var node: Node = ["id": id, "title": title, "links": links, "has_links": !links.isEmpty,
                          "section_actions": actions, "has_section_actions": !actions.isEmpty]
        if let figure { node["figure"] = figure }
        if let note { node["note"] = note }
        if !filters.isEmpty { node["filters"] = ["items": filters] }
        if let form { node["form"] = form }
        if let table { node["table"] = table }
        return node
    }

    /// Each cell also carries its column's name, which phones show beside the value: there a row
    /// becomes a card of label–value lines instead of a table to scroll sideways.
    static func table(_ columns: [String], _ rows: [Node]) -> Node {
        let labelled = rows.map { row -> Node in
            var row = row
            if let cells = row["cells"] as? [Node] {
                row["cells"] = cells.enumerated().map { index, cell -> Node in
                    var cell = cell
                    cell["label"] = index < columns.count ? columns[index] : ""
                    return cell
                }
            }
            return row
        }
        return ["columns": columns, "rows": labelled, "empty": rows.isEmpty]
    }

    /// `key` names the row for tests and scripts (`data-row`); cells are text or `cell(_:link:)`.
    static func row(_ key: String, _ cells: [Any], actions: [Node] = []) -> Node {
        ["key": key, "cells": cells.map { $0 as? Node ?? cell("\($0)") }, "actions": actions, "has_actions": !actions.isEmpty]
    }

    static func cell(_ text: String, link: String? = nil) -> Node {
        var node: Node = ["text": text]
        if let link { node["link"] = link }
        return node
    }

    static func action(_ label: String, _ path: String, inputs: [Node] = [], secondary: Bool = false) -> Node {
        ["label": label, "action": path, "inputs": inputs, "secondary": secondary]
    }

    static func input(_ name: String, value: String = "", hint: String = "", required: Bool = false, hidden: Bool = false) -> Node {
        ["name": name, "value": value, "hint": hint, "required": required, "type": hidden ? "hidden" : "text"]
    }

    static func form(_ action: String, submit: String, fields: [Node], method: String = "post") -> Node {
        ["action": action, "submit": submit, "fields": fields, "method": method, "post": method == "post"]
    }

    static func field(_ label: String, _ name: String, value: String = "", type: String = "text", hint: String = "",
                      required: Bool = false, choices: [(value: String, text: String)] = []) -> Node {
        ["label": label, "name": name, "value": value, "type": type, "hint": hint, "required": required, "select": !choices.isEmpty,
         "choices": choices.map { ["value": $0.value, "text": $0.text, "selected": $0.value == value] as Node }]
    }

    static func link(_ label: String, _ href: String, current: Bool = false) -> Node {
        ["label": label, "href": href, "current": current]
    }

    // MARK: Values of the pages' models

    static func money(_ amount: Int64?) -> String { amount.map { "¥" + Money.format($0) } ?? "—" }

    static func text(_ value: String?) -> String { value ?? "—" }

    /// `2026-11-22T04:29:52.986Z` → `2026-11-22 04:29` (UTC, as the API keeps it).
    static func time(_ value: String?) -> String {
        guard let text = value, text.count >= 16 else { return "—" }
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5))
    }

    /// Long ids (guest buyers are `guest-` and 32 hex digits) cut to fit a table column.
    static func short(_ value: String?, _ length: Int = 16) -> String {
        let text = text(value)
        return text.count > length ? String(text.prefix(length - 1)) + "…" : text
    }

    static func percent(bps: Int64?) -> String {
        guard let bps else { return "—" }
        return "\(bps / 100).\(String(format: "%02d", bps % 100))%"
    }
}
