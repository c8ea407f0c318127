import Glibc
import TitanPM
import TitanTransport
import TitanWire

/// Connects to `path` and says hello; whether a welcome came back (a listener that refuses
/// the connection closes it instead).
func connectAndGreet(path: String) -> Bool {
    guard let fd = try? UnixSocket.connect(path: path) else { return false }
    defer { close(fd) }
    let hello = Hello(pid: getpid(), callerName: "stranger")
    guard UnixSocket.writeAll(fd, FrameBuilder.frame(.hello, id: 0, payload: hello.payload)) else { return false }
    return UnixSocket.readSome(fd, timeout: .seconds(10)) != nil
}
