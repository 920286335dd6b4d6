import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Reads live HTTP responses from a real socket on a thread of its own, so a test can watch a
/// stream that never ends by itself, or send requests exactly as written (pipelined ones too).
final class RawStreamReader: Sendable {
    let received = Mutex("")
    /// The server closed the connection (or `stop` ended it).
    let closed = Mutex(false)
    private let fd: Int32
    /// Whether `fd` is still this reader's. The reading thread closes it when the connection
    /// ends; after that the number may belong to another test's socket (a server's, a client's),
    /// so `send`, `finishSending` and `stop` touch it only while it is open, under this lock.
    private let open = Mutex(true)

    convenience init(port: Int, path: String) throws {
        try self.init(port: port, sending: "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    }

    /// Sends `request` as it is: one or more raw HTTP/1.1 requests.
    init(port: Int, sending request: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { [fd] in connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        _ = request.withCString { [fd] in Glibc.send(fd, $0, strlen($0), 0) }
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4_096)
            while true {
                let count = recv(self.fd, &buffer, buffer.count, 0)
                if count <= 0 {
                    self.closed.withLock { $0 = true }
                    break
                }
                let text = String(decoding: buffer[0..<count], as: UTF8.self)
                self.received.withLock { $0 += text }
            }
            self.open.withLock { open in
                close(self.fd)
                open = false
            }
        }
    }

    private func whileOpen(_ body: (Int32) -> Void) {
        open.withLock { open in if open { body(fd) } }
    }

    /// Sends more bytes on the same connection.
    func send(_ text: String) {
        whileOpen { fd in _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) } }
    }

    /// Says the client has nothing more to send (a half-close); the reading goes on.
    func finishSending() { whileOpen { fd in _ = shutdown(fd, Int32(SHUT_WR)) } }

    /// Ends the reading thread (the server keeps an HTTP/1.1 connection open after the stream).
    func stop() { whileOpen { fd in _ = shutdown(fd, Int32(SHUT_RDWR)) } }

    /// Waits up to `seconds` for `text` to have arrived `count` times.
    func waitFor(_ text: String, count: Int = 1, seconds: Double = 5) async throws -> Bool {
        try await waitUntil(seconds: seconds) { received.withLock { $0.ranges(of: text).count >= count } }
    }

    func waitUntilClosed(seconds: Double = 5) async throws -> Bool {
        try await waitUntil(seconds: seconds) { closed.withLock { $0 } }
    }

    private func waitUntil(seconds: Double, _ condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
