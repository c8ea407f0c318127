/// Where the generated dispatch table hands a method's result.
///
/// The runtime's result handler conforms (it already has these two methods); an error the
/// method throws is thrown by ``ContractedService/dispatch(method:on:arguments:result:)``
/// itself, not handed here.
public protocol DispatchResultSink {
    /// The method returned `value`.
    func onReturn<Success: Codable>(value: Success) async throws
    /// The method returned nothing.
    func onReturnVoid() async throws
}
