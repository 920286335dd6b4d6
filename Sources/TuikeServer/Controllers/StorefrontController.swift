import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// The smallest storefront that lets a link land somewhere real: the course list and a course
/// page. The full web (templates, checkout, groups, i18n) is issue 7's; until then these pages are
/// plain, escaped HTML.
struct StorefrontController {
    let products: ProductRepository

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/", summary: "Storefront: the course list (HTML)", tag: "Pages", access: .publicAccess,
                responses: [(200, "HTML.", nil)], handler: index)
        api.add(.get, "/p/{id}", summary: "Storefront: a course page (HTML)", tag: "Pages", access: .publicAccess,
                responses: [(200, "HTML.", nil), (404, "No such product (HTML).", nil)], handler: product)
    }

    @Sendable func index(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let items = try await products.list(status: .active, limit: 100, before: nil).map { product in
            "<li><a href=\"/p/\(HTML.escape(product.id))\">\(HTML.escape(product.title))</a> <b>¥\(Money.format(product.price))</b></li>"
        }.joined(separator: "\n")
        return HTML.page(title: "课程", body: "<h1>课程</h1><ul>\(items)</ul>")
    }

    @Sendable func product(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let product = try await products.find(id), product.status == .active else {
            return HTML.page(title: "未找到", body: "<h1>未找到</h1><p>这门课程不存在或已下架。</p><p><a href=\"/\">全部课程</a></p>", status: .notFound)
        }
        return HTML.page(title: product.title, body: """
            <h1>\(HTML.escape(product.title))</h1>
            <p>\(HTML.escape(product.description))</p>
            <p><b>¥\(Money.format(product.price))</b></p>
            <p><a href="/">全部课程</a></p>
            """)
    }
}

enum HTML {
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    static func page(title: String, body: String, status: HTTPResponse.Status = .ok) -> Response {
        let html = """
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
            <title>\(escape(title))</title></head><body style="font-family:sans-serif;max-width:40em;margin:auto;padding:1em">\(body)</body></html>
            """
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
