/// One TOML 1.0 value. Dates and times keep the text the user wrote (validated, never used as a
/// number by Ladder); integers are 64-bit as the specification requires.
public enum TOMLValue: Equatable, Sendable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case bool(Bool)
    case datetime(String)
    case array([TOMLValue])
    case table(TOMLTable)

    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var int: Int64? { if case .integer(let i) = self { return i }; return nil }
    public var double: Double? { if case .float(let d) = self { return d }; return nil }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var array: [TOMLValue]? { if case .array(let a) = self { return a }; return nil }
    public var table: TOMLTable? { if case .table(let t) = self { return t }; return nil }

    /// A number as a Double: a float, or an integer read as one.
    public var number: Double? { double ?? int.map(Double.init) }

    public static func == (a: TOMLValue, b: TOMLValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y
        case (.integer(let x), .integer(let y)): return x == y
        case (.float(let x), .float(let y)): return x == y || (x.isNaN && y.isNaN)
        case (.bool(let x), .bool(let y)): return x == y
        case (.datetime(let x), .datetime(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.table(let x), .table(let y)): return x == y
        default: return false
        }
    }
}

/// A TOML table: its keys in the order they were written, their values, and the 1-based line
/// each key was defined on (for messages that point at the key).
public struct TOMLTable: Equatable, Sendable {
    public private(set) var keys: [String] = []
    private var values: [String: TOMLValue] = [:]
    private var lines: [String: Int] = [:]

    public init() {}

    /// Parses a TOML 1.0 document; errors are `TOMLSyntaxError`s with line and column.
    public init(string: String) throws { self = try TOMLParser.parse(string) }

    public subscript(key: String) -> TOMLValue? { values[key] }
    public func contains(key: String) -> Bool { values[key] != nil }
    public var count: Int { keys.count }

    /// The line `key` was defined on (a table's header line for a table), nil when absent.
    public func line(of key: String) -> Int? { lines[key] }

    mutating func set(_ key: String, _ value: TOMLValue, line: Int) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
        if lines[key] == nil { lines[key] = line }
    }

    public static func == (a: TOMLTable, b: TOMLTable) -> Bool { a.keys == b.keys && a.values == b.values }
}

/// A TOML syntax error at a place in the text (1-based line and column, in characters).
public struct TOMLSyntaxError: Error, CustomStringConvertible, Equatable, Sendable {
    public let line: Int
    public let column: Int
    public let message: String
    public var description: String { "\(line):\(column): \(message)" }
}
