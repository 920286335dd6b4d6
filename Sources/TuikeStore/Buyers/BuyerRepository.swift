import Foundation
import SQLKit
import TuikeCore

/// Buyer accounts: one-time codes, sign-in, sessions, the address book and preferences.
public struct BuyerRepository: Sendable {
    let database: any Database
    let cipher: FieldCipher

    public init(database: any Database, cipher: FieldCipher) {
        self.database = database
        self.cipher = cipher
    }

    static let columns = "id, phone_masked, wechat_openid, marketing_opt_out, created_at"

    /// Stores a new code for `phone` (normalised) if the limits allow one, and returns the digits
    /// for the SMS provider; they are kept only as a keyed hash. The count and the insert are one
    /// transaction, taken in turn per phone and per address (SQLite has one writer; PostgreSQL
    /// takes a transaction lock on each, phone first), so concurrent requests cannot pass a limit.
    /// IPv6 addresses count by their /64.
    public func issueCode(phone: String, address: String, at now: Instant) async throws -> String {
        let phoneHash = cipher.hash(phone), addressHash = cipher.hash("ip:" + AddressRanges.limitKey(address))
        let code = OneTimeCode.make()
        let hourAgo = now.adding(seconds: -3_600).milliseconds
        let dialect = database.dialect
        return try await database.write { db in
            if dialect.kind == .postgres {
                try await db.execute("SELECT pg_advisory_xact_lock(7368761, hashtext(\(bind: phoneHash)))")
                try await db.execute("SELECT pg_advisory_xact_lock(7368762, hashtext(\(bind: addressHash)))")
            }
            let sends = try await db.rows("""
                SELECT created_at FROM sms_codes WHERE phone_hash = \(bind: phoneHash) AND created_at > \(bind: hourAgo)
                """).map { try $0.decodeInstant(column: "created_at") }
            let fromAddress = try await db.one("""
                SELECT COUNT(*) AS n FROM sms_codes WHERE address_hash = \(bind: addressHash) AND created_at > \(bind: hourAgo)
                """).decode(column: "n", as: Int64.self)
            if let refusal = OneTimeCode.sendRefusal(phoneSends: sends, addressSends: Int(fromAddress), now: now) { throw refusal }
            try await db.execute("""
                INSERT INTO sms_codes (id, phone_hash, address_hash, code_hash, created_at, expires_at)
                VALUES (\(bind: Identifier.make("otc", at: now)), \(bind: phoneHash), \(bind: addressHash), \(bind: cipher.hash(phoneHash + ":" + code)),
                        \(bind: now.milliseconds), \(bind: now.adding(seconds: OneTimeCode.lifetimeSeconds).milliseconds))
                """)
            return code
        }
    }

    /// Checks the phone's latest code; on a match it is used up (once, even under concurrent
    /// tries), the buyer's account is found or made, and a session token is issued. A wrong code
    /// counts a try against the code (in its own write, so the refusal does not undo it).
    public func signIn(phone: String, code: String, at now: Instant) async throws -> (buyer: Buyer, token: String) {
        let phoneHash = cipher.hash(phone)
        let latest = try await database.read { db in
            try await db.first("""
                SELECT id, code_hash, attempts, expires_at, used_at FROM sms_codes WHERE phone_hash = \(bind: phoneHash)
                ORDER BY created_at DESC, id DESC LIMIT 1
                """)
        }
        let issued = try latest.map {
            OneTimeCode.Issued(id: try $0.decode(column: "id", as: String.self), expiresAt: try $0.decodeInstant(column: "expires_at"),
                               attempts: try $0.decode(column: "attempts", as: Int64.self), used: try $0.decode(column: "used_at", as: Int64?.self) != nil)
        }
        if let refusal = OneTimeCode.tryRefusal(issued, now: now) { throw refusal }
        guard let issued, let latest else { throw StoreError.noRow }
        let stored = try latest.decode(column: "code_hash", as: String.self)
        let matches = OneTimeCode.isWellFormed(code) && stored == cipher.hash(phoneHash + ":" + code)
        guard matches else {
            try await database.write { db in
                try await db.execute("UPDATE sms_codes SET attempts = attempts + 1 WHERE id = \(bind: issued.id)")
            }
            throw TuikeError(.unprocessable, code: "invalid_code", "the code is wrong or has expired; ask for a new one")
        }
        let token = Identifier.secret(length: 32)
        let encrypted = try cipher.encrypt(phone)
        let buyer = try await database.write { db -> Buyer in
            guard try await db.first("""
                UPDATE sms_codes SET used_at = \(bind: now.milliseconds)
                WHERE id = \(bind: issued.id) AND used_at IS NULL AND attempts < \(bind: OneTimeCode.maxAttempts) RETURNING id
                """) != nil else { throw TuikeError(.unprocessable, code: "invalid_code", "the code is wrong or has expired; ask for a new one") }
            try await db.execute("""
                INSERT INTO buyers (id, phone_hash, phone, phone_masked, created_at, last_login_at)
                VALUES (\(bind: Identifier.make("byr", at: now)), \(bind: phoneHash), \(bind: encrypted), \(bind: Phone.mask(phone)),
                        \(bind: now.milliseconds), \(bind: now.milliseconds))
                ON CONFLICT (phone_hash) DO UPDATE SET last_login_at = \(bind: now.milliseconds)
                """)
            let buyer = try await db.one("SELECT \(unsafeRaw: Self.columns) FROM buyers WHERE phone_hash = \(bind: phoneHash)")
            let decoded = try Self.decode(buyer)
            try await db.execute("""
                INSERT INTO buyer_tokens (id, token_hash, buyer_id, created_at, expires_at)
                VALUES (\(bind: Identifier.make("btk", at: now)), \(bind: TokenRepository.hash(token)), \(bind: decoded.id), \(bind: now.milliseconds),
                        \(bind: now.adding(seconds: Buyer.sessionSeconds).milliseconds))
                """)
            return decoded
        }
        return (buyer, token)
    }

    /// The buyer a session token belongs to, while it is valid.
    public func principal(for token: String, at now: Instant) async throws -> Principal? {
        try await database.read { db in
            try await db.first("""
                SELECT id, buyer_id FROM buyer_tokens WHERE token_hash = \(bind: TokenRepository.hash(token)) AND revoked_at IS NULL
                    AND expires_at > \(bind: now.milliseconds)
                """).map { .buyer(buyerID: try $0.decode(column: "buyer_id", as: String.self), tokenID: try $0.decode(column: "id", as: String.self)) }
        }
    }

    public func signOut(token: String, at now: Instant) async throws {
        try await database.write { db in
            try await db.execute("UPDATE buyer_tokens SET revoked_at = \(bind: now.milliseconds) WHERE token_hash = \(bind: TokenRepository.hash(token))")
        }
    }

    public func find(_ id: String) async throws -> Buyer? {
        try await database.read { db in try await db.first("SELECT \(unsafeRaw: Self.columns) FROM buyers WHERE id = \(bind: id)").map(Self.decode) }
    }

    /// The phone of a buyer, for the SMS provider.
    public func phone(of id: String) async throws -> String? {
        try await database.read { db in
            try await db.first("SELECT phone FROM buyers WHERE id = \(bind: id)").map { try cipher.decrypt(try $0.decode(column: "phone", as: String.self)) }
        }
    }

    public func setPreferences(_ id: String, marketingOptOut: Bool?, wechatOpenID: String??) async throws -> Buyer? {
        try await database.write { db in
            var assignments: [any SQLExpression] = []
            if let marketingOptOut { assignments.append(ProductRepository.assign("marketing_opt_out", Int64(marketingOptOut ? 1 : 0))) }
            if let wechatOpenID { assignments.append(ProductRepository.assign("wechat_openid", wechatOpenID)) }
            if !assignments.isEmpty { try await db.execute("UPDATE buyers SET \(SQLList(assignments)) WHERE id = \(bind: id)") }
            return try await db.first("SELECT \(unsafeRaw: Self.columns) FROM buyers WHERE id = \(bind: id)").map(Self.decode)
        }
    }

    static func decode(_ row: any SQLRow) throws -> Buyer {
        Buyer(id: try row.decode(column: "id", as: String.self), phoneMasked: try row.decode(column: "phone_masked", as: String.self),
              marketingOptOut: try row.decode(column: "marketing_opt_out", as: Int64.self) != 0,
              wechatOpenID: try row.decode(column: "wechat_openid", as: String?.self), createdAt: try row.decodeInstant(column: "created_at"))
    }

    // MARK: Address book

    public func addresses(of buyerID: String) async throws -> [SavedAddress] {
        try await database.read { db in
            try await db.rows("""
                SELECT id, buyer_id, body, is_default FROM buyer_addresses WHERE buyer_id = \(bind: buyerID) ORDER BY is_default DESC, id
                """).map(Self.decodeAddress)
        }
    }

    /// Adds an address (the first one, or one marked default, becomes the default).
    public func addAddress(_ address: ShippingAddress, isDefault: Bool, buyerID: String, at now: Instant) async throws -> SavedAddress {
        let body = try StoredJSON.encode(address)
        return try await database.write { db in
            let count = try await db.one("SELECT COUNT(*) AS n FROM buyer_addresses WHERE buyer_id = \(bind: buyerID)").decode(column: "n", as: Int64.self)
            guard count < Buyer.maxAddresses else { throw TuikeError.validation("an address book holds at most \(Buyer.maxAddresses) addresses") }
            let makeDefault = isDefault || count == 0
            if makeDefault { try await db.execute("UPDATE buyer_addresses SET is_default = 0 WHERE buyer_id = \(bind: buyerID)") }
            let id = Identifier.make("adr", at: now)
            try await db.execute("""
                INSERT INTO buyer_addresses (id, buyer_id, body, is_default, created_at, updated_at)
                VALUES (\(bind: id), \(bind: buyerID), \(bind: body), \(bind: Int64(makeDefault ? 1 : 0)), \(bind: now.milliseconds), \(bind: now.milliseconds))
                """)
            return SavedAddress(id: id, buyerID: buyerID, address: address, isDefault: makeDefault)
        }
    }

    /// Removes an address of this buyer; false when it has none by that id.
    public func removeAddress(_ id: String, buyerID: String) async throws -> Bool {
        try await database.write { db in
            guard try await db.first("DELETE FROM buyer_addresses WHERE id = \(bind: id) AND buyer_id = \(bind: buyerID) RETURNING id") != nil else { return false }
            // The book keeps a default while it has addresses: the oldest one left.
            if try await db.first("SELECT id FROM buyer_addresses WHERE buyer_id = \(bind: buyerID) AND is_default = 1") == nil {
                try await db.execute("""
                    UPDATE buyer_addresses SET is_default = 1
                    WHERE id = (SELECT id FROM buyer_addresses WHERE buyer_id = \(bind: buyerID) ORDER BY id LIMIT 1)
                    """)
            }
            return true
        }
    }

    public func address(_ id: String, buyerID: String) async throws -> SavedAddress? {
        try await database.read { db in
            try await db.first("SELECT id, buyer_id, body, is_default FROM buyer_addresses WHERE id = \(bind: id) AND buyer_id = \(bind: buyerID)")
                .map(Self.decodeAddress)
        }
    }

    static func decodeAddress(_ row: any SQLRow) throws -> SavedAddress {
        SavedAddress(id: try row.decode(column: "id", as: String.self), buyerID: try row.decode(column: "buyer_id", as: String.self),
                     address: try StoredJSON.decode(ShippingAddress.self, try row.decode(column: "body", as: String.self)),
                     isDefault: try row.decode(column: "is_default", as: Int64.self) != 0)
    }
}
