import Synchronization
import TitanActorSystem
import TitanCore
import TitanWire

/// How a process's bus reaches the others: straight into the broker in the manager, over the
/// mesh connection in a child.
protocol EventTransport: Sendable {
    /// Hands `event` on, after those before it; returns when it is accepted (in a child: into
    /// the outbox, waiting while that is full).
    func publish(_ event: BusEvent) async throws
    /// This process now takes `types` (what its subscribers ask for); `version`
    /// orders the updates. Returns once the manager applies it.
    func subscribe(_ types: [String: TypeDemand], version: UInt64) async throws
    /// Starts feeding deliveries into `subscribers`, once.
    func startDelivering(to subscribers: LocalSubscribers)
}

/// Typed events between processes: any process emits, any process subscribes by type.
///
/// Every process has one bus: the manager's is ``ProcessManager/eventBus``, a service's is
/// `actorSystem.eventBus` in the child that hosts it.
///
/// ```swift
/// struct OrderCreated: Codable, Sendable { var id: Int }
///
/// // in any process
/// for await order in bus.events(of: OrderCreated.self) { ... }
/// // in any other
/// try await bus.emit(OrderCreated(id: 7))
/// ```
///
/// Delivery is **at most once**: an event reaches the subscribers that exist when the manager
/// queues it; a subscriber whose buffer is full drops events as its ``/TitanActorSystem/EventOverflow`` says
/// (counting them) unless it slows the publishers; nothing is stored or redelivered. Events of
/// one publisher (one task emitting in sequence) arrive in the order it emitted them. An event
/// goes to the manager once and crosses each subscribing process's connection once, whatever
/// the number of subscribers in that process.
public final class EventBus: Sendable {
    let transport: any EventTransport
    private let system: ProcessActorSystem
    let subscribers: LocalSubscribers

    init(system: ProcessActorSystem, transport: any EventTransport) {
        self.system = system
        self.transport = transport
        subscribers = LocalSubscribers(system: system)
        subscribers.onChange.withLock { $0 = { [weak self] update in self?.resubscribe(update) } }
    }

    /// Publishes `event` to every process that subscribes to its type.
    ///
    /// Returns once the manager has queued the event for each of them — waiting while a
    /// subscriber with ``/TitanActorSystem/EventOverflow/slowPublisher`` is behind. Throws
    /// ``/TitanCore/ProcessError/Code/encodingFailed`` if the event cannot be encoded,
    /// ``/TitanCore/ProcessError/Code/messageTooLarge`` if it is larger than a message may be, and
    /// ``DiscoveryError/Code/noManager`` in a process without a manager, `CancellationError` in
    /// a cancelled task.
    public func emit<Event: Codable & Sendable>(_ event: Event) async throws {
        try Task.checkCancellation()
        let payload: [UInt8]
        do {
            payload = try system.makeEncoder().encode(event)
        } catch {
            throw ProcessError.encodingFailed("\(Event.self): \(error)")
        }
        guard payload.count <= system.maxFrameSize - 1024 else {
            throw ProcessError.messageTooLarge(size: payload.count, limit: system.maxFrameSize - 1024)
        }
        try await transport.publish(BusEvent(type: eventTypeName(Event.self), payload: payload))
    }

    /// The events of `type` from now on, as an `AsyncSequence`.
    ///
    /// The manager learns of the subscription in the background: events emitted before it
    /// has may not reach it. Use ``subscribe(to:bufferSize:overflow:)`` to wait until it has.
    /// `bufferSize` bounds the events received and not yet read; `overflow` says what
    /// happens beyond it.
    public func events<Event: Codable & Sendable>(
        of type: Event.Type,
        bufferSize: Int = 1024,
        overflow: EventOverflow = .dropOldest
    ) -> EventSubscription<Event> {
        let (subscription, update) = subscribers.add(type, bufferSize: bufferSize, overflow: overflow)
        transport.startDelivering(to: subscribers)
        let transport = self.transport
        Task.detached { try? await transport.subscribe(update.types, version: update.version) }
        return subscription
    }

    /// The events of `type` from now on, returned once the manager delivers them to this
    /// process: every event emitted after this returns reaches the subscription (or is
    /// counted as dropped). Throws ``DiscoveryError/Code/noManager`` when the manager cannot
    /// be reached.
    public func subscribe<Event: Codable & Sendable>(
        to type: Event.Type,
        bufferSize: Int = 1024,
        overflow: EventOverflow = .dropOldest
    ) async throws -> EventSubscription<Event> {
        let (subscription, update) = subscribers.add(type, bufferSize: bufferSize, overflow: overflow)
        transport.startDelivering(to: subscribers)
        try await transport.subscribe(update.types, version: update.version)
        return subscription
    }

    /// Tells the manager what this process takes after a subscription ended.
    func resubscribe(_ update: LocalSubscribers.Update) {
        let transport = self.transport
        Task.detached { try? await transport.subscribe(update.types, version: update.version) }
    }
}

/// The subscriptions of one process, by event type, and the fan-out of each delivery to them.
final class LocalSubscribers: Sendable {
    /// What the manager must know after a change: the types taken, and the change's number.
    struct Update: Sendable {
        var types: [String: TypeDemand]
        var version: UInt64
    }

    /// Held weakly: a subscription the program lets go of ends (its deinit removes it here).
    private struct WeakSink {
        weak var sink: (any SubscriberSink)?
    }

    private struct State {
        var next = 0
        var version: UInt64 = 0
        var byType: [String: [Int: WeakSink]] = [:]
    }

    private let state = Mutex(State())
    private let system: ProcessActorSystem
    /// Where an ended subscription's change goes (set by the bus that owns this).
    let onChange = Mutex<(@Sendable (Update) -> Void)?>(nil)

    init(system: ProcessActorSystem) {
        self.system = system
    }

    private static func update(_ state: inout State) -> Update {
        state.version += 1
        var types: [String: TypeDemand] = [:]
        for (type, entries) in state.byType {
            let sinks = entries.values.compactMap(\.sink)
            guard !sinks.isEmpty else { continue }
            types[type] = TypeDemand(blocking: sinks.contains { $0.overflow.blocks }, buffer: sinks.map(\.bufferSize).max() ?? 1)
        }
        return Update(types: types, version: state.version)
    }

    func add<Event: Codable & Sendable>(_ type: Event.Type, bufferSize: Int, overflow: EventOverflow) -> (EventSubscription<Event>, Update) {
        let name = eventTypeName(type)
        let key = state.withLock { state -> Int in
            defer { state.next += 1 }
            return state.next
        }
        let subscription = EventSubscription<Event>(bufferSize: bufferSize, overflow: overflow) { [weak self] in
            self?.remove(name, key)
        }
        let update = state.withLock { state -> Update in
            state.byType[name, default: [:]][key] = WeakSink(sink: subscription)
            return Self.update(&state)
        }
        return (subscription, update)
    }

    private func remove(_ name: String, _ key: Int) {
        let update = state.withLock { state -> Update? in
            guard state.byType[name]?.removeValue(forKey: key) != nil else { return nil }
            if state.byType[name]?.isEmpty == true { state.byType[name] = nil }
            return Self.update(&state)
        }
        if let update, let onChange = onChange.withLock({ $0 }) { onChange(update) }
    }

    /// Hands each event of `delivery` to this process's subscribers of its type, in order
    /// (waiting where one slows publishers), and adds the manager's drops to their counts.
    func deliver(_ delivery: BusDelivery) async {
        let decoder = system.makeDecoder()
        for (type, count) in delivery.dropped {
            for sink in sinks(of: type) { sink.addDropped(count) }
        }
        for event in delivery.events {
            for sink in sinks(of: event.type) { await sink.offer(event.payload, decoder: decoder) }
        }
    }

    private func sinks(of type: String) -> [any SubscriberSink] {
        state.withLock { $0.byType[type].map { $0.values.compactMap(\.sink) } ?? [] }
    }

    /// Ends every subscription (the connection to the manager is gone).
    func finishAll() {
        let all = state.withLock { state in state.byType.values.flatMap { $0.values.compactMap(\.sink) } }
        for sink in all { sink.finish() }
    }
}
