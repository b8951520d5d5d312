// The dashboard's HTTP/1.1 server: SwiftNIO on an event loop thread of its own, so a slow,
// stuck or hostile client never delays the coordinator's dispatch. It only moves bytes:
// what to answer is `DashboardRoutes` (Monitor), over the board the coordinator publishes to.
// Bounded: request headers, connections, bytes per request, idle time, unread responses.

import Monitor
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A read-only HTTP server of a sweep's dashboard, metrics and JSON.
public final class DashboardServer: Sendable {
    /// Connections served at once; more are closed as they arrive.
    public static let maxConnections = 64
    /// Bytes of one request (request line, headers and any body) before the connection is closed.
    public static let maxRequestBytes = 32 * 1024
    /// Bytes of request headers (names and values): beyond, 400 and close (NIOHTTP1's decoder).
    public static let maxHeaderBytes = 16 * 1024
    /// A connection with no traffic either way this long is closed.
    public static let idleTimeout = TimeAmount.seconds(30)

    let host: String
    let port: Int
    let routes: DashboardRoutes
    let group: MultiThreadedEventLoopGroup
    let channel = Mutex<Channel?>(nil)
    let connections = ConnectionCount()

    /// A server for `board` on `host:port` (port 0: any free port), requiring `token` if given.
    /// Nothing is bound until `start`.
    public init(host: String, port: Int, token: String?, board: MonitorBoard) {
        self.host = host
        self.port = port
        self.routes = DashboardRoutes(board: board, token: token)
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    /// Binds and serves; returns the bound port. Throws if the address cannot be bound.
    public func start() throws -> Int {
        let routes = self.routes, connections = self.connections
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = Self.maxHeaderBytes
        limits.maxHeaderFieldSize = Self.maxHeaderBytes
        limits.maxHeaderFieldCount = 100
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { channel in
                // Refused before it is registered: NIO closes the accepted socket.
                guard connections.open() else { return channel.eventLoop.makeFailedFuture(TooManyConnections()) }
                channel.closeFuture.whenComplete { _ in connections.close() }
                return channel.eventLoop.makeCompletedFuture {
                    let budget = RequestBudget()
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(RequestSizeGuard(budget: budget))
                    try pipeline.addHandler(IdleStateHandler(allTimeout: Self.idleTimeout))
                    try pipeline.configureHTTPServerPipeline(withEncoderConfiguration: .init(), withDecoderLimitConfiguration: limits)
                    try pipeline.addHandler(DashboardHTTPHandler(routes: routes, budget: budget))
                }
            }
        let bound = try bootstrap.bind(host: host, port: port).wait()
        channel.withLock { $0 = bound }
        return bound.localAddress?.port ?? port
    }

    /// Stops serving and ends the event loop thread.
    public func stop() {
        let bound = channel.withLock { c -> Channel? in
            defer { c = nil }
            return c
        }
        try? bound?.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// Connections open now, under `DashboardServer.maxConnections`.
final class ConnectionCount: Sendable {
    let count = Mutex(0)

    /// Counts a new connection; false (not counted) when at the limit.
    func open() -> Bool {
        count.withLock { n in
            guard n < DashboardServer.maxConnections else { return false }
            n += 1
            return true
        }
    }

    func close() { count.withLock { $0 -= 1 } }
}

/// A connection beyond `DashboardServer.maxConnections`.
struct TooManyConnections: Error {}

/// Bytes received on a connection since its last complete request (one event loop: no lock).
final class RequestBudget {
    var bytes = 0
}

/// Closes a connection that sends more than `maxRequestBytes` towards one request (a long
/// request line, headers dribbled forever, a body nobody asked for).
final class RequestSizeGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let budget: RequestBudget
    init(budget: RequestBudget) { self.budget = budget }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        budget.bytes += unwrapInboundIn(data).readableBytes
        guard budget.bytes <= DashboardServer.maxRequestBytes else {
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
    }
}

/// Answers each request from `DashboardRoutes`; closes on idleness, errors, and clients that
/// do not read what they asked for.
final class DashboardHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let routes: DashboardRoutes
    let budget: RequestBudget
    var head: HTTPRequestHead?

    init(routes: DashboardRoutes, budget: RequestBudget) {
        self.routes = routes
        self.budget = budget
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break   // GET and HEAD have none; its bytes count against the budget
        case .end:
            guard let h = head else { return }
            head = nil
            budget.bytes = 0
            respond(to: h, context: context)
        }
    }

    func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let answer = routes.respond(method: request.method.rawValue, uri: request.uri,
                                    authorization: request.headers.first(name: "authorization"))
        var headers = HTTPHeaders(answer.headers)
        headers.add(name: "Content-Length", value: String(answer.body.count))
        // A client that has not read the last answers (the socket's buffer is full) gets
        // this one and is closed: what it can make the server hold is bounded.
        let keepAlive = request.isKeepAlive && context.channel.isWritable
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let status = HTTPResponseStatus(statusCode: answer.status, reasonPhrase: answer.reason)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if request.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: answer.body.count)
            buffer.writeBytes(answer.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
