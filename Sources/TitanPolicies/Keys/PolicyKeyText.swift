/// The text of an argument in a policy key: the same value gives the same text in every
/// process, whatever the order a dictionary happens to iterate in.
///
/// Strings are themselves and numbers and booleans their description; anything else is
/// rendered from its `Encodable` form as compact JSON-like text with sorted keys
/// (`{"id":7,"tags":["a","b"]}`).
public enum PolicyKeyText {
    /// The key text of `value`.
    public static func of<Value: Encodable>(_ value: Value) -> String {
        if let text = value as? String { return text }
        let encoder = KeyTextEncoder()
        do {
            try value.encode(to: encoder)
        } catch {
            return "<\(Value.self): \(error)>"
        }
        return encoder.root.rendered(topLevel: true)
    }

    /// Several arguments' texts as one key that no other list gives: each part prefixed by
    /// its length (`3:abc|1:c`), so `("a,b", "c")` and `("a", "b,c")` differ.
    public static func joined(_ parts: [String]) -> String {
        parts.map { "\($0.count):\($0)" }.joined(separator: "|")
    }
}

/// A value being rendered: a leaf's text, or children filled in by containers.
private final class KeyTextNode {
    enum Content {
        case empty
        case leaf(String, quoted: Bool)
        case list([KeyTextNode])
        case object([String: KeyTextNode])
    }

    var content = Content.empty

    func rendered(topLevel: Bool = false) -> String {
        switch content {
        case .empty: return "null"
        case .leaf(let text, let quoted): return quoted && !topLevel ? Self.quote(text) : text
        case .list(let items): return "[" + items.map { $0.rendered() }.joined(separator: ",") + "]"
        case .object(let fields):
            return "{" + fields.keys.sorted().map { Self.quote($0) + ":" + fields[$0]!.rendered() }.joined(separator: ",") + "}"
        }
    }

    func child(forKey key: String) -> KeyTextNode {
        var fields: [String: KeyTextNode] = [:]
        if case .object(let existing) = content { fields = existing }
        let node = fields[key] ?? KeyTextNode()
        fields[key] = node
        content = .object(fields)
        return node
    }

    func appendChild() -> KeyTextNode {
        var items: [KeyTextNode] = []
        if case .list(let existing) = content { items = existing }
        let node = KeyTextNode()
        items.append(node)
        content = .list(items)
        return node
    }

    private static func quote(_ text: String) -> String {
        "\"" + text.replacingBackslashesAndQuotes() + "\""
    }
}

extension String {
    fileprivate func replacingBackslashesAndQuotes() -> String {
        var result = ""
        for character in self {
            if character == "\\" || character == "\"" { result.append("\\") }
            result.append(character)
        }
        return result
    }
}

private struct KeyTextEncoder: Encoder {
    let root: KeyTextNode
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(root: KeyTextNode = KeyTextNode()) { self.root = root }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = root.content {} else { root.content = .object([:]) }
        return KeyedEncodingContainer(KeyedContainer<Key>(node: root))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .list = root.content {} else { root.content = .list([]) }
        return UnkeyedContainer(node: root)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValue(node: root) }
}

/// Writes one value into a node: the primitive cases every container shares.
private func write<T: Encodable>(_ value: T, into node: KeyTextNode) throws {
    switch value {
    case let text as String: node.content = .leaf(text, quoted: true)
    case let flag as Bool: node.content = .leaf(flag ? "true" : "false", quoted: false)
    case let number as any (Numeric & CustomStringConvertible): node.content = .leaf(number.description, quoted: false)
    default: try value.encode(to: KeyTextEncoder(root: node))
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: KeyTextNode
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws { node.child(forKey: key.stringValue).content = .empty }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try write(value, into: node.child(forKey: key.stringValue)) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        KeyTextEncoder(root: node.child(forKey: key.stringValue)).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        KeyTextEncoder(root: node.child(forKey: key.stringValue)).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { KeyTextEncoder(root: node.child(forKey: "super")) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { KeyTextEncoder(root: node.child(forKey: key.stringValue)) }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: KeyTextNode
    var codingPath: [any CodingKey] { [] }
    var count: Int {
        if case .list(let items) = node.content { items.count } else { 0 }
    }

    mutating func encodeNil() throws { node.appendChild().content = .empty }
    mutating func encode<T: Encodable>(_ value: T) throws { try write(value, into: node.appendChild()) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyTextEncoder(root: node.appendChild()).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        KeyTextEncoder(root: node.appendChild()).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { KeyTextEncoder(root: node.appendChild()) }
}

private struct SingleValue: SingleValueEncodingContainer {
    let node: KeyTextNode
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { node.content = .empty }
    mutating func encode<T: Encodable>(_ value: T) throws { try write(value, into: node) }
}
