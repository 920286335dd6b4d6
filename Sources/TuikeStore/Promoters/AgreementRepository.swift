import Crypto
import Foundation
import SQLKit
import TuikeCore

public struct Agreement: Sendable, Equatable {
    public let version: String
    public let text: String
    public let sha256: String
    public let publishedAt: Instant

    public static func digest(_ text: String) -> String {
        Digest.sha256Hex(text)
    }
}

/// Versioned agreement texts and the promoters' signed acceptances. Neither is ever updated or
/// deleted (the schema has triggers that refuse it); a new text is a new version.
public struct AgreementRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public static let defaultVersion = "1"
    public static let defaultText = """
        推客推广合作协议（第 1 版）

        一、推广方式：推广员通过本平台生成的专属链接、二维码或海报推广商家的课程与商品，不得虚假宣传、不得夸大收益、不得以拉人头方式发展下线。
        二、佣金：推广员就其推广成交的订单获得佣金，比例以平台公示的规则为准；层级不超过三级，且仅就实际销售计酬，不收取任何入门费。
        三、结算：佣金在冻结期（默认 7 天）届满且订单未退款后结算；发生退款的，相应佣金予以冲回或追回。
        四、税费：平台依法代扣代缴劳务报酬个人所得税。
        五、禁止行为：自买自卖、刷单、虚假点击等行为一经发现，相关佣金不予结算，平台有权终止合作。
        六、个人信息：平台按法律规定保护推广员的个人信息，手机号等敏感信息加密存储。
        七、本协议自推广员电子签署之日起生效，签署记录（版本、文本摘要、时间、IP、设备信息、签名）将被永久保存作为存证。
        """

    /// Publishes version "1" if no agreement exists yet (every start may call it).
    public func ensureDefault(at now: Instant) async throws {
        try await database.write { db in
            try await db.execute("""
                INSERT INTO agreements (version, text, sha256, published_at)
                VALUES (\(bind: Self.defaultVersion), \(bind: Self.defaultText), \(bind: Agreement.digest(Self.defaultText)), \(bind: now.milliseconds))
                ON CONFLICT (version) DO NOTHING
                """)
        }
    }

    /// The newest published version.
    public func current() async throws -> Agreement? {
        try await database.read { db in
            try await db.first("SELECT version, text, sha256, published_at FROM agreements ORDER BY published_at DESC, version DESC LIMIT 1")
                .map(Self.decode)
        }
    }

    public func find(version: String) async throws -> Agreement? {
        try await database.read { db in
            try await db.first("SELECT version, text, sha256, published_at FROM agreements WHERE version = \(bind: version)").map(Self.decode)
        }
    }

    /// Publishes a new version; a version that exists is 409 (texts are never replaced).
    public func publish(version: String, text: String, at now: Instant) async throws -> Agreement {
        let agreement = Agreement(version: version, text: text, sha256: Agreement.digest(text), publishedAt: now)
        let inserted = try await database.write { db in
            try await db.first("""
                INSERT INTO agreements (version, text, sha256, published_at)
                VALUES (\(bind: version), \(bind: text), \(bind: agreement.sha256), \(bind: now.milliseconds))
                ON CONFLICT (version) DO NOTHING RETURNING version
                """) != nil
        }
        guard inserted else { throw TuikeError(.conflict, code: "version_exists", "agreement version \(version) exists; texts are never replaced") }
        return agreement
    }

    static func recordAcceptance(_ acceptance: PromoterRepository.AgreementAcceptance, promoterID: String, at now: Instant, in db: any SQLDatabase) async throws {
        guard let row = try await db.first("SELECT sha256 FROM agreements WHERE version = \(bind: acceptance.version)") else {
            throw TuikeError.validation("agreement_version \(acceptance.version) does not exist")
        }
        let digest = try row.decode(column: "sha256", as: String.self)
        try await db.execute("""
            INSERT INTO agreement_acceptances (id, promoter_id, version, sha256, signed_name, ip, user_agent, accepted_at)
            VALUES (\(bind: Identifier.make("acc", at: now)), \(bind: promoterID), \(bind: acceptance.version), \(bind: digest),
                    \(bind: acceptance.signedName), \(bind: acceptance.ip), \(bind: acceptance.userAgent), \(bind: now.milliseconds))
            """)
    }

    public struct Acceptance: Sendable, Equatable {
        public let id: String
        public let version: String
        public let sha256: String
        public let signedName: String
        public let ip: String?
        public let userAgent: String?
        public let acceptedAt: Instant
    }

    public func acceptances(promoterID: String) async throws -> [Acceptance] {
        try await database.read { db in
            try await db.rows("""
                SELECT id, version, sha256, signed_name, ip, user_agent, accepted_at FROM agreement_acceptances
                WHERE promoter_id = \(bind: promoterID) ORDER BY id
                """).map { row in
                Acceptance(
                    id: try row.decode(column: "id", as: String.self), version: try row.decode(column: "version", as: String.self),
                    sha256: try row.decode(column: "sha256", as: String.self), signedName: try row.decode(column: "signed_name", as: String.self),
                    ip: try row.decode(column: "ip", as: String?.self), userAgent: try row.decode(column: "user_agent", as: String?.self),
                    acceptedAt: try row.decodeInstant(column: "accepted_at"))
            }
        }
    }

    static func decode(_ row: any SQLRow) throws -> Agreement {
        Agreement(
            version: try row.decode(column: "version", as: String.self), text: try row.decode(column: "text", as: String.self),
            sha256: try row.decode(column: "sha256", as: String.self), publishedAt: try row.decodeInstant(column: "published_at"))
    }
}
