import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

extension TestClientProtocol {
    func upload(_ bytes: [UInt8], type: String = "image/png", headers: HTTPFields = [.authorization: "Bearer \(adminToken)"]) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = type
        return try await execute(uri: "/api/v1/media", method: .post, headers: fields, body: ByteBuffer(bytes: bytes))
    }
}

/// Uploads: typed from their bytes, decoded in full before anything is stored, served by content
/// with a strong ETag, downscaled for lists and cards. Hostile files are refused and leave nothing.
@Suite struct MediaAPITests {
    @Test(arguments: TestDatabase.available)
    func imagesAreStoredByContentAndServed(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let png = try TestImages.png()
            let created = try await client.upload(png, type: "image/jpeg")  // the declared type is not believed
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(created.json["id"] as? String)
            #expect(created.json["width"] as? Int == 640 && created.json["height"] as? Int == 400)
            #expect(created.json["mime_type"] as? String == "image/png")
            #expect((created.json["url"] as? String)?.hasSuffix("/media/\(id)") == true)
            let again = try await client.upload(png)
            #expect(again.status == .ok && again.json["id"] as? String == id)

            let served = try await client.send(.get, "/media/\(id)", headers: [:])
            #expect(served.status == .ok && Array(buffer: served.body) == png)
            #expect(served.headers[.contentType] == "image/png")
            let etag = try #require(served.headers[.eTag])
            #expect(etag == "\"\(created.json["sha256"] as? String ?? "")\"")
            #expect(served.headers[.cacheControl]?.contains("immutable") == true)
            #expect(try await client.send(.get, "/media/\(id)", headers: [.ifNoneMatch: etag]).status == .notModified)

            let jpeg = try await client.upload(try TestImages.jpeg(), type: "application/octet-stream")
            #expect(jpeg.status == .created && jpeg.json["mime_type"] as? String == "image/jpeg", "\(jpeg.text)")
            let jpegID = try #require(jpeg.json["id"] as? String)
            for width in [160, 480, 960] {
                let rendition = try await client.send(.get, "/media/\(jpegID)?w=\(width)", headers: [:])
                #expect(rendition.headers[.contentType] == "image/jpeg")
                let probe = try ImageProbe.probe(Array(buffer: rendition.body))
                #expect(probe.width == width && probe.height == (800 * width + 600) / 1_200)
            }
            // An image narrower than a rendition is its own rendition.
            #expect(Array(buffer: try await client.send(.get, "/media/\(id)?w=960", headers: [:]).body) == png)
            let webp = try await client.upload(try TestImages.webp(), type: "image/webp")
            #expect(webp.status == .created && webp.json["mime_type"] as? String == "image/webp" && webp.json["width"] as? Int == 300, "\(webp.text)")

            expectError(try await client.send(.get, "/media/\(id)?w=7", headers: [:]), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.get, "/media/med_00000000000000000000000000000000", headers: [:]), .notFound, "not_found")
            expectError(try await client.send(.get, "/media/nope", headers: [:]), .notFound, "not_found")
            let list = try await client.send(.get, "/api/v1/media")
            #expect((list.json["data"] as? [Any])?.count == 3)

            let promoter = try await client.createPromoter("P")["id"] as! String
            let token = try await client.promoterToken(promoter)
            expectError(try await client.upload(png, headers: [.authorization: token[.authorization] ?? ""]), .forbidden, "forbidden")
        }
    }

    @Test(arguments: TestDatabase.available)
    func hostileUploadsAreRefusedAndLeaveNothing(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, app async throws in
            let png = try TestImages.png()
            let jpeg = try TestImages.jpeg()
            // HTML with a PNG name and type; an SVG (scriptable); a GIF; nothing at all.
            expectError(try await client.upload(Array("<html><script>alert(1)</script></html>".utf8)), .unsupportedMediaType, "unsupported_media_type")
            expectError(try await client.upload(Array(#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.utf8), type: "image/svg+xml"),
                        .unsupportedMediaType, "unsupported_media_type")
            expectError(try await client.upload(Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 40)), .unsupportedMediaType, "unsupported_media_type")
            expectError(try await client.upload([]), .unsupportedMediaType, "unsupported_media_type")
            // A decompression bomb: a valid PNG header declaring 60000 × 60000 pixels.
            var bomb = Array(png.prefix(33))
            bomb.replaceSubrange(16..<24, with: [0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60])
            expectError(try await client.upload(bomb + Array(png.dropFirst(33))), .contentTooLarge, "payload_too_large")
            // Truncated: the header is whole, the pixels are not.
            expectError(try await client.upload(Array(png.prefix(png.count / 2))), .unsupportedMediaType, "unsupported_media_type")
            expectError(try await client.upload(Array(jpeg.prefix(jpeg.count / 2))), .unsupportedMediaType, "unsupported_media_type")
            // 11 MiB.
            expectError(try await client.upload(png + [UInt8](repeating: 0, count: 11 * 1_024 * 1_024)), .contentTooLarge, "payload_too_large")
            #expect(try await OrdersAPITests.count("media", in: app.database) == 0)
            #expect(try await OrdersAPITests.count("media_renditions", in: app.database) == 0)
        }
    }
}
