// `import TitanPM` is all a user needs: the vocabulary (ids, errors, restart policies,
// clocks), the actor system (references, streams, interceptors) and hosting (services).
@_exported import TitanActorSystem
@_exported import TitanCore
@_exported import TitanPolicies
@_exported import TitanProcess
