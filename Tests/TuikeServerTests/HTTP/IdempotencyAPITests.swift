import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

@Suite struct IdempotencyAPITests {
    static func headers(_ key: String, token: String = adminToken) -> HTTPFields {
        [.authorization: "Bearer \(token)", .contentType: "application/json", IdempotencyMiddleware.header: key]
    }

    @Test(arguments: TestDatabase.available)
    func theSameKeyAndBodyReturnTheFirstResponseAndActOnce(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let body = #"{"title":"考研数学全程班","price":129900}"#
            let first = try await client.send(.post, "/api/v1/products", headers: Self.headers("key-1"), body: body)
            let second = try await client.send(.post, "/api/v1/products", headers: Self.headers("key-1"), body: body)
            #expect(first.status == .created)
            #expect(second.status == .created)
            #expect(first.text == second.text)
            #expect(second.headers[IdempotencyMiddleware.replayedHeader] == "true")
            #expect(try await ProductRepository(database: tuike.database).count() == 1)

            expectError(try await client.send(.post, "/api/v1/products", headers: Self.headers("key-1"), body: #"{"title":"别的","price":1}"#),
                        .unprocessableContent, "idempotency_key_reused")
            #expect(try await ProductRepository(database: tuike.database).count() == 1)
        }
    }

    @Test(arguments: TestDatabase.available)
    func errorsAreReplayedToo(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let first = try await client.send(.post, "/api/v1/products", headers: Self.headers("bad"), body: #"{"title":"x","price":-1}"#)
            let second = try await client.send(.post, "/api/v1/products", headers: Self.headers("bad"), body: #"{"title":"x","price":-1}"#)
            expectError(first, .unprocessableContent, "validation_failed")
            #expect(second.text == first.text)
            #expect(try await ProductRepository(database: tuike.database).count() == 0)
        }
    }

    /// 50 identical requests at once with one key create exactly one product; the others see the
    /// stored response or are told the first is still running.
    @Test(arguments: TestDatabase.available)
    func concurrentRetriesActOnce(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        try await client.send(.post, "/api/v1/products", headers: Self.headers("race"), body: #"{"title":"抢","price":1}"#).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .created || $0 == .conflict })
            #expect(statuses.contains(.created))
            #expect(try await ProductRepository(database: tuike.database).count() == 1)
        }
    }

    @Test(arguments: TestDatabase.available)
    func keysAreScopedToTheCaller(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let other = try await TokenRepository(database: tuike.database).issue(role: "admin", subjectID: nil, label: "second", at: tuike.clock.now())
            let body = #"{"title":"课","price":1}"#
            #expect(try await client.send(.post, "/api/v1/products", headers: Self.headers("k"), body: body).status == .created)
            // A second admin token is the same principal scope ("admin"): same key replays.
            #expect(try await client.send(.post, "/api/v1/products", headers: Self.headers("k", token: other), body: body).headers[IdempotencyMiddleware.replayedHeader] == "true")
            expectError(try await client.send(.post, "/api/v1/products", headers: [IdempotencyMiddleware.header: String(repeating: "x", count: 300)], body: body),
                        .badRequest, "invalid_request")
            #expect(try await ProductRepository(database: tuike.database).count() == 1)
        }
    }
}
