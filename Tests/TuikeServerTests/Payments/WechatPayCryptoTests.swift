import Foundation
import Testing
import TuikeCore
@testable import TuikeServer
import _CryptoExtras

/// WeChat Pay API v3's signatures and encryption against the other side's own code: the PyPI
/// package `wechatpayv3` (which merchants use to call WeChat Pay) builds the same Authorization
/// header from the same key, nonce and time, and signs notifications the way the platform does;
/// `cryptography`'s AES-GCM encrypts resources as the platform does.
@Suite struct WechatPayCryptoTests {
    static let merchant = Result { try _RSA.Signing.PrivateKey(keySize: .bits2048) }
    static let platform = Result { try _RSA.Signing.PrivateKey(keySize: .bits2048) }

    @Test func theAuthorizationHeaderIsWhatTheSDKBuilds() throws {
        let key = try Self.merchant.get()
        let body = Data(#"{"appid":"wxd678efh567hg6787","mchid":"1230000109","description":"考研数学","amount":{"total":9900}}"#.utf8)
        for (method, path, sent) in [("POST", "/v3/pay/transactions/native", body), ("GET", "/v3/pay/transactions/out-trade-no/T1?mchid=1230000109", Data())] {
            let ours = try WechatPayCrypto.authorization(method: method, path: path, body: sent, mchid: "1230000109", serialNo: "5157F09EFDC096DE15EBE81A47057A72",
                                                         key: key, timestamp: 1_733_300_000, nonce: "593BEC0C930BF1AFEB40B4A08C8FB242")
            let theirs = try Self.python("authorization", [key.pkcs8PEMRepresentation, method, path, String(decoding: sent, as: UTF8.self)])
            #expect(ours == theirs, "\(method) \(path)")
        }
    }

    @Test func notificationsSignedByThePlatformVerify() throws {
        let key = try Self.platform.get()
        let keys = ["PUB_KEY_ID_0114232134912410000000000000": key.publicKey]
        let body = #"{"id":"EV-2018022511223320873","event_type":"TRANSACTION.SUCCESS","resource":{"algorithm":"AEAD_AES_256_GCM"}}"#
        let timestamp: Int64 = 1_733_300_000
        let signature = try Self.python("sign", [key.pkcs8PEMRepresentation, "\(timestamp)\nfdasflkja484w\n\(body)\n"])
        let now = Instant(milliseconds: (timestamp + 60) * 1000)
        func check(_ body: String, serial: String = "PUB_KEY_ID_0114232134912410000000000000", signature: String = signature, at now: Instant = now) throws {
            try WechatPayCrypto.verify(timestamp: String(timestamp), nonce: "fdasflkja484w", body: Data(body.utf8), signature: signature, serial: serial,
                                       keys: keys, now: now)
        }
        try check(body)
        #expect(throws: TuikeError.self) { try check(body + " ") }
        #expect(throws: TuikeError.self) { try check(body, serial: "5157F09EFDC096DE15EBE81A47057A72") }
        #expect(throws: TuikeError.self) { try check(body, at: Instant(milliseconds: (timestamp + 301) * 1000)) }
        #expect(throws: TuikeError.self) { try check(body, signature: "not base64!") }
        #expect(throws: TuikeError.self) { try check(body, signature: String(signature.reversed())) }
    }

    @Test func resourcesEncryptedByThePlatformDecrypt() throws {
        let apiV3Key = "0123456789abcdefghijklmnopqrstuv"
        let resource = #"{"out_trade_no":"ord_1","amount":{"total":9900,"currency":"CNY"},"trade_state":"SUCCESS"}"#
        let sealed = try Self.python("encrypt", [apiV3Key, "fdasfjihihihlkja", "transaction", resource])
        let plain = try WechatPayCrypto.decrypt(ciphertext: sealed, nonce: "fdasfjihihihlkja", associatedData: "transaction", apiV3Key: apiV3Key)
        #expect(String(decoding: plain, as: UTF8.self) == resource)
        #expect(throws: TuikeError.self) {
            try WechatPayCrypto.decrypt(ciphertext: sealed, nonce: "fdasfjihihihlkja", associatedData: "refund", apiV3Key: apiV3Key)
        }
        #expect(throws: TuikeError.self) {
            try WechatPayCrypto.decrypt(ciphertext: sealed, nonce: "fdasfjihihihlkja", associatedData: "transaction", apiV3Key: "vutsrqponmlkjihgfedcba9876543210")
        }
        #expect(throws: TuikeError.self) { try WechatPayCrypto.decrypt(ciphertext: "AAAA", nonce: "n", associatedData: "", apiV3Key: apiV3Key) }
        #expect(throws: TuikeError.self) { try WechatPayCrypto.decrypt(ciphertext: sealed, nonce: "n", associatedData: "", apiV3Key: "short") }
    }

    /// Runs the other side: `wechatpayv3`'s own functions, with its clock held at the test's time.
    static func python(_ mode: String, _ arguments: [String]) throws -> String {
        let script = """
            import sys, base64
            from wechatpayv3 import utils
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
            mode, args = sys.argv[1], sys.argv[2:]
            if mode == "authorization":
                utils.time.time = lambda: 1733300000
                key = utils.load_private_key(args[0])
                print(utils.build_authorization(args[2], args[1], "1230000109", "5157F09EFDC096DE15EBE81A47057A72", key,
                                                data=args[3] or None, nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242"), end="")
            elif mode == "sign":
                print(utils.rsa_sign(utils.load_private_key(args[0]), args[1]), end="")
            elif mode == "encrypt":
                sealed = AESGCM(args[0].encode()).encrypt(args[1].encode(), args[3].encode(), args[2].encode())
                print(base64.b64encode(sealed).decode(), end="")
            """
        return try Scanner.run("python3", ["-c", script, mode] + arguments)
    }
}
