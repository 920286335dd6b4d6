import Foundation
import Testing
import TuikeCore
@testable import TuikeServer
import _CryptoExtras

/// Fixed vectors: the providers' documented example requests and notifications (WeChat Pay's
/// Native order, Alipay's page-pay request), signed and sealed once with the fixed test key below
/// by the providers' SDKs from PyPI (`wechatpayv3`, `python-alipay-sdk`) and recorded here, so
/// these run without Python and any change in what we sign or accept shows at once. (The
/// providers' own pages print their examples without keys or ciphertexts, so they cannot be
/// checked byte for byte themselves.)
@Suite struct PaymentVectorTests {
    /// A key made for these vectors alone (it signs nothing else).
    static let keyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCorwtU9aU7KvFC
        YhNfUeLo1sN27oM8/BGpterGTWW+tUAaEnvTu1jM5ozHYO4vXMewUKUYemJtN4Am
        Pxa5CJDxlPOoIZJwbbm9EaH420R3GXvFVcJtZ3A5ka19WU9EteLRSCnfVHpR+nWT
        tvUYcO+AWuQGMgjoEk+KhaRgHzB/FTKTqCCEkqsGTCk975ZgV5EO1wrWshyLWLTv
        bt+vR7nBJyGUMVYySbIi9Q8FMX+uc6WLpwWMdVyX3Zf7VbwJQqBgRNZZhJoE4af2
        w+njNSGttgJ/Ofn0f/YIM/SWUDLZWSSreVB8FXcpTBHwctTMDGdmz0h076zMyOHN
        64EdPWfvAgMBAAECggEAJqHsXPljbcEgfx0aJbcJ2lyxaJAoo3NxkiY1TlRUjJBT
        TYVVMcFTDZ5xuIoFEvjTTRizLv98gln3Mgs554fENmfwQ93ofXJL2zbqGyYQsJw4
        AhJplIffpnesPaySIIDtoRO/b0QYPaU4f2ukB4R5/bITTi3wZ0ImUGnaIx+RilEP
        zlYZ7pAb96XhjTeWicRWFWHcoG1u0DcmEOkqKR6qlHjcM1nmp4YpNKwuaGSwnzOF
        WwTW6Jhn9Q1eQzPZNVZhoRRSTPNKxMId9dmqxr1jlo2KN4ver6WegUx7imvpcf9q
        K9IBOTaoicmBNus6weIA4QaBlADwjhoYXAB1XZbn2QKBgQDUaTb4K9r12lTlENwF
        yKG0cWAWUhCOwPQyu82a4aGXDPZlF4RWuAfHONUxw/N6AHPKn5DBk/juriBp7Dxo
        SHzrXna2iP4/DW0kqg3I5YeNkazA0jL0E0K5XkgY0QQglbVdLcrlREOtjNM01a7G
        eqHXhkm0uP0rJgIpYaTzUJTpRwKBgQDLTKqLx4mSMb3rzKhA5J4QGDDqQziHPRXe
        I+rl0HmDllxWLq11V+j+MvR22aSuYY+m9fneZUNTTn2vIMaDkOLsoHw5XA6pfa/N
        yqzkFgXAdKxdntXhjPGkjWvSpb6e7OvuZDA2lHXeg5zKtgsbj1vUbr57ckqObPRN
        iD3mewhgGQKBgEm86M9Ici/NBpGqw6biWniIr0GwZX0ZMOz3002ELJOCdXrsqg1s
        v46ChUhMbRaaV5gswpTg6Jb7Ldd3ohTVrUAMQAvoDNMYtx32RujJ/b/ApYcesX+X
        vB8bws2Sqesh7Z8WSYxDoXb7H0sFLzJJ2is2vBmX6pNzE2cINbod7EP7AoGAD0GD
        ktW4dyYQcH99KNF/IwoNsaa1uUBWQcNEP1azp7JC35zFG4crTtgYDEss1oEvvIG8
        7HmA4eGEAP5ep0TaIpOwfsVvvDxYUwMgkkUszVJ0FNp0hmaDQ6vxKW+SrG5vDgaq
        r43Ygogx3exnTPwnEfv1g2ICQkne02qj6oXVDRECgYBZOl6kfx8Nd9rfr9hPmMjr
        IKe3exF8mTE4Jg8WqOgC8In4E9tnMwtlk3HlPmwUYuESJXARxufWPe/MJ/C4tqUs
        MIEPuQR4L47sLArgCkP1wbsHs7wTrGB9PA/ak/l+5qje9t3UNOus/p7L3q+AKV3z
        iSXMuB4Oo7M/B2+U61yX+A==
        -----END PRIVATE KEY-----
        """
    static let key = Result { try _RSA.Signing.PrivateKey(pemRepresentation: keyPEM) }

    static let wechatOrder = "{\"appid\":\"wxd678efh567hg6787\",\"mchid\":\"1230000109\",\"description\":\"Image形象店-深圳腾大-QQ公仔\",\"out_trade_no\":\"1217752501201407033233368018\",\"notify_url\":\"https://www.weixin.qq.com/wxpay/pay.php\",\"amount\":{\"total\":100,\"currency\":\"CNY\"}}"
    static let wechatAuthorization = "WECHATPAY2-SHA256-RSA2048 mchid=\"1230000109\",nonce_str=\"593BEC0C930BF1AFEB40B4A08C8FB242\",signature=\"Ln/63L3pPYbKrIfzqubnAQmX78pFAqTkmr6JSbeup54I4eSGVBuJmjizfioG0cFHYnKMRo4rPDUh/yXtSAMxSY6113GP9tf5z5xCvMwZSgSck2l05PeWaZ4p0VOXy5wb1yufNzw1oenrGXHV4dSnz6doBtVofJxp8ePzdSMio9qkazd/iqk1lfqamjAvgaSZmGQgSBaVf4GEV84KUT5gUhBEo7tHpR4RD71TiBpQs5foNxa42LAL/n37Arh5DqSadpTDh88AbSOlQezIj9JA9DdS7Zxez6TU2x0FeHP58xgdhAOJvEtvBfiyW0OOc5/pR297WgKBiWDsd/6OPqiFmQ==\",timestamp=\"1733300000\",serial_no=\"5157F09EFDC096DE15EBE81A47057A72\""
    static let wechatNotification = "{\"id\":\"EV-2018022511223320873\",\"create_time\":\"2015-05-20T13:29:35+08:00\",\"resource_type\":\"encrypt-resource\",\"event_type\":\"TRANSACTION.SUCCESS\",\"summary\":\"支付成功\",\"resource\":{\"original_type\":\"transaction\",\"algorithm\":\"AEAD_AES_256_GCM\",\"ciphertext\":\"\",\"associated_data\":\"transaction\",\"nonce\":\"fdasfjihihihlkja\"}}"
    static let wechatNotificationSignature = "d0IDc90zrKY+rLe6VySzmyLNB/5/w2r+VUMMCHsC3UjLWkz1cPmpNB7nouK4f+MuYBZW0AwvvDeQ8FvfmOiIQNt0JTa3eeHMVgS32wuQ28iuuWdIKle9EQgT1jta/BmlduB12n9Gb7TGc7p7jnp5ef20oMNby3OWQDpu10681ZN6yXRS8OMZsbcT8vkZhmcb7XfVR6zWEICM2z3mABWAt26AycKs4a+eXl1sV0m8loDugnKFEwgGo/XdDo2KZxjTd4NxBFBuIk6MVRjABchw15+Ae8gjg7arvq4OZ5dJPsuk/9xbOMd9IYFaxjcvWx2CMFOflPVcQGUSu+sS6svqIw=="
    static let wechatResource = "MI9tT8322x8OSns/BjvVQFXIOJx5ekGDW7UK6GbvlKrroRFXv82kGaPSE6kVpok/msiYq5isGaFMhxot0x81xoR7lOZPRDP8RbXXFs7MD8D6GEqzR2OeRJs6AqhMuD+QFccX8Wh4gpCPntH5vsLIRGgAGFQ33GND4/eXJAvJPPElDOb/S+jYtkoqn8mTBzSPmTKFzsrGmm1P8nrOeBThYd0IxheTnOy69jg7Tfi+bB+Bvd+Mt4dCTcLA0+B1UCcE96WiX0jnZpBgW48K4OT41FJQLjrfSV/iFUVuSt6T8H7C6hz6mqSeykHlRaWwOO057JSJoNtlEg=="
    static let wechatResourcePlain = "{\"mchid\":\"1230000109\",\"appid\":\"wxd678efh567hg6787\",\"out_trade_no\":\"1217752501201407033233368018\",\"transaction_id\":\"1217752501201407033233368018\",\"trade_type\":\"NATIVE\",\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":100,\"currency\":\"CNY\"}}"
    static let alipaySign = "nCOmUWJDCo4pXvTpeJrZ/uoFRRBdA7vt3geSBzZ5jBIY/e5OQ/KZ9R85E+q6ud+4SesDIdZaU0nFHlOuMWI0EoiYmm2o4EzGDe49lKAq16gSwYuVdKw1MCy0YNj2zTLL61L1ZCbvE+bwQFmqGZRQyEpddpA+4Ou1JLzWtfBW7mIp7Q6tGqmA4buR5HBCd5XWJe/WmLjaW1ua1mfI+Ej9+A4nC6GyBU93+oCb5ewbYzXhkylOnN/qkHaqnpaljdqYnyIj49BkydpR2iqw2tM60pOokICjBTTRSf0zp7a7cnfBT9Sc5R/wgoZwSQLg4DJjq5yc8T786HTHNwFqdhPYWg=="

    @Test func wechatPaysExampleOrderIsSignedAsTheSDKSignsIt() throws {
        let header = try WechatPayCrypto.authorization(method: "POST", path: "/v3/pay/transactions/native", body: Data(Self.wechatOrder.utf8),
                                                       mchid: "1230000109", serialNo: "5157F09EFDC096DE15EBE81A47057A72", key: try Self.key.get(),
                                                       timestamp: 1_733_300_000, nonce: "593BEC0C930BF1AFEB40B4A08C8FB242")
        #expect(header == Self.wechatAuthorization)
    }

    @Test func wechatPaysExampleNotificationVerifiesAndDecrypts() throws {
        let keys = ["PUB_KEY_ID_0114232134912410000000000000": try Self.key.get().publicKey]
        func verify(_ body: String, at seconds: Int64 = 1_733_300_010) throws {
            try WechatPayCrypto.verify(timestamp: "1733300000", nonce: "fdasflkja484w", body: Data(body.utf8), signature: Self.wechatNotificationSignature,
                                       serial: "PUB_KEY_ID_0114232134912410000000000000", keys: keys, now: Instant(milliseconds: seconds * 1000))
        }
        try verify(Self.wechatNotification)
        #expect(throws: TuikeError.self) { try verify(Self.wechatNotification.replacingOccurrences(of: "SUCCESS", with: "FAILURE")) }
        #expect(throws: TuikeError.self) { try verify(Self.wechatNotification, at: 1_733_300_301) }
        let plain = try WechatPayCrypto.decrypt(ciphertext: Self.wechatResource, nonce: "fdasfjihihih", associatedData: "transaction",
                                                apiV3Key: "0123456789abcdefghijklmnopqrstuv")
        #expect(String(decoding: plain, as: UTF8.self) == Self.wechatResourcePlain)
    }

    @Test func alipaysExamplePagePayIsSignedAsTheSDKSignsIt() throws {
        let parameters = ["app_id": "2021000000000000", "method": "alipay.trade.page.pay", "charset": "utf-8", "sign_type": "RSA2",
                          "timestamp": "2014-07-24 03:07:50", "version": "1.0",
                          "biz_content": #"{"out_trade_no":"20150320010101001","total_amount":"88.88","subject":"Iphone6 16G","product_code":"FAST_INSTANT_TRADE_PAY"}"#]
        #expect(try AlipayCrypto.sign(parameters, key: try Self.key.get()) == Self.alipaySign)
        // And the signature verifies with the key's public half over the same text.
        try AlipayCrypto.check(Self.alipaySign, over: Data(AlipayCrypto.content(parameters, leaving: ["sign"]).utf8), key: try Self.key.get().publicKey)
    }
}
