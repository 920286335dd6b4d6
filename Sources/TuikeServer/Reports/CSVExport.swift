import Hummingbird
import TuikeCore

/// A CSV download written page by page as it is read, so an export of a year of commissions holds
/// one page of rows in memory, not the year. Each page is its own short read (keyset: the next
/// page starts after the last row written), so a long download never holds SQLite's reader or a
/// PostgreSQL snapshot. A read that fails halfway ends the download early: the client sees a
/// cut-off file, not a complete-looking one.
enum CSVExport {
    static let pageSize = 1_000
    /// The first page is small and each next one twice as large, up to `pageSize`: the download
    /// starts at once, and one abandoned early (a person who clicked twice) costs a few hundred
    /// rows, not a few thousand, before the server notices the closed connection.
    static let firstPageSize = 100

    static func response<Row: Sendable>(filename: String, header: [String], page: @escaping @Sendable (_ after: Row?, _ limit: Int) async throws -> [Row],
                                        cells: @escaping @Sendable (Row) -> [CSV.Cell]) -> Response {
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: CSV.start(header)))
            var after: Row?
            var limit = firstPageSize
            while true {
                let rows = try await page(after, limit)
                if !rows.isEmpty {
                    var chunk = ""
                    for row in rows { chunk += CSV.line(cells(row)) }
                    try await writer.write(ByteBuffer(string: chunk))
                }
                guard rows.count == limit, let last = rows.last else { break }
                after = last
                limit = min(pageSize, limit * 2)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(filename)\""],
                        body: body)
    }

    /// A report small enough to hold whole (one row per product, promoter or board entry).
    static func document(filename: String, header: [String], rows: [[CSV.Cell]]) -> Response {
        Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(filename)\""],
                 body: .init(byteBuffer: ByteBuffer(string: CSV.document(header: header, rows: rows))))
    }

    /// Whether `?format=csv` asks for the report as CSV (any other format is refused).
    static func wanted(_ request: Request) throws -> Bool {
        guard let format = request.uri.queryParameters["format"] else { return false }
        guard format == "csv" || format == "json" else { throw TuikeError.validation("format must be json or csv") }
        return format == "csv"
    }

    static let formatParameter = Schemas.query("format", Schemas.enumeration(["json", "csv"]), "csv: the report as a CSV download (UTF-8 with a byte-order mark).")
}
