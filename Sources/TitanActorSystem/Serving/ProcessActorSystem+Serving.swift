import Distributed
import TitanCore
import TitanTransport
import TitanWire

/// Calls in flight in a serving process, and whether it still takes new ones.
struct Admission {
    var draining = false
    var inFlight = 0
    var drained: [UnsafeContinuation<Void, Never>] = []
}

extension ProcessActorSystem {
    /// The call this task is serving, while a distributed function runs on behalf of a
    /// caller in another process; nil elsewhere.
    ///
    /// ```swift
    /// distributed func render(_ page: Page) async throws -> Image {
    ///     if let deadline = ProcessActorSystem.currentCall?.deadline { ... } // the caller's
    /// }
    /// ```
    @TaskLocal public static var currentCall: IncomingCall?

    /// When the caller of the call this task serves stops waiting, on this process's clock;
    /// nil outside a served call or when the caller waits without bound.
    public static var currentCallDeadline: ClockInstant? { currentCall?.deadline }

    /// Serves calls on an accepted connection until it closes, after checking the caller
    /// as `authentication` says; `onClose` runs once when the connection has ended.
    /// `isManager` marks the manager's own connection (a child's descriptor 3), whose calls
    /// the control channel's cancellations reach (see ``cancelManagerCall(_:)``).
    package func serve(
        _ connection: any FrameConnection,
        authentication: CallerAuthentication = .channel,
        isManager: Bool = false,
        onClose: @escaping @Sendable () -> Void = {}
    ) {
        let server = CallServer(connection: connection, system: self, authentication: authentication)
        if isManager { setManagerServer(server) }
        server.start { _ in onClose() }
    }

    /// Runs a received call against the local actor it names, through the serving side's
    /// interceptors, and returns the reply to send. `origin` is the connection it arrived on
    /// and its id there, so that a policy can cancel its task.
    package func execute(_ envelope: CallEnvelope, channel: StreamLink?, origin: (server: CallServer, id: UInt64)? = nil) async -> Result<CallReply, any Error> {
        let id = ProcessActorID(process: processID, instance: envelope.instance)
        guard let (actor, contract) = localTarget(id) else {
            return .failure(ProcessError.unknownActor(id))
        }
        let index = contract?.methodIndex(for: envelope.target)
        let chain = currentChain
        // Without interceptors that wrap calls (Titan's metrics and tracing run in line and do
        // neither) nothing reads the call's arguments again or cancels its task: keep the
        // task-local value small.
        let call = IncomingCall(
            target: CallTarget(identifier: envelope.target),
            recipient: id,
            metadata: envelope.metadata,
            deadline: envelope.metadata.deadline.map { clock.deadline(after: $0) },
            methodIndex: index,
            contract: contract,
            envelope: chain.wrapsCalls ? envelope : nil,
            origin: chain.wrapsCalls ? origin : nil
        )
        return await Self.$currentCall.withValue(call) {
            if chain.isEmpty { return await invoke(envelope, on: actor, contract: contract, index: index, channel: channel) }
            do {
                return .success(try await chain.incoming(call) { _ in
                    try await invoke(envelope, on: actor, contract: contract, index: index, channel: channel).get()
                })
            } catch {
                return .failure(error)
            }
        }
    }

    /// Runs the target itself: by index in a contracted actor's dispatch table (the index
    /// comes from the hosted actor's own manifest, so the target is one of its methods), or
    /// through `executeDistributedTarget` once the target is known to be a method of `actor`'s
    /// type (see ``TargetOwnership``): the standard library runs whatever it is given.
    @inline(__always)
    private func invoke(
        _ envelope: CallEnvelope,
        on actor: any DistributedActor,
        contract: (any ContractDispatch)?,
        index: Int?,
        channel: StreamLink?
    ) async -> Result<CallReply, any Error> {
        if index == nil, let refusal = TargetOwnership.refusal(envelope.target, on: actor) {
            return .failure(refusal)
        }
        var decoder = ProcessInvocationDecoder(envelope: envelope, decoder: makeDecoder(channel: channel))
        let handler = ProcessResultHandler(encoder: makeEncoder())
        if let contract, let index {
            do {
                try await contract.run(method: index, on: actor, arguments: &decoder, result: handler)
            } catch {
                return .failure(error)
            }
            return handler.outcome
        }
        do {
            try await executeDistributedTarget(
                on: actor,
                target: RemoteCallTarget(envelope.target),
                invocationDecoder: &decoder,
                handler: handler
            )
        } catch let error as ExecuteDistributedTargetError where error.errorCode == .targetAccessorNotFound {
            return .failure(ProcessError.unknownTarget(envelope.target))
        } catch {
            return .failure(error)
        }
        // The runtime reports a missing target through the handler, as if the target threw.
        if case .failure(let error as ExecuteDistributedTargetError) = handler.outcome, error.errorCode == .targetAccessorNotFound {
            return .failure(ProcessError.unknownTarget(envelope.target))
        }
        return handler.outcome
    }

    /// A decoder of `call`'s arguments from the first, for reading them again (policy keys);
    /// nil for a call that did not arrive over a connection.
    package func argumentDecoder(for call: IncomingCall) -> ProcessInvocationDecoder? {
        call.envelope.map { ProcessInvocationDecoder(envelope: $0, decoder: makeDecoder()) }
    }

    // MARK: Draining

    /// Counts a call in, unless the process is draining for shutdown.
    package func admitCall() -> Bool {
        admission.withLock { admission in
            guard !admission.draining else { return false }
            admission.inFlight += 1
            return true
        }
    }

    package func callFinished() {
        let waiters = admission.withLock { admission -> [UnsafeContinuation<Void, Never>] in
            admission.inFlight -= 1
            guard admission.draining, admission.inFlight == 0 else { return [] }
            defer { admission.drained.removeAll() }
            return admission.drained
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Refuses new calls from now on and returns once the calls already running have finished.
    package func drain() async {
        await withUnsafeContinuation { continuation in
            let done = admission.withLock { admission -> Bool in
                admission.draining = true
                if admission.inFlight == 0 { return true }
                admission.drained.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
