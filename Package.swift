// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Tuike",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tuike", targets: ["tuike"]),
        .executable(name: "tuike-bench", targets: ["tuike-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.25.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
    ],
    targets: [
        .target(
            name: "TuikeCore",
            swiftSettings: swiftSettings
        ),
        .target(name: "CTuikeSQLite"),
        // QR codes, posters and images: Debian's libqrencode, cairo, pango, libturbojpeg, libwebp.
        .systemLibrary(
            name: "CTuikeGraphics",
            pkgConfig: "pangocairo",
            providers: [.apt(["libqrencode-dev", "libcairo2-dev", "libpango1.0-dev", "libturbojpeg0-dev", "libwebp-dev"]),
                        .brew(["qrencode", "cairo", "pango", "jpeg-turbo", "webp"])]
        ),
        .target(
            name: "TuikeStore",
            dependencies: [
                "TuikeCore",
                "CTuikeSQLite",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TuikeServer",
            dependencies: [
                "TuikeCore",
                "TuikeStore",
                "CTuikeGraphics",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                // RSA (PKCS#1 v1.5, SHA-256) for WeChat Pay's and Alipay's signatures.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                // WeChat Pay's platform certificates.
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tuike",
            dependencies: [
                "TuikeServer",
                "TuikeStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // Benchmark data, kept out of the production binary: `tuike-bench` for bench/, the library for tests.
        .target(
            name: "TuikeBench",
            dependencies: ["TuikeStore", "TuikeCore", .product(name: "SQLKit", package: "sql-kit")],
            path: "bench/Sources/TuikeBench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tuike-bench",
            dependencies: [
                "TuikeBench", "TuikeStore", "TuikeCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/Sources/tuike-bench",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TuikeTestSupport",
            dependencies: ["TuikeStore", "TuikeCore", .product(name: "Logging", package: "swift-log"), .product(name: "SQLKit", package: "sql-kit")],
            path: "Tests/TuikeTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TuikeCoreTests",
            dependencies: ["TuikeCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TuikeStoreTests",
            dependencies: ["TuikeStore", "TuikeCore", "TuikeTestSupport", "TuikeBench"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TuikeServerTests",
            dependencies: [
                "TuikeServer",
                "TuikeStore",
                "TuikeCore",
                "TuikeTestSupport",
                "CTuikeGraphics",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            // The fake WeChat Pay and Alipay platforms the payment tests run as the other side.
            exclude: ["Payments/fake_wechatpay.py", "Payments/fake_alipay.py"],
            swiftSettings: swiftSettings
        ),
    ]
)
