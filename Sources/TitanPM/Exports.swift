// `import TitanPM` is all a user needs: the vocabulary (ids, errors, restart policies,
// clocks), method policies and manifests, the actor system (references, streams,
// interceptors) and hosting (services). The policy attributes come with `TitanPMMacros`.
@_exported import TitanActorSystem
@_exported import TitanCore
@_exported import TitanPolicies
@_exported import TitanProcess
@_exported import TitanTelemetry
