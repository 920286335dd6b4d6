/// CSV for finance (RFC 4180): CRLF line ends, fields quoted when needed, UTF-8 with a byte-order
/// mark so Excel opens Chinese text correctly. Text cells that a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@`, tab, CR) get a leading apostrophe; numbers are written as is.
public enum CSV {
    public enum Cell: Sendable, Equatable {
        case text(String?)
        case number(Int64)
    }

    public static let byteOrderMark = "\u{FEFF}"

    public static func document(header: [String], rows: [[Cell]]) -> String {
        var output = start(header)
        for row in rows { output += line(row) }
        return output
    }

    /// The byte-order mark and the header line: what a streamed document starts with.
    public static func start(_ header: [String]) -> String {
        byteOrderMark + header.map(quoted).joined(separator: ",") + "\r\n"
    }

    public static func line(_ row: [Cell]) -> String {
        row.map(render).joined(separator: ",") + "\r\n"
    }

    static func render(_ cell: Cell) -> String {
        switch cell {
        case .number(let value): String(value)
        case .text(nil): ""
        case .text(let text?): quoted(neutralised(text))
        }
    }

    static func neutralised(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return text }
        return "'" + text
    }

    static func quoted(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        var escaped = "\""
        for character in text {
            escaped.append(character)
            if character == "\"" { escaped.append("\"") }
        }
        return escaped + "\""
    }
}

extension CSV {
    /// Rows of an RFC 4180 document (a byte-order mark, CRLF or LF line ends, quoted fields with
    /// doubled quotes); blank lines are skipped. A leading apostrophe that `neutralised` added is
    /// kept: callers compare what they expect.
    public static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var characters = text.hasPrefix(byteOrderMark) ? Substring(text.dropFirst()) : Substring(text)
        func endRow() {
            row.append(field)
            if !(row.count == 1 && row[0].isEmpty) { rows.append(row) }
            row = []
            field = ""
        }
        while let character = characters.popFirst() {
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" { field.append("\""); characters.removeFirst() } else { quoted = false }
                } else {
                    field.append(character)
                }
            } else if character == "\"" && field.isEmpty {
                quoted = true
            } else if character == "," {
                row.append(field)
                field = ""
            } else if character == "\r\n" || character == "\n" || character == "\r" {
                endRow()
            } else {
                field.append(character)
            }
        }
        if !field.isEmpty || !row.isEmpty { endRow() }
        return rows
    }
}
