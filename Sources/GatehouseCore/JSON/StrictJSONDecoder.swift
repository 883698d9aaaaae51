import Foundation

/// Decodes request bodies the way the API promises: malformed JSON is a `bad_request`,
/// an unknown field or a value of the wrong type is a `validation_failed` naming the field.
///
/// Foundation's `JSONDecoder` silently drops unknown keys. This decoder first parses the
/// bytes into a ``JSONValue`` and then decodes the target type from that tree, recording
/// which keys each object's `init(from:)` asked for; any key that was never asked for is
/// reported. Synthesized `Codable` conformances ask for every property (optional ones via
/// `decodeIfPresent`), so request types need nothing special.
///
/// ```swift
/// let body = try StrictJSONDecoder().decode(CreateTenant.self, from: bytes)
/// ```
public struct StrictJSONDecoder: Sendable {
    /// The deepest nesting accepted, to keep recursive decoding bounded.
    public var maximumDepth: Int

    public init(maximumDepth: Int = 32) {
        self.maximumDepth = maximumDepth
    }

    /// Parses raw bytes into a ``JSONValue`` or throws `bad_request`.
    public func parse(_ data: Data) throws(GatehouseError) -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw .badRequest("The request body is not valid JSON.")
        }
        guard value.depth <= maximumDepth else {
            throw .badRequest("The request body nests deeper than \(maximumDepth) levels.")
        }
        return value
    }

    public func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(GatehouseError) -> T {
        try decode(type, from: parse(data))
    }

    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws(GatehouseError) -> T {
        let tracker = KeyUsageTracker()
        let decoder = TreeDecoder(value: value, codingPath: [], tracker: tracker)
        let result: T
        do {
            result = try T(from: decoder)
        } catch let error as GatehouseError {
            throw error
        } catch let error as DecodingError {
            throw Self.validationError(from: error)
        } catch {
            throw .validationFailed(fields: ["body": "\(error)"])
        }
        if let unknown = tracker.firstUnknownField() {
            throw .validationFailed(fields: [unknown: "unknown field"])
        }
        return result
    }

    static func validationError(from error: DecodingError) -> GatehouseError {
        switch error {
        case .typeMismatch(_, let context), .dataCorrupted(let context):
            return .validationFailed(fields: [context.codingPath.fieldPath: context.debugDescription])
        case .keyNotFound(let key, let context):
            return .validationFailed(fields: [(context.codingPath + [key]).fieldPath: "required field is missing"])
        case .valueNotFound(_, let context):
            return .validationFailed(fields: [context.codingPath.fieldPath: "must not be null"])
        @unknown default:
            return .validationFailed(fields: ["body": "could not be decoded"])
        }
    }
}

extension [any CodingKey] {
    /// `settings.default_rate_limit.limit`, `scopes[2]`; `body` for the root.
    var fieldPath: String {
        var path = ""
        for key in self {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path.isEmpty ? "body" : path
    }
}

/// Records, for every JSON object a decoder opened, the keys it asked for.
/// Used by a single decode call on a single task; the lock only satisfies `Sendable`.
final class KeyUsageTracker: @unchecked Sendable {
    // Safe: every access goes through `lock`.
    private let lock = NSLock()
    private var objects: [(path: [any CodingKey], keys: Set<String>, used: Set<String>)] = []

    func register(path: [any CodingKey], keys: Set<String>) -> Int {
        lock.withLock {
            objects.append((path, keys, []))
            return objects.count - 1
        }
    }

    func markUsed(_ key: String, in object: Int) {
        lock.withLock { _ = objects[object].used.insert(key) }
    }

    func firstUnknownField() -> String? {
        lock.withLock {
            for object in objects {
                if let unknown = object.keys.subtracting(object.used).sorted().first {
                    return (object.path + [AnyKey(unknown)]).fieldPath
                }
            }
            return nil
        }
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { self.stringValue = string }
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}
