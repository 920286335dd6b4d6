import Dispatch
import Hummingbird
import HTTPTypes
import Logging
import Metrics
import NIOCore
import NIOHTTPTypes
import TuikeCore
import TuikeStore

/// Answers `GET /r/{code}` for a cached, active link in the channel pipeline, before the request
/// becomes a Hummingbird `Request`; everything else passes on to the router untouched.
///
/// Why: the click is the hottest path and must wait for its commit. Through the router a
/// click suspends its connection's task and resumes it on another thread once the batch commits,
/// and the answer then hops back to the event loop: measured, the click cost 43–65 µs of server
/// CPU against 30–39 µs for `/healthz`, 0.61–0.62 of its requests/s. Here the click waits as a
/// callback and its answer is written on the connection's own event loop, so a commit wakes each
/// loop once rather than every waiting task (see the README, `bench/click.sh`).
///
/// It answers exactly what `TrackingController.redirect` answers (both call `follow`), and keeps
/// the router's other effects on such an answer: the `Secure` cookie flag, the request log line,
/// the request metrics, and the `Date` and `Server` headers. It leaves to the router the first
/// click of a code not yet in `LinkCache`, unknown and disabled codes (the 404 page), requests
/// that ask to close the connection, and any click behind a request the router has not answered.
///
/// HTTP/1.1 lets a client send requests before earlier answers arrive. Answers must keep that
/// order: while this handler waits for a commit it holds every later part (and stops reading),
/// and it never answers a click while the router owes an answer on the connection.
final class ClickRedirectHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// What every connection's handler shares.
    struct Shared: Sendable {
        let tracking: TrackingController
        let secureCookies: SecureCookieMiddleware
        let metrics: ClickRedirectMetrics
        let serverName: String
        let logger: Logger
    }

    private enum Held {
        case part(HTTPRequestPart)
        case event(Any)
    }

    private let shared: Shared
    /// Requests passed to the router whose answers have not ended yet.
    private var routerOwes = 0
    /// A click being answered here: its head until the request ends, then its link.
    private var click: (head: HTTPRequest, link: Link)?
    /// True from the end of that click's request until its answer is written.
    private var waitingForCommit = false
    private var held = CircularBuffer<Held>()
    private var readHeld = false
    /// What arrives now must wait behind a click.
    private var holding: Bool { waitingForCommit || !held.isEmpty }

    init(shared: Shared) { self.shared = shared }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if holding {
            held.append(.part(unwrapInboundIn(data)))
        } else {
            handle(unwrapInboundIn(data), context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if holding {
            held.append(.event(event))
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// Nothing held can be answered any more; a click still waiting is recorded all the same.
    func channelInactive(context: ChannelHandlerContext) {
        held.removeAll()
        readHeld = false
        context.fireChannelInactive()
    }

    func read(context: ChannelHandlerContext) {
        if holding { readHeld = true } else { context.read() }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { routerOwes = max(routerOwes - 1, 0) }
        context.write(data, promise: promise)
    }

    private func handle(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            if routerOwes == 0, let link = answerableLink(head) {
                click = (head, link)
            } else {
                routerOwes += 1
                context.fireChannelRead(wrapInboundOut(part))
            }
        case .body:
            // A GET's body means nothing to a click.
            if click == nil { context.fireChannelRead(wrapInboundOut(part)) }
        case .end:
            guard let (head, link) = click else {
                context.fireChannelRead(wrapInboundOut(part))
                return
            }
            click = nil
            record(head, link: link, context: context)
        }
    }

    /// The link when this handler may answer `head` itself.
    private func answerableLink(_ head: HTTPRequest) -> Link? {
        guard head.method == .get, let path = head.path, path.utf8.starts(with: "/r/".utf8) else { return nil }
        let code = path.utf8.dropFirst(3).prefix { $0 != UInt8(ascii: "?") }
        guard !code.isEmpty, code.count <= TrackingController.maxCodeLength, code.allSatisfy(\.isASCIIAlphanumeric) else { return nil }
        if let connection = head.headerFields[.connection], connection.lowercased().contains("close") { return nil }
        guard let link = shared.tracking.cache.cachedLink(code: String(Substring(code))), link.status == .active else { return nil }
        return link
    }

    private func record(_ head: HTTPRequest, link: Link, context: ChannelHandlerContext) {
        let started = DispatchTime.now().uptimeNanoseconds
        shared.metrics.active.increment()
        shared.logger.info("Request", metadata: [
            "hb.request.id": .stringConvertible(RequestID()), "hb.request.path": "\(head.path ?? "")", "hb.request.method": "GET",
        ])
        let (click, headers) = shared.tracking.follow(link, headers: head.headerFields, remoteIP: context.channel.remoteAddress?.ipAddress,
                                                      source: head.path.flatMap { MaterialKey.inQuery(of: $0) })
        waitingForCommit = true
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        shared.tracking.recorder.record(click) { error in
            loop.execute {
                let (handler, context) = bound.value
                handler.answer(headers: headers, error: error, started: started, context: context)
            }
        }
    }

    private func answer(headers: HTTPFields, error: (any Error)?, started: UInt64, context: ChannelHandlerContext) {
        var status = HTTPResponse.Status.found
        var fields = headers
        var body: ByteBuffer?
        if let error {
            (status, body) = ErrorResponses.parts(for: error, logger: shared.logger)
            fields = [.contentType: ErrorResponses.contentType]
        }
        shared.secureCookies.secure(&fields)
        fields[.contentLength] = String(body?.readableBytes ?? 0)
        fields[.date] = HTTPDate.now()
        fields[.server] = shared.serverName
        context.write(wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(body)), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        shared.metrics.recordAnswer(status: status, nanoseconds: DispatchTime.now().uptimeNanoseconds - started)
        waitingForCommit = false
        releaseHeld(context: context)
    }

    /// Goes on with what arrived while the click waited, in order, until another click waits.
    /// The router's end of the pipeline hands on what it read at each read's completion, so a
    /// release ends with one.
    private func releaseHeld(context: ChannelHandlerContext) {
        guard !held.isEmpty || readHeld else { return }
        while !waitingForCommit, let next = held.popFirst() {
            switch next {
            case .part(let part): handle(part, context: context)
            case .event(let event): context.fireUserInboundEventTriggered(event)
            }
        }
        context.fireChannelReadComplete()
        if !waitingForCommit, readHeld {
            readHeld = false
            context.read()
        }
    }
}

/// The router's request metrics (Hummingbird's `MetricsMiddleware`) for the clicks answered by
/// `ClickRedirectHandler`: the same labels and dimensions, so `/metrics` counts every click once
/// whichever side answered it.
struct ClickRedirectMetrics: Sendable {
    static let route = "/r/{code}"
    private let factory: any MetricsFactory
    let active: Meter
    private let found: Counter
    private let foundDuration: Timer

    init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        active = Meter(label: "http.server.active_requests", dimensions: [("http.request.method", "GET")], factory: factory)
        found = Counter(label: "hb.requests", dimensions: Self.dimensions(status: .found), factory: factory)
        foundDuration = Timer(label: "http.server.request.duration", dimensions: Self.dimensions(status: .found), preferredDisplayUnit: .seconds,
                              factory: factory)
    }

    private static func dimensions(status: HTTPResponse.Status) -> [(String, String)] {
        [("http.route", route), ("http.request.method", "GET"), ("http.response.status_code", status.code.description)]
    }

    func recordAnswer(status: HTTPResponse.Status, nanoseconds: UInt64) {
        defer { active.decrement() }
        guard status != .found else {
            found.increment()
            foundDuration.recordNanoseconds(nanoseconds)
            return
        }
        // As `MetricsMiddleware` counts a thrown error: no duration, an error counted apart.
        Counter(label: "hb.requests", dimensions: Self.dimensions(status: status), factory: factory).increment()
        Counter(label: "hb.request.errors", dimensions: [("http.route", Self.route), ("http.request.method", "GET"), ("error.type", status.code.description)],
                factory: factory).increment()
    }
}
