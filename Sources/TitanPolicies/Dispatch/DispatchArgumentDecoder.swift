/// Where the generated dispatch table reads a call's arguments from, one at a time in
/// declaration order.
///
/// The runtime's invocation decoder conforms (its `decodeNextArgument` already has this
/// shape); tests conform with an array of values.
public protocol DispatchArgumentDecoder {
    /// Decodes the next argument as `Argument`; throws if the bytes are not one.
    mutating func decodeNextArgument<Argument: Codable>() throws -> Argument
}
