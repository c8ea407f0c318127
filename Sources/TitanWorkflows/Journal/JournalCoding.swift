import Foundation

/// How values are encoded for the journal: JSON with sorted keys, so a journal can be read with
/// the `sqlite3` tool and a result decodes the same way on replay as it would have live.
enum JournalCoding {
    static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return try encoder.encode(value)
        } catch {
            throw WorkflowError(.encodingFailed, "cannot encode \(Value.self) for the journal: \(error)", underlying: error)
        }
    }

    static func encode<Value: Encodable>(_ value: Value?) throws -> Data? {
        try value.map { try encode($0) }
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from data: Data) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw WorkflowError(
                .encodingFailed,
                "cannot decode \(Value.self) from the journal (did its Codable shape change without a new workflow version?): \(error)",
                underlying: error
            )
        }
    }

    /// The JSON array of already encoded elements.
    static func array(of elements: [Data]) -> Data {
        var data = Data("[".utf8)
        for (index, element) in elements.enumerated() {
            if index > 0 { data.append(UInt8(ascii: ",")) }
            data.append(element)
        }
        data.append(UInt8(ascii: "]"))
        return data
    }
}
