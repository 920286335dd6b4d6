import Crypto
import Foundation
import TuikeCore
import _CryptoExtras

/// WeChat Pay API v3's signatures and encryption: the merchant's requests are signed with its
/// RSA key (`WECHATPAY2-SHA256-RSA2048`), the platform's answers and notifications are signed with
/// the platform's key (a platform certificate's, or the WeChat Pay public key's, chosen by the
/// `Wechatpay-Serial` header), and a notification's resource is encrypted with the API v3 key
/// (AEAD_AES_256_GCM). RSA here is PKCS#1 v1.5 with SHA-256, as WeChat Pay specifies.
enum WechatPayCrypto {
    /// How far a platform signature's timestamp may be from now: older ones are replays.
    static let toleranceSeconds: Int64 = 300

    /// The `Authorization` header of a merchant request. `path` is the URL's path with its query;
    /// `body` the exact bytes sent (empty for a GET).
    static func authorization(method: String, path: String, body: Data, mchid: String, serialNo: String, key: _RSA.Signing.PrivateKey,
                              timestamp: Int64, nonce: String) throws -> String {
        var message = Data("\(method)\n\(path)\n\(timestamp)\n\(nonce)\n".utf8)
        message.append(body)
        message.append(UInt8(ascii: "\n"))
        let signature = try key.signature(for: message, padding: .insecurePKCS1v1_5).rawRepresentation.base64EncodedString()
        return #"WECHATPAY2-SHA256-RSA2048 mchid="\#(mchid)",nonce_str="\#(nonce)",signature="\#(signature)",timestamp="\#(timestamp)",serial_no="\#(serialNo)""#
    }

    /// The `paySign` of a JSAPI payment: the merchant's signature over
    /// `appId\ntimeStamp\nnonceStr\npackage\n`, which WeChat checks before it shows the payment.
    static func paySign(appid: String, timeStamp: String, nonce: String, package: String, key: _RSA.Signing.PrivateKey) throws -> String {
        try key.signature(for: Data("\(appid)\n\(timeStamp)\n\(nonce)\n\(package)\n".utf8), padding: .insecurePKCS1v1_5)
            .rawRepresentation.base64EncodedString()
    }

    /// Checks the platform's signature on a response or a notification: over
    /// `timestamp\nnonce\nbody\n`, the raw body as received, with the key that `serial` names.
    /// Refused: an unknown serial, a timestamp more than five minutes from now, a signature that
    /// does not verify.
    static func verify(timestamp: String, nonce: String, body: Data, signature: String, serial: String,
                       keys: [String: _RSA.Signing.PublicKey], now: Instant) throws(TuikeError) {
        guard let key = keys[serial] else { throw refused("unknown platform key serial \(serial)") }
        guard let seconds = Int64(timestamp) else { throw refused("the timestamp is not a number") }
        let nowSeconds = now.milliseconds / 1000
        guard (nowSeconds - toleranceSeconds...nowSeconds + toleranceSeconds).contains(seconds) else {
            throw refused("the timestamp is more than \(toleranceSeconds) seconds from now")
        }
        guard let raw = Data(base64Encoded: signature) else { throw refused("the signature is not base64") }
        var message = Data("\(timestamp)\n\(nonce)\n".utf8)
        message.append(body)
        message.append(UInt8(ascii: "\n"))
        guard key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: raw), for: message, padding: .insecurePKCS1v1_5) else {
            throw refused("the signature does not verify")
        }
    }

    /// A notification's resource in clear: AES-256-GCM with the API v3 key (its 32 characters'
    /// bytes), the resource's nonce and associated data; the ciphertext's last 16 bytes are the tag.
    static func decrypt(ciphertext: String, nonce: String, associatedData: String, apiV3Key: String) throws(TuikeError) -> Data {
        let key = Data(apiV3Key.utf8)
        guard key.count == 32 else { throw refused("the API v3 key must be 32 bytes") }
        guard let sealed = Data(base64Encoded: ciphertext), sealed.count >= 16 else { throw refused("the ciphertext is not base64 of at least a tag") }
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: Data(nonce.utf8)), ciphertext: sealed.dropLast(16), tag: sealed.suffix(16))
            return try AES.GCM.open(box, using: SymmetricKey(data: key), authenticating: Data(associatedData.utf8))
        } catch {
            throw refused("the resource does not decrypt with the API v3 key")
        }
    }

    static func refused(_ message: String) -> TuikeError { Signature.invalid(message) }
}
