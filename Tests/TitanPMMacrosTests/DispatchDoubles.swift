import Synchronization
import TitanPolicies

/// Arguments from an array of values, as the runtime's decoder gives them from bytes.
struct ArrayArguments: DispatchArgumentDecoder {
    var values: [any Sendable]
    private(set) var decoded = 0

    init(_ values: any Sendable...) {
        self.values = values
    }

    struct WrongType: Error {}

    mutating func decodeNextArgument<Argument: Codable>() throws -> Argument {
        guard decoded < values.count, let value = values[decoded] as? Argument else { throw WrongType() }
        decoded += 1
        return value
    }
}

/// Records what the dispatch table hands over.
final class RecordingSink: DispatchResultSink, Sendable {
    enum Received: Sendable, Equatable {
        case value(String)
        case void
    }

    private let received = Mutex<[Received]>([])

    var all: [Received] { received.withLock { $0 } }

    func onReturn<Success: Codable>(value: Success) async throws {
        received.withLock { $0.append(.value(String(describing: value))) }
    }

    func onReturnVoid() async throws {
        received.withLock { $0.append(.void) }
    }
}
