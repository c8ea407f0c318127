import Testing
import TitanPM
import TitanPMTestKit
import TitanWorkflowTestServices
import TitanWorkflows

/// The spec's order-processing saga: reserve → payment → ship, each with its compensation.
struct OrderProcessing: Workflow {
    struct Order: Codable, Sendable, Hashable {
        var id: String
        var items: [String]
        var amount: Int
    }

    struct InvalidOrder: Error, Codable {}

    static let name = "order-processing"
    static let version = "1.0.0"
    typealias Input = Order

    let inventory: Inventory
    let payments: Payments
    let shipping: Shipping

    func plan(_ plan: inout WorkflowPlan<Self>) -> Stage<String> {
        let validate = plan.stage("validate", timeout: .seconds(5)) { ctx in
            guard !ctx.input.items.isEmpty, ctx.input.amount > 0 else { throw InvalidOrder() }
        }
        let reserve = plan.stage("reserve", after: validate) { ctx in
            try await inventory.reserve(ctx.input.items, key: ctx.idempotencyKey)
        } compensate: { _, reservation in
            try await inventory.cancelReservation(reservation)          // cancelReservation
        }
        let payment = plan.stage("payment", after: reserve, retry: .attempts(3)) { ctx in
            try await payments.charge(ctx.input.amount, key: ctx.idempotencyKey)
        } compensate: { _, charge in
            try await payments.refund(charge)                           // refundPayment
        }
        return plan.stage("ship", after: payment) { ctx in
            try await shipping.ship(ctx.input.id)
        }
    }
}

/// Reserves, then waits in a service for a minute: a run to cancel while it waits.
struct Holding: Workflow {
    static let name = "holding"
    static let version = "1"
    typealias Input = String
    let inventory: Inventory
    let flaky: Flaky
    func plan(_ plan: inout WorkflowPlan<Self>) -> Stage<Int> {
        let reserve = plan.stage("reserve") { ctx in
            try await inventory.reserve([ctx.input], key: ctx.idempotencyKey)
        } compensate: { _, reservation in
            try await inventory.cancelReservation(reservation)
        }
        return plan.stage("wait", after: reserve) { _ in try await flaky.sleep(milliseconds: 60_000) }
    }
}

@Suite(.serialized) struct SagaTests {
    struct Services {
        var inventory: Inventory
        var payments: Payments
        var shipping: Shipping
        var saga: OrderProcessing { OrderProcessing(inventory: inventory, payments: payments, shipping: shipping) }
    }

    func services(_ pm: ProcessManager) async throws -> Services {
        Services(
            inventory: try await pm.spawn(Inventory.self),
            payments: try await pm.spawn(Payments.self),
            shipping: try await pm.spawn(Shipping.self)
        )
    }

    let order = OrderProcessing.Order(id: "o-1", items: ["book"], amount: 30)
    let quickCompensation = WorkflowOptions(compensationRetry: .attempts(4, backoff: .constant(.milliseconds(5))))

    @Test func orderCompletesWhenEveryStageSucceeds() async throws {
        try await withProcessManager { pm in
            let services = try await services(pm)
            let orders = try await pm.workflow(services.saga, journal: .inMemory())
            #expect(try await orders.run(order) == "TRACK-o-1")
            #expect(try await services.payments.history().map(\.action) == ["charge"])
        }
    }

    @Test func shipFailureRefundsPaymentThenCancelsReservation() async throws {
        try await withProcessManager { pm in
            let services = try await services(pm)
            try await services.shipping.setFailing(true)
            let orders = try await pm.workflow(services.saga, journal: .inMemory())
            let log = EventLog(orders)

            let error = await #expect(throws: WorkflowError.self) { try await orders.run(order, id: "o-1") }
            #expect(error?.code == .stageFailed)
            #expect(error?.stage == "ship")
            #expect(error?.failure?.type.hasSuffix("ShippingFailure") == true)
            #expect(error?.underlying is ShippingFailure)
            #expect(error?.compensations == [
                CompensationOutcome(stage: "payment", result: .compensated, attempts: 1),
                CompensationOutcome(stage: "reserve", result: .compensated, attempts: 1),
            ])

            // The services, each in its own process, saw the refund before the cancellation.
            let refund = try #require(try await services.payments.history().first { $0.action == "refund" })
            let cancel = try #require(try await services.inventory.history().first { $0.action == "cancelReservation" })
            #expect(refund.subject == "charge-30" && cancel.subject == "reservation-o-1/reserve")
            #expect(refund.at < cancel.at)
            #expect(refund.pid != cancel.pid)
            try await log.await("run failed")   // events arrive asynchronously
            #expect(log.trace.suffix(6) == [
                "failed ship", "compensating payment", "compensated payment",
                "compensating reserve", "compensated reserve", "run failed",
            ])
            #expect(try await orders.status(of: "o-1").status == .failed)
            #expect(try await orders.runs(status: .failed).map(\.id) == ["o-1"])

            // Asked later, the journal tells the same story.
            let later = await #expect(throws: WorkflowError.self) { try await orders.result(of: "o-1") }
            #expect(later?.code == .stageFailed && later?.stage == "ship")
            #expect(later?.compensations.map(\.stage) == ["payment", "reserve"])
            #expect(later?.compensationsSucceeded == true)
        }
    }

    @Test func failingCompensationIsRetriedWithBackoffAndReported() async throws {
        try await withProcessManager { pm in
            let services = try await services(pm)
            try await services.shipping.setFailing(true)
            try await services.payments.failNextRefunds(2)
            let orders = try await pm.workflow(services.saga, journal: .inMemory(), options: quickCompensation)
            let log = EventLog(orders)

            let error = await #expect(throws: WorkflowError.self) { try await orders.run(order) }
            #expect(error?.compensations.first == CompensationOutcome(stage: "payment", result: .compensated, attempts: 3))
            #expect(error?.compensationsSucceeded == true)
            #expect(try await services.payments.refundCalls() == 3)
            try await log.await("run failed")
            #expect(log.trace.filter { $0 == "compensation-failed payment" }.count == 2)
            let retries = log.all.compactMap { kind -> Bool? in
                if case .compensationFailed(_, _, _, let willRetry) = kind { return willRetry }
                return nil
            }
            #expect(retries == [true, true])
        }
    }

    @Test func compensationThatKeepsFailingIsReportedAndTheRestStillRun() async throws {
        try await withProcessManager { pm in
            let services = try await services(pm)
            try await services.shipping.setFailing(true)
            try await services.payments.failNextRefunds(100)
            let orders = try await pm.workflow(services.saga, journal: .inMemory(), options: quickCompensation)

            let error = await #expect(throws: WorkflowError.self) { try await orders.run(order, id: "stuck") }
            #expect(error?.compensationsSucceeded == false)
            let payment = try #require(error?.compensations.first)
            #expect(payment.stage == "payment" && payment.attempts == 4)
            if case .failed(let failure) = payment.result {
                #expect(failure.type.hasSuffix("RefundFailure"))
            } else {
                Issue.record("the refund should be reported as failed")
            }
            #expect(error?.compensations.last == CompensationOutcome(stage: "reserve", result: .compensated, attempts: 1))
            #expect(error?.description.contains("NOT compensated") == true)
            #expect(try await orders.status(of: "stuck").status == .compensationFailed)
        }
    }

    @Test func cancellingARunCompensatesItsCompletedStages() async throws {
        try await withProcessManager { pm in
            let inventory = try await pm.spawn(Inventory.self)
            let runner = try await pm.workflow(Holding(inventory: inventory, flaky: try await pm.spawn(Flaky.self)), journal: .inMemory())
            let log = EventLog(runner)
            let id = try await runner.start("lamp", id: "c-1")
            try await log.await("started wait")
            try await runner.cancel(id)

            let error = await #expect(throws: WorkflowError.self) { try await within(.seconds(20), "cancellation") { try await runner.result(of: id) } }
            #expect(error?.code == .cancelled)
            #expect(error?.compensations == [CompensationOutcome(stage: "reserve", result: .compensated, attempts: 1)])
            #expect(try await inventory.history().map(\.action) == ["reserve", "cancelReservation"])
            #expect(try await runner.status(of: id).status == .cancelled)
            try await log.await("run cancelled")
        }
    }

    @Test func cancellingTheTaskThatAwaitsRunCancelsTheRun() async throws {
        try await withProcessManager { pm in
            let inventory = try await pm.spawn(Inventory.self)
            let runner = try await pm.workflow(Holding(inventory: inventory, flaky: try await pm.spawn(Flaky.self)), journal: .inMemory())
            let log = EventLog(runner)
            let caller = Task { try await runner.run("desk", id: "c-2") }
            try await log.await("started wait")
            caller.cancel()

            let error = await #expect(throws: WorkflowError.self) { try await within(.seconds(20), "cancellation") { try await caller.value } }
            #expect(error?.code == .cancelled)
            #expect(try await inventory.history().map(\.action) == ["reserve", "cancelReservation"])
            #expect(try await runner.status(of: "c-2").status == .cancelled)
        }
    }

    @Test func suspendedRunsStayUnfinishedAndTheNextRunnerResumesThem() async throws {
        try await withProcessManager { pm in
            let inventory = try await pm.spawn(Inventory.self)
            let holding = Holding(inventory: inventory, flaky: try await pm.spawn(Flaky.self))
            let journal = InMemoryWorkflowJournal()
            let first = try await pm.workflow(holding, journal: journal)
            let log = EventLog(first)
            let id = try await first.start("chair", id: "s-1")
            try await log.await("started wait")
            await first.suspend()
            #expect(try await first.status(of: id).status == .running)
            #expect(try await inventory.history().map(\.action) == ["reserve"])   // nothing compensated
            let refused = await #expect(throws: WorkflowError.self) { try await first.start("table") }
            #expect(refused?.code == .suspended)

            let second = try await pm.workflow(holding, journal: journal, options: WorkflowOptions(resumeUnfinishedRuns: false))
            let resumed = EventLog(second)
            #expect(try await second.resumeAll() == [id])
            try await resumed.await("started wait")
            #expect(resumed.trace.contains("replayed reserve"))
            try await second.cancel(id)
            let error = await #expect(throws: WorkflowError.self) { try await within(.seconds(20), "cancellation") { try await second.result(of: id) } }
            #expect(error?.code == .cancelled)
            #expect(try await inventory.history().map(\.action) == ["reserve", "cancelReservation"])
        }
    }
}
