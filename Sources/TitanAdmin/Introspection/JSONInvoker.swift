import Distributed
import FoundationEssentials
import TitanAdminAPI
import TitanPM

/// Calls a distributed method with JSON arguments, for the service tester: the arguments are
/// decoded as the method's own parameter types (which the Swift runtime reports for the
/// method's mangled name), sent exactly as a typed call would send them, and the result is
/// encoded back as JSON.
///
/// This works for any non-generic method whose parameters and result are `Codable` (every
/// distributed method's are) and not streams. It needs the method in this executable's
/// table: the service type must be linked into the manager.
enum JSONInvoker {
    /// Why `method` cannot be called with JSON, or nil if it can.
    static func whyNotInvocable(_ method: DistributedMethod) -> String? {
        if method.isGeneric { return "generic: JSON cannot name its type arguments" }
        let types = parameterTypes(method.mangledName)
        guard types.count == method.info.parameters.count else { return "its parameter types are not available at run time" }
        if method.info.parameters.contains(where: { $0.type.contains("RemoteStream") }) || method.info.result.contains("RemoteStream") {
            return "streams values; call it from Swift"
        }
        guard returnType(method.mangledName) != nil else { return "its result type is not available at run time" }
        return nil
    }

    /// Calls `method` on process (or pool) `target` with `arguments`: an array in parameter
    /// order, an object keyed by argument label (or position, for unlabelled ones), or, for
    /// one parameter, the value itself.
    static func invoke(_ method: DistributedMethod, on target: ProcessID, arguments: JSONValue?, system: ProcessActorSystem) async throws -> JSONValue {
        if let reason = whyNotInvocable(method) {
            throw AdminError(.unsupported, "\(method.info.name) cannot be called with JSON: \(reason)")
        }
        let values = try arrange(arguments, for: method.info.parameters)
        var invocation = system.makeInvocationEncoder()
        for (index, (type, value)) in zip(parameterTypes(method.mangledName), values).enumerated() {
            guard let codable = type as? any Codable.Type else {
                throw AdminError(.unsupported, "parameter \(index + 1) of \(method.info.name) is not Codable")
            }
            try record(value, as: codable, parameter: method.info.parameters[index], into: &invocation)
        }
        try invocation.doneRecording()
        let probe = try InvocationProbe.resolve(id: ProcessActorID(process: target, instance: 0), using: system)
        let target = RemoteCallTarget(method.mangledName)
        guard let result = returnType(method.mangledName) else { return .null }
        if result == Void.self {
            try await system.remoteCallVoid(on: probe, target: target, invocation: &invocation, throwing: (any Error).self)
            return .null
        }
        guard let codable = result as? any Codable.Type else {
            throw AdminError(.unsupported, "the result of \(method.info.name) is not Codable")
        }
        return try await call(probe, target, &invocation, returning: codable, system: system)
    }

    private static func call<Result: Codable>(
        _ probe: InvocationProbe, _ target: RemoteCallTarget, _ invocation: inout ProcessInvocationEncoder,
        returning: Result.Type, system: ProcessActorSystem
    ) async throws -> JSONValue {
        let value = try await system.remoteCall(on: probe, target: target, invocation: &invocation, throwing: (any Error).self, returning: Result.self)
        return try JSONValue(encoding: value)
    }

    private static func record<Value: Codable>(_ json: JSONValue, as type: Value.Type, parameter: ParameterInfo, into invocation: inout ProcessInvocationEncoder) throws {
        let value: Value
        do {
            value = try json.decode(as: Value.self)
        } catch {
            let name = parameter.label ?? "_"
            throw AdminError(.badRequest, "argument \(name) is not a valid \(parameter.type): \(json)")
        }
        try invocation.recordArgument(RemoteCallArgument(label: parameter.label, name: parameter.label ?? "_", value: value))
    }

    /// The arguments in parameter order.
    private static func arrange(_ arguments: JSONValue?, for parameters: [ParameterInfo]) throws -> [JSONValue] {
        switch arguments {
        case .null? where parameters.count == 1:
            return [.null]
        case nil, .null?:
            // No arguments: fine for no parameters, or only optional ones (each nil).
            guard parameters.allSatisfy({ $0.type.hasSuffix("?") }) else { throw missing(parameters) }
            return parameters.map { _ in .null }
        case .array(let values)? where values.count == parameters.count:
            return values
        case .object(let fields)? where parameters.count != 1 || fields.keys.contains(parameters[0].label ?? "0"):
            return try parameters.enumerated().map { index, parameter in
                guard let value = fields[parameter.label ?? String(index)] ?? fields[String(index)] else {
                    throw AdminError(.badRequest, "missing argument \(parameter.label ?? String(index)) (\(parameter.type))")
                }
                return value
            }
        case let value? where parameters.count == 1:
            return [value]
        default:
            throw missing(parameters)
        }
    }

    private static func missing(_ parameters: [ParameterInfo]) -> AdminError {
        let expected = parameters.map { ($0.label.map { "\($0): " } ?? "") + $0.type }.joined(separator: ", ")
        return AdminError(.badRequest, "expected \(parameters.count) argument(s): (\(expected))")
    }

    // MARK: The Swift runtime's type information for distributed methods

    static func parameterTypes(_ mangledName: String) -> [Any.Type] {
        let count = Int(_getParameterCount(mangledMethodName: mangledName))
        guard count > 0 else { return [] }
        let buffer = UnsafeMutablePointer<Any.Type>.allocate(capacity: count)
        defer { buffer.deallocate() }
        let utf8 = Array(mangledName.utf8)
        let written = utf8.withUnsafeBufferPointer {
            swiftParameterTypeInfo($0.baseAddress!, UInt($0.count), nil, nil, UnsafeMutableRawPointer(buffer), count)
        }
        guard written == count else { return [] }
        return (0..<count).map { buffer[$0] }
    }

    static func returnType(_ mangledName: String) -> Any.Type? {
        let utf8 = Array(mangledName.utf8)
        return utf8.withUnsafeBufferPointer { __getReturnTypeInfo($0.baseAddress!, UInt($0.count), nil, nil) }
    }
}

/// A reference with no methods of its own: the receiver of a call made by name.
distributed actor InvocationProbe {
    typealias ActorSystem = ProcessActorSystem
}

/// Fills `types` with the parameter types of the distributed method with this mangled name
/// (the Distributed module's `_getParameterTypeInfo`, which takes a builtin pointer).
@_silgen_name("swift_func_getParameterTypeInfo")
private func swiftParameterTypeInfo(
    _ typeNameStart: UnsafePointer<UInt8>, _ typeNameLength: UInt, _ genericEnv: UnsafeRawPointer?,
    _ genericArguments: UnsafeRawPointer?, _ types: UnsafeMutableRawPointer, _ typesLength: Int
) -> Int32
