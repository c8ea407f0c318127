import CTitan
import Glibc
import Synchronization
import TitanCore

/// Which build a program file is: its file's device, inode, size and modification time.
///
/// A child reports the identity of the file it runs; the parent compares it with the image it
/// started, so a child that runs another build than the one meant is refused, not served.
package struct ImageIdentity: Sendable, Hashable, CustomStringConvertible {
    package var device: UInt64
    package var inode: UInt64
    package var size: Int64
    package var modified: Int64

    /// The identity of the file `fd` names (any descriptor, `O_PATH` included).
    package init?(fd: Int32) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }

    /// The identity of the file at `path` (following links, `/proc/PID/exe` included).
    package init?(path: String) {
        let fd = titan_open_path(path)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        self.init(fd: fd)
    }

    /// The identity of the program this process runs (its `/proc/self/exe`, which names the
    /// file it was started from even after that file was replaced or deleted).
    package static func currentProcess() -> ImageIdentity? {
        ImageIdentity(path: "/proc/self/exe")
    }

    /// The form it travels in (the readiness report) and is printed in.
    package var description: String { "dev \(device) inode \(inode) size \(size) mtime \(modified)" }
}

/// The program file children are started from, held open: replacing or deleting the file on
/// disk changes nothing for the children started from this image, which all run the same
/// build until the owner replaces the image (a reload).
///
/// The children of a `ProcessManager` re-execute ``current()``, the file this process was
/// started from — not whatever `/proc/self/exe`'s path names now.
package final class ExecutableImage: Sendable {
    /// The path the file had when it was opened: the children's `argv[0]`, and what errors name.
    package let path: String
    /// An `O_PATH`, close-on-exec descriptor of the file, executed with `execveat`.
    package let descriptor: Int32
    /// The file's identity when it was opened.
    package let identity: ImageIdentity

    private init(path: String, descriptor: Int32, identity: ImageIdentity) {
        self.path = path
        self.descriptor = descriptor
        self.identity = identity
    }

    deinit {
        close(descriptor)
    }

    /// Opens the program at `path`. Throws ``SpawnFailure`` if it does not exist.
    package static func open(path: String) throws(SpawnFailure) -> ExecutableImage {
        try open(path, named: path)
    }

    private static func open(_ file: String, named path: String) throws(SpawnFailure) -> ExecutableImage {
        let fd = titan_open_path(file)
        guard fd >= 0 else { throw SpawnFailure(executable: path, errno: errno) }
        guard let identity = ImageIdentity(fd: fd) else {
            let failure = SpawnFailure(executable: path, errno: errno)
            close(fd)
            throw failure
        }
        return ExecutableImage(path: path, descriptor: fd, identity: identity)
    }

    private static let opened = Mutex<Result<ExecutableImage, SpawnFailure>?>(nil)

    /// The program this process runs, opened on first use (`ProcessManager` asks for it at
    /// bootstrap and when it is created, before the file can be replaced in normal operation).
    package static func current() throws(SpawnFailure) -> ExecutableImage {
        try opened.withLock { opened in
            if let opened { return opened }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            var path = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "/proc/self/exe"
            if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
            let result = Result { () throws(SpawnFailure) in try open("/proc/self/exe", named: path) }
            opened = result
            return result
        }.get()
    }
}
