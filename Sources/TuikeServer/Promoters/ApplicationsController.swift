import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// Joining the program: the public reads the current agreement, applies with its signature, and
/// an admin approves or rejects (or the program approves at once).
struct ApplicationsController {
    let promoters: PromoterRepository
    let agreements: AgreementRepository
    let program: ProgramRepository
    let upline: PromotersController
    let throttle: LoginThrottle
    let sightings: SightingRecorder
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        let promoter = Schemas.ref("Promoter")
        api.add(.get, "/api/v1/agreements/current", summary: "The agreement a promoter signs now", tag: "Promoters", access: .publicAccess,
                responses: [(200, "The current agreement.", Schemas.ref("Agreement"))], handler: current)
        api.add(.post, "/api/v1/agreements", summary: "Publish a new agreement version", tag: "Promoters", access: .admin,
                request: Schemas.object([("version", Schemas.text(1...40)), ("text", Schemas.string)], required: ["version", "text"]),
                responses: [(201, "The agreement.", Schemas.ref("Agreement"))], handler: publish)
        api.add(.post, "/api/v1/promoter-applications", summary: "Apply to become a promoter, signing the agreement", tag: "Promoters",
                access: .publicAccess,
                request: Schemas.object([("name", Schemas.name(maxLength: Promoter.maxNameLength)), ("phone", Schemas.phone),
                                         ("invite_code", Schemas.string), ("agreement_version", Schemas.string),
                                         ("signed_name", Schemas.name(maxLength: Promoter.maxNameLength))],
                                        required: ["name", "phone", "agreement_version", "signed_name"]),
                responses: [(201, "The application: status `applied`, or `active` when the program approves automatically.",
                             Schemas.object([("id", Schemas.string), ("status", Schemas.string)]))], handler: apply)
        api.add(.get, "/api/v1/promoter-applications", summary: "Applications waiting for review", tag: "Promoters", access: .admin,
                responses: [(200, "A page of applicants.", Schemas.page(of: "Promoter"))], parameters: Schemas.pagination, handler: pending)
        api.add(.post, "/api/v1/promoter-applications/{id}/approve", summary: "Approve an application", tag: "Promoters", access: .admin,
                request: Schemas.object([("reason", Schemas.string)]), responses: [(200, "The promoter, now active.", promoter)]) { request, context in
            try await upline.transition(request, context: context, from: [.applied], to: .active)
        }
        api.add(.post, "/api/v1/promoter-applications/{id}/reject", summary: "Reject an application with a reason", tag: "Promoters",
                access: .admin, request: Schemas.object([("reason", Schemas.string)], required: ["reason"]),
                responses: [(200, "The promoter, now rejected.", promoter)], handler: reject)
    }

    struct AgreementView: Encodable, Sendable {
        let version: String
        let text: String
        let sha256: String
        let publishedAt: Instant
        init(_ agreement: Agreement) {
            version = agreement.version
            text = agreement.text
            sha256 = agreement.sha256
            publishedAt = agreement.publishedAt
        }
    }

    @Sendable func current(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        guard let agreement = try await agreements.current() else { throw TuikeError.notFound("agreement", "current") }
        return try JSONOutput.response(AgreementView(agreement))
    }

    struct PublishRequest: RequestBody {
        let version: String
        let text: String
        enum CodingKeys: String, CodingKey, CaseIterable { case version, text }
        typealias Keys = CodingKeys
    }

    @Sendable func publish(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(PublishRequest.self, from: request, context: context)
        let version = body.version.trimmingCharacters(in: .whitespaces)
        guard !version.isEmpty, version.count <= 40 else { throw TuikeError.validation("version must be 1 to 40 characters") }
        guard !body.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw TuikeError.validation("text must not be empty") }
        let agreement = try await agreements.publish(version: version, text: body.text, at: clock.now())
        return try JSONOutput.response(AgreementView(agreement), status: .created)
    }

    struct ApplyRequest: RequestBody {
        let name: String
        let phone: String
        let inviteCode: String?
        let agreementVersion: String
        let signedName: String
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, phone, inviteCode = "invite_code", agreementVersion = "agreement_version", signedName = "signed_name"
        }
    }

    /// No invite code here: a made-up one (for a taken phone) could be told apart by using it.
    /// The new promoter finds its code in the portal.
    struct ApplicationView: Encodable { let id: String; let status: String }

    @Sendable func apply(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(ApplyRequest.self, from: request, context: context)
        let submitted = try await submit(name: body.name, phone: body.phone, inviteCode: body.inviteCode, agreementVersion: body.agreementVersion,
                                         signedName: body.signedName, ip: context.clientIP(request), userAgent: request.headers[.userAgent],
                                         device: request.headers[AuthMiddleware.deviceHeader])
        return try JSONOutput.response(ApplicationView(id: submitted.id, status: submitted.status.rawValue), status: .created)
    }

    /// What an applicant is told. For a phone that is already a promoter's, `promoter` is nil and
    /// the rest is made up to look like a new application, so that applying cannot be used to
    /// learn whether a phone number belongs to a promoter; nothing is stored.
    struct Submitted {
        let id: String
        let status: Promoter.Status
        let promoter: Promoter?
    }

    /// Counts an application for `phone` from `ip`: 429 with Retry-After past the limits (per
    /// phone and per address). The portal asks before it spends a bcrypt hash on the password.
    func admit(phone: String, ip: String?) async throws {
        let now = clock.now()
        guard try await throttle.allowApplication(phone: Phone.normalize(phone) ?? phone, address: ip, at: now) else {
            throw TuikeError.rateLimited("too many applications from this address or for this phone", retryAfter: throttle.retryAfter(at: now))
        }
    }

    /// An application with its signed agreement evidence, from the API or the portal's form.
    /// Checked first, then admitted (`admit`, unless the caller did), then stored.
    func submit(name: String, phone: String, inviteCode: String?, agreementVersion: String, signedName: String, ip: String?,
                userAgent: String?, device: String? = nil, admitted: Bool = false) async throws -> Submitted {
        let now = clock.now()
        try Promoter.validate(name: name)
        let signed = signedName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !signed.isEmpty, signed.count <= Promoter.maxNameLength else { throw TuikeError.validation("signed_name must be your name, as a signature") }
        try PlainText.check(signed, field: "signed_name")
        guard let currentAgreement = try await agreements.current(), currentAgreement.version == agreementVersion else {
            throw TuikeError.validation("agreement_version must be the current agreement's version")
        }
        // Admitted before the invite code is looked up, so codes cannot be tried without limit.
        if !admitted { try await admit(phone: phone, ip: ip) }
        let parentID = try await upline.resolveUpline(parentID: nil, inviteCode: inviteCode)
        let autoApprove = try await program.current().autoApprovePromoters
        let acceptance = PromoterRepository.AgreementAcceptance(version: agreementVersion, signedName: signed, ip: ip, userAgent: userAgent)
        do {
            let promoter = try await promoters.create(
                .init(name: name, phone: phone, status: autoApprove ? .active : .applied, parentID: parentID, acceptance: acceptance), at: now)
            await sightings.record(promoterID: promoter.id, ip: ip, device: device, source: "application", at: now)
            return Submitted(id: promoter.id, status: promoter.status, promoter: promoter)
        } catch let error as TuikeError where error.code == "phone_taken" {
            return Submitted(id: Identifier.make("prm", at: now), status: autoApprove ? .active : .applied, promoter: nil)
        }
    }

    @Sendable func pending(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let page = try PageRequest(request)
        let fetched = try await promoters.list(status: .applied, parentID: nil, limit: page.limit + 1, before: page.cursor)
        return try JSONOutput.response(Page(fetched: fetched.map { PromoterView($0) }, limit: page.limit, id: \.id))
    }

    struct RejectRequest: RequestBody {
        let reason: String
        enum CodingKeys: String, CodingKey, CaseIterable { case reason }
        typealias Keys = CodingKeys
    }

    @Sendable func reject(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let admin = try context.requireAdmin()
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(RejectRequest.self, from: request, context: context)
        guard !body.reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw TuikeError.validation("reason must not be empty") }
        let promoter = try await promoters.transition(id, from: [.applied], to: .rejected, reason: body.reason, actor: PromotersController.actor(admin), at: clock.now())
        return try JSONOutput.response(try await upline.view(promoter))
    }

    static let agreementSchema = Schemas.object([
        ("version", Schemas.string), ("text", Schemas.string), ("sha256", Schemas.string), ("published_at", Schemas.time),
    ], required: ["version", "text", "sha256", "published_at"])
}
