import TitanPM

/// Where a stage's idempotency key is handed to the code that calls services.
///
/// The engine runs every stage attempt and every compensation attempt through
/// ``withStageIdempotencyKey(_:_:)``, and nowhere else: it puts the key into the metadata of
/// every call the stage makes (`ProcessActorSystem.withIdempotencyKey`), so a service sees it
/// as `ProcessActorSystem.currentCall?.metadata.idempotencyKey` without the stage passing it on.
enum StageIdempotency {
    /// The key of the stage attempt running in this task.
    @TaskLocal static var currentKey: String?
}

/// Runs `body` as the attempt of a stage (or compensation) with idempotency key `key`.
func withStageIdempotencyKey<T>(_ key: String, _ body: () async throws -> T) async rethrows -> T {
    try await StageIdempotency.$currentKey.withValue(key) {
        try await ProcessActorSystem.withIdempotencyKey(key, body)
    }
}
