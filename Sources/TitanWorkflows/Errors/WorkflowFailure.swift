/// A failure as the journal keeps it: the error's type and description, and the workflow code
/// when it was a ``WorkflowError``.
///
/// Errors are not `Codable` in general, so a run resumed after a crash knows its earlier
/// failures only in this form.
public struct WorkflowFailure: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The Swift type of the error, as `String(reflecting:)` names it.
    public var type: String
    /// The error's description.
    public var message: String

    /// A failure with this type name and message.
    public init(type: String, message: String) {
        self.type = type
        self.message = message
    }

    /// The journal's form of `error`.
    public init(_ error: any Error) {
        if let error = error as? WorkflowError {
            self.init(type: "WorkflowError.\(error.code)", message: error.message)
        } else {
            self.init(type: String(reflecting: Swift.type(of: error)), message: String(describing: error))
        }
    }

    /// A short description for logs.
    public var description: String { "\(type): \(message)" }
}
