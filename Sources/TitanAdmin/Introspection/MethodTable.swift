import CTitanAdmin
import Distributed
import Glibc
import TitanAdminAPI

/// The distributed methods this executable links, read once from the Swift runtime's own
/// table (see ``DistributedMethod``).
///
/// What it can know: the methods of every distributed actor compiled into the manager's
/// executable, with argument labels, types and result. What it cannot: methods of a service
/// the manager only spawns by name from another executable, or policies declared on them.
enum MethodTable {
    static let all: [DistributedMethod] = {
        (0..<titan_accessible_function_count()).compactMap { index in
            let mangled = String(cString: titan_accessible_function_name(index))
            guard let demangled = demangle(mangled) else { return nil }
            guard var method = DistributedMethod(mangledName: mangled, demangled: demangled) else { return nil }
            let reason = JSONInvoker.whyNotInvocable(method)
            method.info.invocable = reason == nil
            method.info.note = reason
            return method
        }
    }()

    /// The methods declared by `owner`, the type's qualified name (`App.Calculator`), in name order.
    static func methods(of owner: String) -> [DistributedMethod] {
        all.filter { $0.owner == owner }.sorted { $0.info.name < $1.info.name }
    }

    private static func demangle(_ mangled: String) -> String? {
        mangled.utf8CString.withUnsafeBufferPointer { name -> String? in
            guard let result = swiftDemangle(name.baseAddress, UInt(name.count - 1), nil, nil, 0) else { return nil }
            defer { free(result) }
            return String(cString: result)
        }
    }
}

/// The Swift runtime's demangler (exported by libswiftCore).
@_silgen_name("swift_demangle")
private func swiftDemangle(
    _ mangledName: UnsafePointer<CChar>?, _ mangledNameLength: UInt, _ outputBuffer: UnsafeMutablePointer<CChar>?,
    _ outputBufferSize: UnsafeMutablePointer<UInt>?, _ flags: UInt32
) -> UnsafeMutablePointer<CChar>?
