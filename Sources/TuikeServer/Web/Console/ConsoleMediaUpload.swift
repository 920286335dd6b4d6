import Hummingbird
import NIOCore
import TuikeCore
import TuikeStore

/// `POST /admin/media`: the console's image upload. The page's script sends the chosen file's
/// bytes as the body (no multipart to parse) with the form's CSRF token in the query; the answer
/// is the API's JSON for `POST /api/v1/media`.
struct ConsoleMediaUpload {
    let sessions: SessionRepository
    let ingest: MediaIngest
    let publicURL: String
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/admin/media", summary: "Console: upload an image (its bytes as the body, `?_csrf=`; owner, operator)", tag: "Pages",
                access: .publicAccess,
                responses: [(201, "The image (JSON, as POST /api/v1/media).", nil), (403, "No console session, wrong role or CSRF token.", nil)],
                handler: upload)
    }

    @Sendable func upload(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        guard let cookie = request.cookies[Forms.csrfCookie]?.value, let sent = request.uri.queryParameters["_csrf"], !cookie.isEmpty, String(sent) == cookie else {
            throw TuikeError(.forbidden, code: "csrf_failed", "the form's CSRF token is missing or wrong; reload the page")
        }
        guard let session = try await WebSessions.session(request, kind: "admin", sessions: sessions, now: clock.now()),
              let user = try await sessions.admin(id: session.subjectID), ConsoleRole.operations.contains(user.role) else {
            throw TuikeError(.forbidden, code: "forbidden", "uploading images needs a console session of an owner or operator")
        }
        let (stored, created) = try await ingest.store(try await MediaIngest.body(of: request))
        return try JSONOutput.response(MediaController.MediaView(stored, publicURL: publicURL), status: created ? .created : .ok)
    }
}
