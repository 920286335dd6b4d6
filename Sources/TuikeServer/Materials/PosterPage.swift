import HTTPTypes
import Hummingbird
import TuikeCore
import TuikeStore

/// `/posters/{code}`: a page around one poster, for sharing as a link. Chat apps read its
/// OpenGraph tags and show the poster itself as the card's picture; the page shows the poster
/// full width with a hint to long-press and save it, and a button to the course.
struct PosterPage {
    let materials: MaterialsController

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/posters/{code}", summary: "A poster's share page, with the poster as its OpenGraph image (HTML)", tag: "Pages",
                access: .publicAccess, responses: [(200, "HTML.", nil), (404, "No such link, product or template (HTML).", nil)],
                parameters: [Schemas.query("template", Schemas.string, "A poster template id (default `portrait`).")], handler: page)
    }

    @Sendable func page(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let language = Language.of(request)
        let code = try context.parameters.require("code")
        let template = request.uri.queryParameters["template"].map(String.init) ?? "portrait"
        guard let link = try await materials.tracking.activeLink(code),
              let (content, _) = try await materials.posters.content(link, templateID: template, groupID: nil) else {
            return StorefrontController.notFound(language)
        }
        let base = materials.posters.publicURL
        let image = "\(base)/api/v1/links/\(link.code)/poster.png?template=\(content.template.id)"
        let target = MaterialKey.poster(content.template.id).appended(to: materials.posters.linkURL(link))
        var html = ""
        html += "<div class=\"card\" data-poster-page><img class=\"poster\" src=\"" + HTML.escape(image) + "\" alt=\"" + HTML.escape(content.title) + "\">"
        html += "<p class=\"muted\">" + HTML.escape(language.strings[.posterHint]) + "</p>"
        html += "<p><a class=\"btn\" href=\"" + HTML.escape(target) + "\">" + HTML.escape(language.strings[.viewCourse]) + "</a></p></div>"
        let card = StorefrontController.shareCard(title: content.title, description: "\(content.promoterName) · \(content.copyLine)", cover: nil,
                                                  url: "\(base)/posters/\(link.code)?template=\(content.template.id)", publicURL: base)
        var og = card
        og["og_image"] = image
        return Templates.page("me", title: content.title, language: language, context: ["body": html, "og": og])
    }
}
