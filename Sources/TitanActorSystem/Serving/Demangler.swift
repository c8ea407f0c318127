import Glibc

/// The Swift runtime's demangler, for the names of call targets and types the serving side
/// reads (a target's owner, a contracted method's signature).
enum Demangler {
    /// The readable form of `mangled` (`$s...`); nil if the runtime cannot demangle it.
    static func demangle(_ mangled: String) -> String? {
        mangled.utf8CString.withUnsafeBufferPointer { buffer -> String? in
            guard let result = swiftDemangle(buffer.baseAddress, buffer.count - 1, nil, nil, 0) else { return nil }
            defer { free(result) }
            return String(cString: result)
        }
    }
}

@_silgen_name("swift_demangle")
private func swiftDemangle(
    _ mangledName: UnsafePointer<CChar>?,
    _ mangledNameLength: Int,
    _ outputBuffer: UnsafeMutablePointer<CChar>?,
    _ outputBufferSize: UnsafeMutablePointer<Int>?,
    _ flags: UInt32
) -> UnsafeMutablePointer<CChar>?
