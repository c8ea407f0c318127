// Services the README's examples use. Blocks the README shows are copied here verbatim;
// ReadmeTests fails if one is not.
import Distributed
import TitanPM
import TitanWorkflows

distributed actor Numbers: ProcessService {
    distributed func numbers(upTo n: Int) -> RemoteStream<Int> {
        RemoteStream { out in for i in 0..<n { try await out.yield(i) } }
    }
    distributed func doubled(_ input: RemoteStream<Int>) -> RemoteStream<Int> {
        RemoteStream(input.map { $0 * 2 })
    }
}

distributed actor Resizer: ProcessService {
    distributed func resize(_ image: [UInt8]) -> [UInt8] { Array(image.prefix(image.count / 2)) }
    distributed func load() -> Int { 0 }
}

distributed actor Database: ProcessService {}
distributed actor Worker: ProcessService {}
distributed actor Fetcher: ProcessService {}
distributed actor Parser: ProcessService {}

distributed actor Inventory: ProcessService {
    distributed func reserve(_ items: [String], key: String) -> String { "reservation-\(key)" }
    distributed func cancelReservation(_ reservation: String) {}
}

distributed actor Payments: ProcessService {
    distributed func charge(_ amount: Int, key: String) -> String { "charge-\(key)" }
    distributed func refund(_ charge: String) {}
}

distributed actor Shipping: ProcessService {
    distributed func ship(_ order: String) -> String { "tracking-\(order)" }
}

struct Order: Codable, Sendable {
    var id: String
    var items: [String]
    var amount: Int
}

struct InvalidOrder: Error, Codable {}

struct OrderProcessing: Workflow {
    typealias Input = Order
    static let name = "order-processing"
    static let version = "1.0.0"
    let inventory: Inventory, payments: Payments, shipping: Shipping   // spawned services

    func plan(_ plan: inout WorkflowPlan<Self>) -> Stage<String> {
        let validate = plan.stage("validate", timeout: .seconds(5)) { ctx in
            guard !ctx.input.items.isEmpty else { throw InvalidOrder() }
        }
        let reserve = plan.stage("reserve", after: validate) { ctx in
            try await inventory.reserve(ctx.input.items, key: ctx.idempotencyKey)
        } compensate: { _, reservation in try await inventory.cancelReservation(reservation) }
        let payment = plan.stage("payment", after: reserve, retry: .attempts(3)) { ctx in
            try await payments.charge(ctx.input.amount, key: ctx.idempotencyKey)
        } compensate: { _, charge in try await payments.refund(charge) }
        return plan.stage("ship", after: payment) { ctx in try await shipping.ship(ctx.input.id) }
    }
}

struct Tenant: CallInterceptor {
    func interceptOutgoing(_ call: OutgoingCall, next: (OutgoingCall) async throws -> CallReply) async throws -> CallReply {
        var call = call
        call.metadata["tenant"] = "acme"          // travels with the call
        return try await next(call)               // the outcome: a reply, or the error thrown
    }
}
