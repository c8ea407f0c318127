import Glibc
import Synchronization
import TitanCore
import TitanProcess

/// Reloads chosen processes and pools when this process receives SIGHUP, as PM2 users
/// expect; made by ``ProcessManager/reloadOnHangup(_:options:)``.
///
/// SIGHUP's handler only writes a byte to a pipe; a thread of its own reads the pipe and
/// starts the reloads, so no reload code runs in a signal handler. Children are not affected:
/// they start with every handler reset to its default. ``cancel()`` puts back the handler that
/// was there before (the default one ends the process), as does letting go of the handle;
/// ``ProcessManager/shutdown(timeout:)`` does not, so cancel it when done.
public final class HangupReload: Sendable {
    /// The installed handler's pipe; nil once cancelled.
    private let signal: Mutex<HangupSignal?>
    /// How many SIGHUPs have been acted on.
    private let handled = Atomic<Int>(0)

    fileprivate init(_ signal: HangupSignal) {
        self.signal = Mutex(signal)
    }

    /// How many SIGHUPs have started reloads so far.
    public var hangups: Int { handled.load(ordering: .relaxed) }

    /// Stops reloading on SIGHUP and restores the handler SIGHUP had before.
    public func cancel() {
        signal.withLock { signal -> HangupSignal? in
            defer { signal = nil }
            return signal
        }?.restore()
    }

    deinit {
        cancel()
    }

    fileprivate func run(_ onHangup: @escaping @Sendable () async -> Void) {
        guard let read = signal.withLock({ $0?.readEnd }) else { return }
        startDetachedThread(name: "titan-sighup") { [weak self] in
            var byte: UInt8 = 0
            while true {
                let n = Glibc.read(read, &byte, 1)
                if n < 0 && errno == EINTR { continue }
                guard n == 1 else { break }
                self?.handled.add(1, ordering: .relaxed)
                Task { await onHangup() }
            }
            close(read)
        }
    }
}

extension ProcessManager {
    /// Reloads `targets` — processes (``reload(_:options:)``) and pools
    /// (``ProcessPool/reload(batchSize:options:)``), by id — each time this process receives
    /// SIGHUP, until the returned handle is cancelled. Reloads run one target after another;
    /// their steps appear on ``events`` (and the pools' events), a failure is logged.
    ///
    /// Only one handle can be active in a process at a time: throws
    /// ``/TitanCore/ProcessError/Code/unsupported`` while another is, and
    /// ``/TitanCore/ProcessError/Code/unknownProcess`` for an id that is neither a process nor a
    /// pool of this manager.
    public func reloadOnHangup(_ targets: [ProcessID], options: ReloadOptions = ReloadOptions()) throws -> HangupReload {
        for target in targets where entry(target) == nil && !(group(target) is any PoolControl) {
            throw ProcessError.unknownProcess(target)
        }
        let handle = HangupReload(try HangupSignal.install())
        handle.run { [weak self] in
            guard let self else { return }
            for target in targets {
                do {
                    if let pool = group(target) as? any PoolControl {
                        try await pool.reload(batchSize: 1, options: options)
                    } else {
                        try await reload(target, options: options)
                    }
                } catch {
                    logger.error("reload on SIGHUP failed", metadata: ["target": "\(target)", "error": "\(error)"])
                }
            }
        }
        return handle
    }
}
