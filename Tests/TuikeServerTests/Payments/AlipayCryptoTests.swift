import Foundation
import Testing
import TuikeCore
@testable import TuikeServer
import _CryptoExtras

/// Alipay's RSA2 signatures against `python-alipay-sdk` from PyPI as the other side: it signs a
/// request's parameters to the same `sign` as ours, and signs notifications and synchronous
/// responses with the platform's key, which we must accept, and nothing altered.
@Suite struct AlipayCryptoTests {
    static let app = Result { try _RSA.Signing.PrivateKey(keySize: .bits2048) }
    static let platform = Result { try _RSA.Signing.PrivateKey(keySize: .bits2048) }

    @Test func requestsAreSignedAsTheSDKSignsThem() throws {
        let key = try Self.app.get()
        let parameters = ["app_id": "2021000000000000", "method": "alipay.trade.page.pay", "charset": "utf-8", "sign_type": "RSA2",
                          "timestamp": "2026-12-04 20:00:00", "version": "1.0", "notify_url": "https://school.example.com/api/v1/payments/alipay/notify",
                          "biz_content": #"{"out_trade_no":"ord_1","total_amount":"99.00","subject":"考研数学 & 英语","product_code":"FAST_INSTANT_TRADE_PAY"}"#]
        let ours = try AlipayCrypto.sign(parameters, key: key)
        let theirs = try Self.python("sign", [key.pkcs8PEMRepresentation, try Self.json(parameters)])
        #expect(ours == theirs)
        #expect(AlipayCrypto.content(["b": "2", "a": "1", "sign": "x", "empty": ""], leaving: ["sign"]) == "a=1&b=2")
    }

    @Test func notificationsSignedByThePlatformVerify() throws {
        let key = try Self.platform.get()
        let notification = ["notify_time": "2026-12-04 20:01:00", "notify_type": "trade_status_sync", "notify_id": "ac05099524730693a8b330c5ecf72da9786",
                            "app_id": "2021000000000000", "trade_no": "2026120422001", "out_trade_no": "ord_1", "total_amount": "99.00",
                            "trade_status": "TRADE_SUCCESS", "subject": "考研数学 & 英语", "charset": "utf-8", "version": "1.0"]
        var received = notification
        received["sign"] = try Self.python("notify", [key.pkcs8PEMRepresentation, try Self.json(notification)])
        received["sign_type"] = "RSA2"
        try AlipayCrypto.verifyNotification(received, key: key.publicKey)
        for (field, value) in [("total_amount", "990.00"), ("out_trade_no", "ord_2"), ("sign_type", "RSA"), ("sign", "bm90IGEgc2lnbg==")] {
            var altered = received
            altered[field] = value
            #expect(throws: TuikeError.self, "\(field)") { try AlipayCrypto.verifyNotification(altered, key: key.publicKey) }
        }
        var unsigned = received
        unsigned["sign"] = nil
        #expect(throws: TuikeError.self) { try AlipayCrypto.verifyNotification(unsigned, key: key.publicKey) }
        #expect(throws: TuikeError.self) { try AlipayCrypto.verifyNotification(received, key: try Self.app.get().publicKey) }
    }

    /// The response is checked on its raw text: spacing and `\u` escapes as sent, and a `}`
    /// inside a value; the SDK accepts the same response.
    @Test func responsesAreVerifiedOnTheirRawText() throws {
        let key = try Self.platform.get()
        let object = #"{"code":"10000", "msg":"Success","out_trade_no":"ord_1","trade_status":"TRADE_SUCCESS","buyer_logon_id":"\u6c88**}","total_amount":"99.00"}"#
        let sign = try Self.python("raw", [key.pkcs8PEMRepresentation, object])
        let raw = Data(#"{"alipay_trade_query_response":\#(object),"sign":"\#(sign)"}"#.utf8)
        let verified = try AlipayCrypto.verifyResponse(raw, responseKey: "alipay_trade_query_response", key: key.publicKey)
        #expect(String(decoding: verified, as: UTF8.self) == object)
        // Re-serialised, the same figures no longer verify: the text is what is signed.
        let reserialised = try JSONSerialization.data(withJSONObject: try JSONSerialization.jsonObject(with: Data(object.utf8)))
        let altered = Data(#"{"alipay_trade_query_response":\#(String(decoding: reserialised, as: UTF8.self)),"sign":"\#(sign)"}"#.utf8)
        #expect(throws: TuikeError.self) { try AlipayCrypto.verifyResponse(altered, responseKey: "alipay_trade_query_response", key: key.publicKey) }
        #expect(throws: TuikeError.self) { try AlipayCrypto.verifyResponse(raw, responseKey: "alipay_trade_refund_response", key: key.publicKey) }
        #expect(throws: TuikeError.self) { try AlipayCrypto.verifyResponse(Data("{]".utf8), responseKey: "x", key: key.publicKey) }
        // The SDK, given a response without a brace in its values, accepts what we accept.
        let plain = #"{"code":"10000","msg":"Success","out_trade_no":"ord_1"}"#
        let plainRaw = #"{"alipay_trade_query_response":\#(plain),"sign":"\#(try Self.python("raw", [key.pkcs8PEMRepresentation, plain]))"}"#
        _ = try AlipayCrypto.verifyResponse(Data(plainRaw.utf8), responseKey: "alipay_trade_query_response", key: key.publicKey)
        #expect(try Self.python("check", [key.publicKey.pemRepresentation, plainRaw]) == "ok")
    }

    static func json(_ parameters: [String: String]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: parameters), as: UTF8.self)
    }

    /// Runs `python-alipay-sdk`'s own signing and checking.
    static func python(_ mode: String, _ arguments: [String]) throws -> String {
        let script = """
            import sys, json
            from urllib.parse import parse_qsl
            from alipay import AliPay
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import rsa
            def pems(private):
                public = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
                return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode(), public
            mode, args = sys.argv[1], sys.argv[2:]
            if mode == "check":
                # The SDK wants an app key too; checking a response uses only Alipay's public key.
                throwaway, _ = pems(rsa.generate_private_key(public_exponent=65537, key_size=2048))
                sdk = AliPay(appid="2021000000000000", app_private_key_string=throwaway, alipay_public_key_string=args[0], sign_type="RSA2")
                sdk._verify_and_return_sync_response(args[1], "alipay_trade_query_response")
                print("ok", end="")
                sys.exit(0)
            private, public = pems(serialization.load_pem_private_key(args[0].encode(), password=None))
            sdk = AliPay(appid="2021000000000000", app_private_key_string=private, alipay_public_key_string=public, sign_type="RSA2")
            if mode == "sign":
                print(dict(parse_qsl(sdk.sign_data(json.loads(args[1]))))["sign"], end="")
            elif mode == "notify":
                data = json.loads(args[1])
                print(sdk._sign("&".join("{}={}".format(k, v) for k, v in sorted(data.items()))), end="")
            elif mode == "raw":
                print(sdk._sign(args[1]), end="")
            """
        return try Scanner.run("python3", ["-c", script, mode] + arguments)
    }
}
