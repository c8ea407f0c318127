import Glibc
import Synchronization

/// The private directory (mode 0700) that holds a manager's listening sockets, handled only
/// through descriptors so that nobody who can write to its parent can redirect it.
///
/// Where TMPDIR is writable by another user, that user can rename the directory and put a
/// symbolic link in its place between any two path lookups. So the directory is made with
/// `mkdirat` under a descriptor of its parent, opened with `O_NOFOLLOW`, checked to be ours,
/// and from then on every socket is named through `/proc/self/fd/<descriptor>/` (see
/// ``socketPath(_:)``), every removal is an `unlinkat` relative to the descriptor, and the
/// directory itself is removed only while its name still leads to the inode created (device
/// and inode compared, links not followed). The `/proc` path is short whatever TMPDIR is, so
/// a long TMPDIR needs no fallback.
package final class SocketDirectory: Sendable {
    /// Where it was created. For messages, and for processes that need a real path.
    package let path: String
    /// The directory, opened with `O_DIRECTORY | O_NOFOLLOW`.
    package let fd: Int32
    private let parentFD: Int32
    private let name: String
    private let device: UInt64
    private let inode: UInt64
    /// Set by ``remove()``, which closes the descriptors: from then on nothing may use their
    /// numbers (another file may have them). Held while a descriptor is used.
    private let removed = Mutex(false)

    private init(path: String, fd: Int32, parentFD: Int32, name: String, device: UInt64, inode: UInt64) {
        self.path = path
        self.fd = fd
        self.parentFD = parentFD
        self.name = name
        self.device = device
        self.inode = inode
    }

    deinit {
        if !removed.withLock({ $0 }) {
            close(fd)
            close(parentFD)
        }
    }

    /// Creates a fresh `titan-XXXXXXXX` directory in `base`.
    package static func create(in base: String) throws(SocketError) -> SocketDirectory {
        let parentFD = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard parentFD >= 0 else { throw SocketError("open socket directory base", path: base) }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<16 {
            let name = "titan-" + String(UInt64.random(in: 0...UInt64.max, using: &generator), radix: 36)
            guard mkdirat(parentFD, name, 0o700) == 0 else {
                if errno == EEXIST { continue }
                let error = SocketError("mkdir", path: "\(base)/\(name)")
                close(parentFD)
                throw error
            }
            let fd = openat(parentFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            var info = stat()
            guard fd >= 0, fstat(fd, &info) == 0, info.st_uid == geteuid(), info.st_mode & 0o077 == 0 else {
                // Swapped between mkdirat and openat: not ours to use (nor to remove).
                let error = SocketError("open the socket directory just created (was it replaced?)", path: "\(base)/\(name)", errno: fd >= 0 ? EPERM : errno)
                if fd >= 0 { close(fd) }
                close(parentFD)
                throw error
            }
            return SocketDirectory(
                path: "\(base)/\(name)", fd: fd, parentFD: parentFD, name: name,
                device: UInt64(info.st_dev), inode: UInt64(info.st_ino)
            )
        }
        close(parentFD)
        throw SocketError("mkdir", path: "\(base)/titan-*", errno: EEXIST)
    }

    /// A path for `entry` in this directory that resolves through this process's descriptor,
    /// whatever has become of ``path``. Valid in this process only.
    package func socketPath(_ entry: String) -> String {
        "/proc/self/fd/\(fd)/\(entry)"
    }

    /// The same as ``socketPath(_:)`` for a process that inherited the descriptor as `fd`.
    package static func socketPath(_ entry: String, inheritedAs fd: Int32) -> String {
        "/proc/self/fd/\(fd)/\(entry)"
    }

    /// Removes `entry` from this directory (never through a link).
    package func removeEntry(_ entry: String) {
        removed.withLock { removed in
            if !removed { unlinkat(fd, entry, 0) }
        }
    }

    /// Removes every entry, then the directory itself if its name still leads to it, and
    /// closes the descriptors.
    package func remove() {
        removed.withLock { removed in
            guard !removed else { return }
            removed = true
            removeContents()
            close(fd)
            close(parentFD)
        }
    }

    private func removeContents() {
        let listing = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        if listing >= 0, let stream = fdopendir(listing) {
            var entries: [String] = []
            while let entry = readdir(stream) {
                let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                }
                if entryName != "." && entryName != ".." { entries.append(entryName) }
            }
            closedir(stream)
            for entry in entries { unlinkat(fd, entry, 0) }
        } else if listing >= 0 {
            close(listing)
        }
        var there = stat()
        guard fstatat(parentFD, name, &there, AT_SYMLINK_NOFOLLOW) == 0,
              UInt64(there.st_dev) == device, UInt64(there.st_ino) == inode
        else { return }
        // A swap after the check leaves a link or another directory here: AT_REMOVEDIR never
        // follows a link, and fails on a directory that is not empty.
        unlinkat(parentFD, name, AT_REMOVEDIR)
    }
}
