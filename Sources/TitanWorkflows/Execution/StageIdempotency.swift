/// Where a stage's idempotency key is handed to the code that calls services.
///
/// The engine runs every stage attempt and every compensation attempt through
/// ``withStageIdempotencyKey(_:_:)``, and nowhere else: once the runtime carries call metadata,
/// this is the one place that puts the key into it, so that a service's calls see it without the
/// stage passing it on. Until then stages pass ``StageContext/idempotencyKey`` to the services
/// they call themselves.
enum StageIdempotency {
    /// The key of the stage attempt running in this task.
    @TaskLocal static var currentKey: String?
}

/// Runs `body` as the attempt of a stage (or compensation) with idempotency key `key`.
func withStageIdempotencyKey<T>(_ key: String, _ body: () async throws -> T) async rethrows -> T {
    try await StageIdempotency.$currentKey.withValue(key, operation: body)
}
