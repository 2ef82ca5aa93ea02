/// Decodes `Decodable` values straight from parsed `TOMLValue`s, with errors that say what a key
/// must be and what it was ("must be an integer, got 1.5"). Integers read as floats where a
/// float is wanted; floats never read as integers; non-finite floats (inf, nan) are refused.
/// `ConfigFile` turns the coding path of an error into the key and its line.
public struct TOMLValueDecoder: Decoder {
    let value: TOMLValue
    public let codingPath: [CodingKey]
    public var userInfo: [CodingUserInfoKey: Any] { [:] }

    public init(_ value: TOMLValue, codingPath: [CodingKey] = []) {
        self.value = value
        self.codingPath = codingPath
    }

    public func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard let table = value.table else { throw Self.mismatch(codingPath, "must be a table", value) }
        return KeyedDecodingContainer(Keyed<Key>(table: table, codingPath: codingPath))
    }

    public func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard let array = value.array else { throw Self.mismatch(codingPath, "must be an array", value) }
        return Unkeyed(array: array, codingPath: codingPath)
    }

    public func singleValueContainer() throws -> SingleValueDecodingContainer { Single(value: value, codingPath: codingPath) }

    /// A type error at `path`: "`what`, got `value`".
    static func mismatch(_ path: [CodingKey], _ what: String, _ value: TOMLValue) -> DecodingError {
        .typeMismatch(Any.self, .init(codingPath: path, debugDescription: "\(what), got \(describe(value))"))
    }

    /// A value as the user wrote it, for messages.
    static func describe(_ value: TOMLValue) -> String {
        switch value {
        case .integer(let i): return String(i)
        case .float(let d): return "\(d)"
        case .string(let s): return "the string \"\(s)\""
        case .bool(let b): return "\(b)"
        case .table: return "a table"
        case .array: return "an array"
        case .datetime(let s): return "the date or time \(s)"
        }
    }

    /// Reads one primitive (or any Decodable through a nested decoder).
    static func decode<T: Decodable>(_ type: T.Type, from value: TOMLValue, at path: [CodingKey]) throws -> T {
        func integer<I: FixedWidthInteger>(_: I.Type) throws -> I {
            guard let i = value.int else { throw mismatch(path, "must be an integer", value) }
            guard let x = I(exactly: i) else { throw mismatch(path, "must be an integer in \(I.min)...\(I.max)", value) }
            return x
        }
        switch type {
        case is Int.Type: return try integer(Int.self) as! T
        case is Int64.Type: return try integer(Int64.self) as! T
        case is Int32.Type: return try integer(Int32.self) as! T
        case is UInt64.Type: return try integer(UInt64.self) as! T
        case is UInt32.Type: return try integer(UInt32.self) as! T
        case is UInt.Type: return try integer(UInt.self) as! T
        case is Double.Type, is Float.Type:
            let d: Double
            if let x = value.double { d = x } else if let i = value.int { d = Double(i) } else {
                throw mismatch(path, "must be a number", value)
            }
            guard d.isFinite else { throw mismatch(path, "must be a finite number", value) }
            return (type is Float.Type ? Float(d) as Any : d as Any) as! T
        case is String.Type:
            guard let s = value.string else { throw mismatch(path, "must be a string (in quotes)", value) }
            return s as! T
        case is Bool.Type:
            guard let b = value.bool else { throw mismatch(path, "must be true or false", value) }
            return b as! T
        default:
            return try T(from: TOMLValueDecoder(value, codingPath: path))
        }
    }

    struct Index: CodingKey {
        var stringValue: String { "\(intValue!)" }
        var intValue: Int?
        init(_ i: Int) { intValue = i }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let table: TOMLTable
        let codingPath: [CodingKey]
        var allKeys: [Key] { table.keys.compactMap { Key(stringValue: $0) } }
        func contains(_ key: Key) -> Bool { table.contains(key: key.stringValue) }
        func decodeNil(forKey key: Key) throws -> Bool { !contains(key) }

        func value(_ key: Key) throws -> TOMLValue {
            guard let v = table[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
            }
            return v
        }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try TOMLValueDecoder.decode(type, from: try value(key), at: codingPath + [key])
        }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode(type, key) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode(type, key) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode(type, key) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decode(type, key) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode(type, key) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decode(type, key) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decode(type, key) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decode(type, key) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decode(type, key) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decode(type, key) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode(type, key) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode(type, key) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode(type, key) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode(type, key) }
        private func decode<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
            try TOMLValueDecoder.decode(type, from: try value(key), at: codingPath + [key])
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try TOMLValueDecoder(try value(key), codingPath: codingPath + [key]).container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
            try TOMLValueDecoder(try value(key), codingPath: codingPath + [key]).unkeyedContainer()
        }
        func superDecoder() throws -> Decoder { TOMLValueDecoder(.table(table), codingPath: codingPath) }
        func superDecoder(forKey key: Key) throws -> Decoder { TOMLValueDecoder(try value(key), codingPath: codingPath + [key]) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let array: [TOMLValue]
        let codingPath: [CodingKey]
        var count: Int? { array.count }
        var isAtEnd: Bool { currentIndex >= array.count }
        var currentIndex = 0

        init(array: [TOMLValue], codingPath: [CodingKey]) { self.array = array; self.codingPath = codingPath }

        mutating func next() throws -> (TOMLValue, [CodingKey]) {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "the array has only \(array.count) elements"))
            }
            defer { currentIndex += 1 }
            return (array[currentIndex], codingPath + [Index(currentIndex)])
        }
        mutating func decodeNil() throws -> Bool { false }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let (v, path) = try next()
            return try TOMLValueDecoder.decode(type, from: v, at: path)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            let (v, path) = try next()
            return try TOMLValueDecoder(v, codingPath: path).container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
            let (v, path) = try next()
            return try TOMLValueDecoder(v, codingPath: path).unkeyedContainer()
        }
        mutating func superDecoder() throws -> Decoder {
            let (v, path) = try next()
            return TOMLValueDecoder(v, codingPath: path)
        }
    }

    struct Single: SingleValueDecodingContainer {
        let value: TOMLValue
        let codingPath: [CodingKey]
        func decodeNil() -> Bool { false }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try TOMLValueDecoder.decode(type, from: value, at: codingPath) }
        func decode(_ type: Bool.Type) throws -> Bool { try TOMLValueDecoder.decode(type, from: value, at: codingPath) }
        func decode(_ type: String.Type) throws -> String { try TOMLValueDecoder.decode(type, from: value, at: codingPath) }
        func decode(_ type: Double.Type) throws -> Double { try TOMLValueDecoder.decode(type, from: value, at: codingPath) }
        func decode(_ type: Float.Type) throws -> Float { try TOMLValueDecoder.decode(type, from: value, at: codingPath) }
        func decode(_ type: Int.Type) throws -> Int { try TOMLValueDecoder.decode(type, from: value, at: codingPath) }
        func decode(_ type: Int8.Type) throws -> Int8 { try TOMLValueDecoder.decode(type, from: value, at: codingPath) }
        func decode(_ type: Int16.Type) throws -> Int16 { try TOMLValueDecoder.decode(type, from: value, at: codingPath) }
        func decode(_ type: Int32.Type) throws -> Int32 { try TOMLValueDecoder.decode(type, from: value, at: codingPath) }
        func decode(_ type: Int64.Type) throws -> Int64 { try TOMLValueDecoder.decode(type, from: value, at: codingPath) }
        func decode(_ type: UInt.Type) throws -> UInt { try TOMLValueDecoder.decode(type, from: value, at: codingPath) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try TOMLValueDecoder.decode(type, from: value, at: codingPath) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try TOMLValueDecoder.decode(type, from: value, at: codingPath) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try TOMLValueDecoder.decode(type, from: value, at: codingPath) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try TOMLValueDecoder.decode(type, from: value, at: codingPath) }
    }
}
