import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization
import TuikeCore

/// How long a connection may keep the server waiting, and how many one address may hold.
public struct ConnectionLimits: Sendable, Equatable {
    /// Between requests on a kept-alive connection (and before the first byte of the first one).
    public var idleTimeout: TimeAmount = .seconds(60)
    /// From a request's first byte until its headers are complete.
    public var headerTimeout: TimeAmount = .seconds(10)
    /// Between two pieces of a request body the server asked for.
    public var bodyTimeout: TimeAmount = .seconds(30)
    /// Open connections from one client address; trusted proxies are not counted (every client
    /// behind them shares their address). Mobile carriers put many buyers behind one address, so
    /// this is generous: it stops one machine from holding the server's sockets, not a crowd.
    public var perAddress = 256

    public init() {}
}

/// Closes a connection whose client keeps the server waiting: no request within `idleTimeout`,
/// headers sent slowly (`headerTimeout` from their first byte), or a body that stops arriving
/// (`bodyTimeout` after the server asked for more). It never closes while an answer is owed or
/// being written, so a live event stream or a click waiting for its commit is safe.
///
/// It sits before `ClickRedirectHandler`, so it sees every request head and every answer,
/// including clicks answered in the pipeline; a `FirstByteWatcher` at the pipeline's front tells
/// it when the bytes of a next request begin (before they are a head).
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Phase { case idle, readingHead, readingBody, answering }

    private let limits: ConnectionLimits
    private var phase = Phase.idle
    /// Request heads read minus answers ended.
    private var unanswered = 0
    /// The server asked for bytes (a `read` passed here) and none has come since.
    private var readRequested = false
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(limits: ConnectionLimits) { self.limits = limits }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        try? context.pipeline.syncOperations.addHandler(FirstByteWatcher(guard: self), position: .first)
        if context.channel.isActive { arm(limits.idleTimeout) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(limits.idleTimeout)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    /// Bytes arrived before the decoder: the start of a request when the connection was idle.
    fileprivate func bytesArrived() {
        readRequested = false
        guard phase == .idle else { return }
        phase = .readingHead
        arm(limits.headerTimeout)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        readRequested = false
        switch unwrapInboundIn(data) {
        case .head:
            unanswered += 1
            phase = .readingBody
            arm(limits.bodyTimeout)
        case .body:
            arm(limits.bodyTimeout)
        case .end:
            if unanswered > 0 {
                phase = .answering
                disarm()
            } else {
                phase = .idle
                arm(limits.idleTimeout)
            }
        }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        // The body clock runs from the server's demand: while the server holds back (a handler
        // that has not read the body yet), the client is not the one keeping anyone waiting.
        if !readRequested, phase == .readingBody { arm(limits.bodyTimeout) }
        readRequested = true
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        // The answer counts as given once its end has reached the socket, not when it is queued:
        // a client slowly reading a large answer is still being answered.
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { [weak self] _ in self?.answerWritten() }
        if let promise { written.futureResult.cascade(to: promise) }
        context.write(data, promise: written)
    }

    private func answerWritten() {
        unanswered = max(0, unanswered - 1)
        if unanswered == 0, phase == .answering {
            phase = .idle
            arm(limits.idleTimeout)
        }
    }

    private func expired() {
        timer = nil
        switch phase {
        case .answering:
            return
        case .readingBody where !readRequested:
            arm(limits.bodyTimeout)
        // The rest of a head waits in the socket while the server holds back (a pipelining client
        // whose earlier requests are still being answered): the server keeps it waiting, not the
        // client.
        case .readingHead where !readRequested:
            arm(limits.headerTimeout)
        case .idle, .readingHead, .readingBody:
            context?.close(promise: nil)
        }
    }

    private func arm(_ delay: TimeAmount) {
        disarm()
        guard let context else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in self?.expired() }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}

/// At the front of the pipeline, where bytes are still bytes: tells its `ConnectionGuard` that a
/// request has begun arriving.
private final class FirstByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private weak var connectionGuard: ConnectionGuard?

    init(guard connectionGuard: ConnectionGuard) { self.connectionGuard = connectionGuard }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connectionGuard?.bytesArrived()
        context.fireChannelRead(data)
    }
}

/// The connections each client address holds, across all event loops.
final class ConnectionsPerAddress: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    let limit: Int
    let exempt: TrustedProxies

    init(limit: Int, exempt: TrustedProxies) {
        self.limit = limit
        self.exempt = exempt
    }

    /// Takes a place for `address`; false when it holds `limit` already.
    func take(_ address: String) -> Bool {
        counts.withLock { counts in
            let held = counts[address, default: 0]
            guard held < limit else { return false }
            counts[address] = held + 1
            return true
        }
    }

    func give(_ address: String) {
        counts.withLock { counts in
            let held = counts[address, default: 0]
            counts[address] = held > 1 ? held - 1 : nil
        }
    }

    var open: Int { counts.withLock { $0.values.reduce(0, +) } }
}

/// Closes a new connection at once when its address already holds its limit.
final class ConnectionCap: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    private let registry: ConnectionsPerAddress
    private let logger: Logger
    private var held: String?

    init(registry: ConnectionsPerAddress, logger: Logger) {
        self.registry = registry
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        if let ip = context.channel.remoteAddress?.ipAddress, !registry.exempt.contains(ip) {
            let address = AddressRanges.limitKey(ip)
            guard registry.take(address) else {
                logger.notice("connection refused: too many from one address", metadata: ["address": "\(address)", "limit": "\(registry.limit)"])
                context.close(promise: nil)
                return
            }
            held = address
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let held { registry.give(held) }
        held = nil
        context.fireChannelInactive()
    }
}
