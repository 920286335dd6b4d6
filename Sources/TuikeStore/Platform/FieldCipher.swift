import Crypto
import Foundation

/// Encrypts sensitive fields (phone numbers) with AES-256-GCM, and makes keyed hashes of them for
/// lookups and uniqueness without decrypting. The key comes from `TUIKE_DATA_KEY` (base64 of 32
/// bytes) or a key file created on first start; every instance sharing a database needs the same key.
public struct FieldCipher: Sendable {
    let key: SymmetricKey
    let hashKey: SymmetricKey

    public init(key: SymmetricKey) {
        self.key = key
        // A separate key for hashing, so a hash never reveals anything about the encryption key.
        self.hashKey = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data("tuike-field-hash".utf8), using: key))
    }

    public init(base64 text: String) throws {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            throw FieldCipherError.badKey
        }
        self.init(key: SymmetricKey(data: data))
    }

    /// Reads the key from `TUIKE_DATA_KEY`, else from `file`, creating the file (mode 0600) if missing.
    public static func load(environment: [String: String], file: String) throws -> FieldCipher {
        if let text = environment["TUIKE_DATA_KEY"], !text.isEmpty { return try FieldCipher(base64: text) }
        if let existing = FileManager.default.contents(atPath: file) {
            return try FieldCipher(base64: String(decoding: existing, as: UTF8.self))
        }
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() }
        guard FileManager.default.createFile(atPath: file, contents: Data((text + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw FieldCipherError.cannotWrite(file)
        }
        return FieldCipher(key: key)
    }

    public func encrypt(_ plain: String) throws -> String {
        try AES.GCM.seal(Data(plain.utf8), using: key).combined!.base64EncodedString()
    }

    public func decrypt(_ sealed: String) throws -> String {
        guard let data = Data(base64Encoded: sealed) else { throw FieldCipherError.corrupt }
        return String(decoding: try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: key), as: UTF8.self)
    }

    public func hash(_ plain: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(plain.utf8), using: hashKey).map { String(format: "%02x", $0) }.joined()
    }
}

public enum FieldCipherError: Error, CustomStringConvertible {
    case badKey, corrupt, cannotWrite(String)
    public var description: String {
        switch self {
        case .badKey: "TUIKE_DATA_KEY or the key file must hold 32 bytes in base64"
        case .corrupt: "an encrypted field is corrupt"
        case .cannotWrite(let file): "cannot create the data key file \(file)"
        }
    }
}
